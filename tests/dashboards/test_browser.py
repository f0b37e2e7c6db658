"""The dashboard and a technician's page in a real Chromium, on the hand-built November of
tests/kpis/conftest.py: the charts draw from the page's own JSON, a click on a table figure
opens the orders behind it. The screenshots go to the test artifacts; the ones in docs/ are
taken from the demo by tests/dashboards/demo_screenshots.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_user
from tests.web.browser import DESKTOP, PHONE, browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEK = "period=week&date=2026-11-18"


def test_the_dashboard_and_a_technicians_page_in_chromium(live_server: Any, month: Any) -> None:
    make_user("gs_manager", ["manager"], month.org.gs)
    base = live_server.url
    with browser_page(DESKTOP) as page:
        login(page, base, "gs_manager", "pw-gs_manager")
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/dashboards/")
        page.goto(f"{base}/dashboards/?{WEEK}")
        page.wait_for_selector("#chart-trend svg")
        page.wait_for_selector("#chart-technicians svg")
        assert "75.0%" in page.inner_text('#headline [data-metric="on_time_arrival_rate"]')
        shot(page, "dashboard")
        # Sorting the ranking by arrival puts other_tech (100%) above tech (66.7%).
        header = page.locator("#rank-technicians th", has_text="上门准时率")
        header.click()
        first = page.locator("#rank-technicians tbody tr").first.inner_text()
        assert first.startswith("Other_Tech")
        page.click('#rank-technicians tbody tr:has-text("Tech") [data-metric="orders"] a')
        page.wait_for_selector("#behind")
        assert "回单量" in page.inner_text("h1")

    with browser_page(PHONE) as page:
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/dashboards/technicians/tech/?{WEEK}")
        page.wait_for_selector("#chart-trend svg")
        assert "发延误通知" in page.inner_text("#improve")
        shot(page, "technician")
