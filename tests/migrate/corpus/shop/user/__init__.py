from . import models, views  # noqa: F401
