"""The star formula (docs/ratings.md) on KPI figures built by hand; every expected number is
worked out in the comments, not by the code under test."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.ratings.formula import DEFAULTS, params_with_defaults, rate, stars_for

# A good quarter: 120 orders completed; 40 install clocks, 60 restore clocks; 100 arrivals;
# 110 contact clocks; 60 repairs completed; one complaint; ¥60 of penalties in force.
GOOD: dict[str, Any] = {
    "orders": 120,
    "install_on_time_rate": 0.95,  # 38 of 40
    "restore_on_time_rate": 0.90,  # 54 of 60
    "on_time_arrival_rate": 0.96,
    "contact_30min_rate": 0.98,
    "first_time_fix_rate": 0.90,
    "onsite_satisfaction": 4.8,
    "callback_satisfaction": 9.1,
    "penalty_yuan": 60.0,
}
MEASURED = {
    "install_on_time_rate": 40,
    "restore_on_time_rate": 60,
    "on_time_arrival_rate": 100,
    "contact_30min_rate": 110,
    "first_time_fix_rate": 60,
    "complaints_per_10k": 1,  # the number of complaints
}


def by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in items}


def test_the_worked_example_of_the_docs_is_four_stars() -> None:
    out = rate(GOOD, MEASURED, {})
    c = by_key(out.components)
    # on time: (38 + 54) / (40 + 60) = 92.0; onsite (4.8 − 1) / 4 = 95.0; callback (9.1 − 1) / 9
    # = 90.0; the rest are the rates × 100.
    assert {k: v["score"] for k, v in c.items()} == {
        "on_time": 92.0,
        "arrival": 96.0,
        "contact": 98.0,
        "first_time_fix": 90.0,
        "onsite": 95.0,
        "callback": 90.0,
        "inspection": None,  # no inspections recorded yet: weight 0, no score
    }
    # (25×92 + 15×96 + 10×98 + 20×90 + 10×95 + 20×90) / 100 = 9270 / 100 = 92.7
    # complaints: 5 × 1 × 100 / 120 = 4.17 → 4.2; penalties: 2 × 60 / 120 = 1.0
    d = by_key(out.deductions)
    assert (d["complaints"]["points"], d["penalties"]["points"]) == (4.2, 1.0)
    assert out.score == pytest.approx(87.5)  # 92.7 − 5.2
    assert out.stars == 4  # 80 ≤ 87.5 < 90
    # What pulled it down: first-time fix and callback each lost 20 × 10 / 100 = 2.0 points.
    assert (c["first_time_fix"]["lost"], c["callback"]["lost"], c["on_time"]["lost"]) == (
        2.0,
        2.0,
        2.0,  # 25 × 8 / 100
    )


def test_too_few_orders_means_no_stars_not_one_star() -> None:
    few = {**GOOD, "orders": 19}  # the default minimum is 20
    out = rate(few, MEASURED, {})
    assert out.stars is None and out.score is None and out.orders == 19
    # The page can still say how each part stood.
    assert by_key(out.components)["arrival"]["score"] == 96.0


def test_nothing_measured_drops_out_and_the_other_weights_share_its_place() -> None:
    # An installer with no repairs: no restore clocks, no first-time-fix figure; no callbacks.
    installer = {
        "orders": 30,
        "install_on_time_rate": 0.8,  # 24 of 30
        "on_time_arrival_rate": 0.9,
        "contact_30min_rate": 1.0,
        "first_time_fix_rate": None,
        "onsite_satisfaction": 4.0,  # (4 − 1) / 4 = 75.0
        "callback_satisfaction": None,
        "penalty_yuan": 0.0,
    }
    measured = {"install_on_time_rate": 30, "on_time_arrival_rate": 30, "contact_30min_rate": 30}
    out = rate(installer, measured, {})
    # (25×80 + 15×90 + 10×100 + 10×75) / (25 + 15 + 10 + 10) = 5100 / 60 = 85.0
    assert out.score == 85.0 and out.stars == 4
    assert by_key(out.components)["first_time_fix"]["lost"] == 0.0


def test_deductions_are_capped_and_the_score_never_goes_below_zero() -> None:
    bad = {**GOOD, "penalty_yuan": 6000.0}  # 2 × 6000 / 120 = 100 points, capped at 30
    out = rate(bad, {**MEASURED, "complaints_per_10k": 40}, {})
    assert out.score == pytest.approx(62.7)  # 92.7 − 30
    assert out.stars == 2
    harsh = rate(bad, MEASURED, {"max_deduction": 500})
    assert harsh.score == 0.0 and harsh.stars == 1


def test_the_policy_row_tunes_weights_thresholds_and_the_inspection_hook() -> None:
    # Inspections weighted but none recorded: the weight is simply not used.
    out = rate(GOOD, MEASURED, {"weights": {"inspection": 50}, "thresholds": [95, 85, 75, 65]})
    assert out.score == pytest.approx(87.5) and out.stars == 4
    assert rate(GOOD, MEASURED, {"thresholds": [99, 95, 87.5, 60]}).stars == 3


def test_the_thresholds_are_inclusive() -> None:
    t = DEFAULTS["thresholds"]
    assert [stars_for(s, t) for s in (100, 90, 89.9, 80, 70, 60, 59.9, 0)] == [
        5, 5, 4, 4, 3, 2, 1, 1,
    ]  # fmt: skip


def test_a_bad_parameter_on_the_policies_page_falls_back_to_its_default() -> None:
    merged, wrong = params_with_defaults(
        {"thresholds": [60, 70, 80, 90], "min_orders": "20", "months": 2, "weights": {"onsite": 5}}
    )
    assert wrong == ["min_orders", "thresholds"]
    assert merged["thresholds"] == [90, 80, 70, 60] and merged["min_orders"] == 20
    assert merged["months"] == 2 and merged["weights"]["onsite"] == 5
    assert merged["weights"]["callback"] == 20  # the weights not given keep their defaults


@pytest.mark.django_db
def test_the_policy_row_holds_the_defaults_with_a_history_that_verifies() -> None:
    from doorstep.standards.integrity import verify_policy_history
    from doorstep.standards.models import Policy, PolicyChange

    row = Policy.objects.get(key="ratings.stars")
    assert row.params == DEFAULTS  # migration 0002's frozen copy still matches the code
    assert PolicyChange.objects.filter(policy=row, via="migration").exists()
    assert list(verify_policy_history()) == []
