import pytest

# The harness asserts the two sides agree: show the diff when they do not.
pytest.register_assert_rewrite("bridge.harness")
