"""Where the stars are shown: the latest history row, everywhere, through one function."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from doorstep.customers.badges import badge_of
from doorstep.dispatch.services import suggest
from doorstep.org.models import Staff
from tests.conftest import bearer
from tests.ratings.helpers import rated


def test_the_technicians_api_and_the_badge_show_the_latest_stars(org: Any) -> None:
    now = timezone.now()
    rated(org.tech, 3, now - timedelta(days=40))
    rated(org.tech, 5, now - timedelta(days=1))
    headers = bearer("dispatcher")
    listing = Client().get("/api/v1/technicians?branch=GS", headers=headers).json()
    stars = {r["username"]: r["star_rating"] for r in listing["results"]}
    assert stars == {"tech": 5, "other_tech": None}  # other_tech was never rated
    one = Client().get("/api/v1/technicians/tech", headers=headers).json()
    assert one["star_rating"] == 5
    badge = Client().get("/b/" + badge_of(Staff.objects.get(user=org.tech)).slug)
    assert '<strong id="tech-stars">5 星</strong>' in badge.content.decode()
    other = Client().get("/b/" + badge_of(Staff.objects.get(user=org.other_tech)).slug)
    assert '<strong id="tech-stars">暂无</strong>' in other.content.decode()


def test_a_technician_with_too_few_orders_lately_shows_no_stars(org: Any) -> None:
    now = timezone.now()
    rated(org.tech, 4, now - timedelta(days=40))
    rated(org.tech, None, now)  # the latest window had too few orders
    one = Client().get("/api/v1/technicians/tech", headers=bearer("dispatcher")).json()
    assert one["star_rating"] is None


def test_suggestions_prefer_higher_stars_only_between_equal_scores(
    org: Any, repair_order: Any
) -> None:
    # Neither technician has a territory, a position or a load: equal scores.
    plain = suggest(repair_order)
    assert [s.staff.user.username for s in plain] == ["tech", "other_tech"]  # employee number
    rated(org.other_tech, 4)
    rated(org.tech, 2)
    ranked = suggest(repair_order)
    assert [s.staff.user.username for s in ranked] == ["other_tech", "tech"]
    assert ranked[0].score == ranked[1].score == plain[0].score  # stars add nothing to a score
    assert "星级 4（同分时优先）" in ranked[0].reasons


def test_the_board_and_my_day_show_the_stars(org: Any) -> None:
    rated(org.tech, 4)
    c = Client()
    c.force_login(org.dispatcher)
    board = c.get("/dispatch/").content.decode()
    assert 'title="星级">4★' in board
    c.force_login(org.tech)
    day = c.get("/m/").content.decode()
    assert "我的星级：4 星" in day and 'href="/ratings/"' in day
    c.force_login(org.other_tech)
    assert "我的星级：暂无" in c.get("/m/").content.decode()
