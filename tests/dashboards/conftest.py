"""The hand-built November of the KPI tests (tests/kpis/conftest.py), shared here."""

from tests.kpis.conftest import at, month  # noqa: F401  (pytest fixtures)
