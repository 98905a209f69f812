"""An online shop laid out like a cookiecutter Flask project."""
