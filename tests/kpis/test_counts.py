"""`kpi_counts`: one count read many ways (the dashboard's trend, week and rankings; a
breakdown's parts) gives the figures each table's own report gives, on the hand-built November
(tests/kpis/conftest.py), whose figures tests/kpis/test_figures.py works out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from doorstep.kpis.compute import kpi_counts, kpi_report, kpi_series
from doorstep.orders.choices import FaultClass
from tests.conftest import repair_data
from tests.kpis.conftest import WEEK, Driver, customer

LEVELS = ["technician", "team", "branch"]
FIRST = date(2026, 10, 26)  # the trend's first week; the month's work runs to 1 December


def weeks() -> list[date]:
    return [FIRST + timedelta(days=7 * n) for n in range(6)]


@pytest.mark.parametrize("period", ["week", "month"])
@pytest.mark.parametrize("in_gs", [False, True], ids=["every branch", "GS"])
def test_one_count_gives_each_level_and_period_what_its_own_report_gives(
    month: Any, period: str, in_gs: bool
) -> None:
    branches = [month.org.gs] if in_gs else None
    counts = kpi_counts(period, FIRST, weeks()[-1], branches=branches)
    for level in LEVELS:
        trend = kpi_series(level, period, FIRST, weeks()[-1], branches=branches)
        assert counts.series(level) == trend
        for day in weeks():
            alone = kpi_report(level, period, day, branches=branches)
            assert counts.report(level, day) == alone
            tech_only = kpi_report(level, period, day, branches=branches, keys={"tech", "GS"})
            assert counts.report(level, day, keys={"tech", "GS"}) == tech_only


def test_a_part_of_a_split_gives_what_the_same_filter_gives(month: Any, at: Any) -> None:
    # A network fault in an area of its own beside the month's line faults (no area).
    org, d = month.org, Driver(at)
    data = repair_data(customer=customer(50), fault_class=FaultClass.NETWORK, area="GS-07")
    o = d.create("2026-11-18 09:00", org.operator, data)
    d.do("2026-11-18 09:05", o, "assign", org.dispatcher, technician=org.other_tech.username)
    d.do("2026-11-18 09:08", o, "accept", org.other_tech)
    d.do("2026-11-18 09:10", o, "contact", org.other_tech, outcome="reached")
    for field, values in (
        ("fault_class", [*FaultClass.values, ""]),
        ("area_code", ["GS-07", "", "GS-99"]),
    ):
        for level in LEVELS:
            counts = kpi_counts("week", WEEK, WEEK, split=field)
            for value in values:
                alone = kpi_report(level, "week", WEEK, where={field: value})
                assert counts.report(level, WEEK, part=value) == alone, (field, value, level)


def test_the_line_faults_of_the_week_split_from_the_rest(month: Any) -> None:
    # GS's repairs completed that week are R1, R2 and R4, all line faults; restores 2 of 3.
    counts = kpi_counts("week", WEEK, WEEK, branches=[month.org.gs], split="fault_class")
    (line,) = counts.report("branch", WEEK, part=FaultClass.LINE).rows
    assert line.metrics["orders"] == 3
    assert line.metrics["restore_on_time_rate"] == pytest.approx(2 / 3)
    (network,) = counts.report("branch", WEEK, part=FaultClass.NETWORK).rows
    assert network.metrics["orders"] == 0
    assert network.metrics["restore_on_time_rate"] is None


def test_a_count_refuses_a_day_outside_its_periods(month: Any) -> None:
    counts = kpi_counts("week", WEEK, WEEK)
    with pytest.raises(ValueError):
        counts.report("branch", WEEK + timedelta(days=7))
