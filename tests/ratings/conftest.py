from tests.kpis.conftest import at, month  # noqa: F401  (pytest fixtures)
