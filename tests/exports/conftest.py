from tests.standards.conftest import at  # noqa: F401 - the frozen Shanghai clock fixture
