"""The worker duty on the hand-built November of the KPI tests (tests/kpis/conftest.py): it
rates each technician on the last full months, once a day per branch or when asked, and keeps
an append-only history. The expected stars are worked out by hand below from the November
figures that tests/kpis/test_figures.py checks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from doorstep.ratings import current_stars, stars_of
from doorstep.ratings.jobs import ask, run_due
from doorstep.ratings.models import RatingRun, StarRating
from doorstep.standards import ledger, policies
from doorstep.standards.models import Penalty, Policy

SH = ZoneInfo("Asia/Shanghai")
DEC_2 = datetime(2026, 12, 2, 8, 0, tzinfo=SH)


def tune(**changes: Any) -> None:
    """The admin's edit of the ratings.stars policy row (made by migration 0002)."""
    row = Policy.objects.get(key="ratings.stars")
    row.params = {**row.params, **changes}
    row.save()
    policies.clear_cache()


@pytest.fixture
def november(month: Any) -> Any:
    # tech completed 5 orders in November, other_tech 1, township_tech none; the default
    # minimum (20) would rate nobody, so this branch asks for 5. Penalties weigh a quarter.
    tune(min_orders=5, penalty_points=0.25)
    return month


def rows(user: Any) -> list[StarRating]:
    return list(StarRating.objects.filter(technician=user).order_by("computed_at", "id"))


def test_the_worker_rates_the_last_three_full_months_and_keeps_why(november: Any) -> None:
    org = november.org
    assert run_due("w1", DEC_2) == 2  # GS and TL, once each
    (tech,) = rows(org.tech)
    # The window: September–November (December has just begun in Shanghai).
    assert (str(tech.period_start), str(tech.period_end)) == ("2026-09-01", "2026-11-30")
    parts = {c["key"]: c["score"] for c in tech.components}
    assert parts == {
        "on_time": 40.0,  # install I1 breached, restores R1 R5 met, R2 R6 breached: 2 of 5
        "arrival": 80.0,  # 4 of 5
        "contact": 75.0,  # 3 of 4
        "first_time_fix": 75.0,  # 3 of 4 repairs not repeated
        "onsite": 65.0,  # mean 3.6: (3.6 − 1) / 4
        "callback": 81.5,  # mean 25/3: (25/3 − 1) / 9 = 0.8148
        "inspection": None,
    }
    # (25×40 + 15×80 + 10×75 + 20×75 + 10×65 + 20×81.5) / 100 = 6730 / 100 = 67.3;
    # penalties ¥80 in force: 0.25 × 80 / 5 orders = 4.0 off; no complaints.
    assert tech.score == Decimal("63.3") and tech.stars == 2 and tech.orders == 5
    assert tech.figures["penalty_yuan"] == 80.0 and tech.measured["on_time_arrival_rate"] == 5
    # Too few orders: no stars, not one star.
    assert [r.stars for r in rows(org.other_tech)] == [None]  # 1 order
    assert [r.stars for r in rows(org.township_tech)] == [None]  # none
    assert stars_of([org.tech, org.other_tech.pk]) == {org.tech.pk: 2, org.other_tech.pk: None}


def test_once_a_day_per_branch_and_a_new_row_only_when_something_changed(
    november: Any, at: Any
) -> None:
    org = november.org
    assert run_due("w1", DEC_2) == 2
    assert run_due("w2", DEC_2.replace(hour=23)) == 0  # same local day: nothing to do
    assert StarRating.objects.count() == 3
    # The manager exempts R6's restore penalty (¥10) the next morning.
    r6 = Penalty.objects.get(order=november.orders["R6"], rule="R4")
    with at("2026-12-03 09:00"):
        ledger.decide(r6.pk, org.manager, uphold=False, note="客户原因")
    assert run_due("w1", datetime(2026, 12, 3, 10, 0, tzinfo=SH)) == 2
    first, second = rows(org.tech)
    # 67.3 − 0.25 × 70 / 5 = 67.3 − 3.5 = 63.8: the score moved, the stars did not.
    assert (first.score, second.score) == (Decimal("63.3"), Decimal("63.8"))
    assert second.stars == 2 and second.figures["penalty_yuan"] == 70.0
    assert current_stars(org.tech) == 2
    # Nothing changed for the others: no new rows, history stays one row each.
    assert len(rows(org.other_tech)) == 1 and len(rows(org.township_tech)) == 1
    assert RatingRun.objects.filter(asked=False).count() == 4  # 2 branches × 2 days


def test_a_manager_asks_for_a_recompute_and_the_next_round_makes_it(
    november: Any,
) -> None:
    org = november.org
    assert run_due("w1", DEC_2) == 2
    tune(thresholds=[90, 80, 70, 60.0], penalty_points=0)  # ¥80 no longer counts: 67.3
    ask(org.gs, org.manager, DEC_2)
    assert run_due("w1", DEC_2.replace(hour=9)) == 1  # only the asked GS run
    assert [r.stars for r in rows(org.tech)] == [2, 2]
    assert rows(org.tech)[-1].score == Decimal("67.3")
    assert run_due("w1", DEC_2.replace(hour=10)) == 0  # asked once, done once
    # The page button asks the same way; a technician may not.
    c = Client()
    c.force_login(org.tech)
    assert c.post("/ratings/tech/recompute").status_code == 403
    c.force_login(org.manager)
    assert c.post("/ratings/tech/recompute").status_code == 302
    assert RatingRun.objects.filter(asked=True, done_at__isnull=True).count() == 1


def test_the_technician_sees_why_and_how_to_improve(november: Any) -> None:
    org = november.org
    run_due("w1", DEC_2)
    c = Client()
    c.force_login(org.tech)
    page = c.get("/ratings/").content.decode()
    assert 'data-stars="2"' in page and "63.3" in page
    # What pulled it down most: on time (25 × 60 / 100 = 15.0 points), then callback
    # (20 × 18.5 / 100 = 3.7) is behind first-time fix (20 × 25 / 100 = 5.0).
    pulled = page[page.index('id="pulled"') :]
    assert pulled.index("修障/装机及时率") < pulled.index("一次修复率") < pulled.index("少得 5.0")
    assert "考核金额" in pulled and "扣 4.0 分" in pulled
    assert "首次计算" in page
    # Another technician's page is not theirs to see; their branch's manager may.
    assert c.get("/ratings/other_tech/").status_code == 403
    c.force_login(org.dispatcher)
    other = c.get("/ratings/other_tech/").content.decode()
    assert "暂无星级" in other and "还差 4 单" in other
