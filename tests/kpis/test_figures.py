"""KPI figures of the hand-built November (tests/kpis/conftest.py), worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from doorstep.kpis.compute import kpi_report, kpi_series, orders_behind
from doorstep.kpis.models import SubscriberCount
from tests.conftest import repair_data
from tests.kpis.conftest import MONTH, WEEK, Driver, customer


def rows(level: str, period: str, day: date, **kw: Any) -> dict[str, dict[str, Any]]:
    report = kpi_report(level, period, day, **kw)
    return {r.key: r.metrics for r in report.rows}


def test_the_week_runs_monday_to_sunday_in_shanghai(month: Any) -> None:
    report = kpi_report("technician", "week", WEEK)
    assert (report.start, report.end) == (date(2026, 11, 16), date(2026, 11, 22))


def test_a_technicians_week_counts_each_clock_in_the_period_it_stopped(month: Any) -> None:
    tech = rows("technician", "week", WEEK)["tech"]
    assert tech == pytest.approx(
        {
            "orders": 3,  # R1, R2 and I1 (completed Sunday 23:30 Shanghai: this week)
            "install_on_time_rate": 0.0,  # I1 breached: 0 of 1
            "restore_on_time_rate": 0.5,  # R1 met, R2 breached: 1 of 2
            "contact_30min_rate": 2 / 3,  # R1, I1 met; R2 reached at 09:50 > 09:35
            "first_reply_8h_rate": 1.0,  # R1, R2: 2 of 2
            "on_time_arrival_rate": 2 / 3,  # R1 13:50, I1 22:29 met; R2 14:07 late
            "early_arrival_rate": 1 / 3,  # only R1 (10 min ≥ 5); I1 1 min, R2 late
            "crew_reschedules": 1,  # I1 moved by the crew
            "first_time_fix_rate": 0.5,  # R1 repeated by R3, R2 not: 1 of 2
            "repeat_fault_rate": 1 / 3,  # of R1, R2, I1 only R1 was repeated
            "onsite_satisfaction": 4.0,  # (5 + 3 + 4) / 3
            "callback_satisfaction": 7.5,  # (9 + 6) / 2; I1's 10 came Monday 23 00:30
            "complaints_per_10k": 0.0,  # no complaint, 8,000 subscribers
            "penalty_yuan": 60.0,  # R1 10 + R6 10 + R4 10 (R2) + R13 20 + R5 10 (I1)
            "exempted_yuan": 10.0,  # R2's R8 entry, exempted on appeal
        }
    )


def test_another_technician_and_a_township_technician_with_little_to_measure(
    month: Any,
) -> None:
    week = rows("technician", "week", WEEK)
    assert week["other_tech"] == pytest.approx(
        {
            "orders": 1,  # R4
            "install_on_time_rate": None,
            "restore_on_time_rate": 1.0,  # R4 met
            "contact_30min_rate": 1.0,  # R4 09:20 and R3 09:10: 2 of 2
            "first_reply_8h_rate": 1.0,  # R4, R3: 2 of 2
            "on_time_arrival_rate": 1.0,  # R4 13:56
            "early_arrival_rate": 0.0,  # 4 min early is less than the 5 min target
            "crew_reschedules": 0,
            "first_time_fix_rate": 1.0,  # R4 not repeated
            "repeat_fault_rate": 0.0,
            "onsite_satisfaction": 4.0,
            "callback_satisfaction": 8.0,
            "complaints_per_10k": 0.0,
            "penalty_yuan": 0.0,  # R3's repeat entry goes to tech, who closed R1
            "exempted_yuan": 0.0,
        }
    )
    township = week["township_tech"]
    # T1 was only called: two clocks measured, everything else is null, not zero.
    assert township["contact_30min_rate"] == 1.0 and township["first_reply_8h_rate"] == 1.0
    for name in (
        "install_on_time_rate",
        "restore_on_time_rate",
        "on_time_arrival_rate",
        "early_arrival_rate",
        "first_time_fix_rate",
        "repeat_fault_rate",
        "onsite_satisfaction",
        "callback_satisfaction",
        "complaints_per_10k",  # TL has no subscriber count entered
    ):
        assert township[name] is None, name
    assert (township["orders"], township["penalty_yuan"]) == (0, 0.0)


def test_a_team_and_a_branch_add_up_their_counts_not_their_rates(month: Any) -> None:
    expected = {
        "orders": 4,  # tech 3 + other_tech 1
        "install_on_time_rate": 0.0,  # 0 of 1
        "restore_on_time_rate": 2 / 3,  # tech 1 of 2 + other 1 of 1
        "contact_30min_rate": 0.8,  # (2 + 2) of (3 + 2)
        "first_reply_8h_rate": 1.0,  # 4 of 4
        "on_time_arrival_rate": 0.75,  # (2 + 1) of (3 + 1)
        "early_arrival_rate": 0.25,  # 1 of 4
        "crew_reschedules": 1,
        "first_time_fix_rate": 2 / 3,  # R2, R4 of R1, R2, R4
        "repeat_fault_rate": 0.25,  # R1 of R1, R2, I1, R4
        "onsite_satisfaction": 4.0,  # (5 + 3 + 4 + 4) / 4
        "callback_satisfaction": 23 / 3,  # (9 + 6 + 8) / 3
        "complaints_per_10k": 0.0,
        "penalty_yuan": 60.0,
        "exempted_yuan": 10.0,
    }
    team = rows("team", "week", WEEK)[str(month.team.pk)]
    assert team == pytest.approx(expected)
    branches = rows("branch", "week", WEEK)
    assert branches["GS"] == pytest.approx(expected)
    assert branches["TL"]["contact_30min_rate"] == 1.0 and branches["TL"]["orders"] == 0


def test_a_month_takes_in_the_early_and_late_days_but_not_december(month: Any) -> None:
    tech = rows("technician", "month", MONTH)["tech"]
    assert tech == pytest.approx(
        {
            "orders": 5,  # R6 (3 Nov), R1, R2, I1, R5 (30 Nov)
            "install_on_time_rate": 0.0,
            "restore_on_time_rate": 0.5,  # R1, R5 met; R2, R6 breached: 2 of 4
            "contact_30min_rate": 0.75,  # R1, I1, R5 met; R2 breached; R6 never called
            "first_reply_8h_rate": 0.75,  # R1, R2, R5 met; R6 stopped at completion, late
            "on_time_arrival_rate": 0.8,  # all but R2: 4 of 5
            "early_arrival_rate": 0.4,  # R1 and R6 (10 min each): 2 of 5
            "crew_reschedules": 1,
            "first_time_fix_rate": 0.75,  # R2, R5, R6 of R1, R2, R5, R6
            "repeat_fault_rate": 0.2,  # R1 of five
            "onsite_satisfaction": 3.6,  # (2 + 5 + 3 + 4 + 4) / 5
            # R1 9, R2 6, I1 10 (Monday 23 00:30); R5's 2 came 1 December 00:30 Shanghai,
            # which is still 30 November in UTC: not this month.
            "callback_satisfaction": 25 / 3,
            "complaints_per_10k": 0.0,
            "penalty_yuan": 80.0,  # the week's 60 + R6's R4 10 and R2 10
            "exempted_yuan": 10.0,
        }
    )


def test_an_event_just_after_midnight_monday_belongs_to_the_new_week(month: Any) -> None:
    # I1's callback at Monday 23 November 00:30 Shanghai (Sunday 16:30 UTC).
    next_week = rows("technician", "week", date(2026, 11, 23))["tech"]
    assert next_week["callback_satisfaction"] == 10.0
    sunday = rows("technician", "day", date(2026, 11, 22))["tech"]
    assert (sunday["orders"], sunday["install_on_time_rate"]) == (1, 0.0)  # I1 at 23:30
    assert sunday["callback_satisfaction"] is None


def test_a_day_with_nothing_measured_has_null_rates_and_zero_counts(month: Any) -> None:
    quiet = rows("technician", "day", date(2026, 11, 10))["tech"]
    assert quiet["orders"] == 0 and quiet["crew_reschedules"] == 0
    assert quiet["penalty_yuan"] == 0.0
    assert quiet["restore_on_time_rate"] is None and quiet["onsite_satisfaction"] is None


def test_the_series_gives_one_row_per_week(month: Any) -> None:
    series = kpi_series("technician", "week", date(2026, 11, 16), date(2026, 11, 29), keys={"tech"})
    assert [(r.period_start, r.metrics["orders"]) for r in series] == [
        (date(2026, 11, 16), 3),
        (date(2026, 11, 23), 0),
    ]


def test_the_orders_behind_a_rate_are_the_measured_ones_marked_counted_or_not(
    month: Any,
) -> None:
    behind = orders_behind("restore_on_time_rate", "technician", "tech", "week", WEEK)
    assert [(b.number, b.counted) for b in behind] == [
        (month.orders["R1"].number, True),
        (month.orders["R2"].number, False),
    ]
    ratings = orders_behind("onsite_satisfaction", "team", str(month.team.pk), "week", WEEK)
    assert sorted(b.value for b in ratings) == [3, 4, 4, 5]
    money = orders_behind("exempted_yuan", "branch", "GS", "month", MONTH)
    assert [(b.number, b.value) for b in money] == [(month.orders["R2"].number, 10.0)]


def test_complaints_per_10k_divide_by_the_latest_subscriber_count(org: Any, at: Any) -> None:
    d = Driver(at)
    SubscriberCount.objects.create(branch=org.gs, month=date(2026, 10, 1), count=8000)
    o = d.create("2026-11-20 09:00", org.operator, repair_data(customer=customer(3)))
    d.do("2026-11-20 09:05", o, "assign", org.dispatcher, technician="tech")
    d.do("2026-11-20 11:00", o, "complain", org.operator, channel="hotline", note="迟迟不来")
    d.do("2026-11-20 12:00", o, "complain", org.operator, channel="hotline", note="又催")
    # 2 complaints ÷ 8,000 (October's count: November was not entered) × 10,000 = 2.5
    assert rows("branch", "month", MONTH)["GS"]["complaints_per_10k"] == 2.5
    assert rows("technician", "week", WEEK)["tech"]["complaints_per_10k"] == 2.5
    # Before any count was entered there is no base: null, not a division by zero.
    assert rows("branch", "month", date(2026, 9, 1))["GS"]["complaints_per_10k"] is None
