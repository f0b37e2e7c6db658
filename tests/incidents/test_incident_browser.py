"""The incident page in a real Chromium at phone size: a manager confirms a suspected batch
fault and sees every member held, its restore clock paused, and the members on the map."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from doorstep.incidents.models import Incident
from doorstep.notifications.models import Notification
from tests.incidents.conftest import report
from tests.web.browser import PHONE, browser_page, login
from tests.web.browser import TOUR as DOCS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_confirms_an_outage_on_the_phone(live_server: Any, org: Any, lead: Any) -> None:
    orders = [report(org, n, phone="13812340002" if n == 6 else None) for n in range(1, 7)]
    incident = Incident.objects.get()
    restore_at = timezone.localtime() + timedelta(hours=4)
    with browser_page(PHONE) as page:
        login(page, live_server.url, "manager", "pw-manager")
        page.goto(f"{live_server.url}/incidents/")
        page.click(f"#inc-{incident.pk} a")
        assert page.get_attribute("#incident-status", "data-status") == "suspected"
        assert page.locator("#incident-map g").count() == 6
        page.fill("#expected_restore_at", restore_at.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#confirm-note", "大关光交箱断纤，抢修中")
        page.click("#confirm-outage")
        page.wait_for_selector('#incident-status[data-status="outage"]')
        assert restore_at.strftime("%m-%d %H:%M") in page.inner_text("#expected")
        for o in orders:
            row = page.locator(f"#m-{o.pk}")
            assert "挂起" in row.inner_text()
            assert row.locator('.clock[data-name="restore"]').get_attribute("data-status") == (
                "paused"
            )
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "incident.png"), full_page=True)
    # Six orders from five customers: five notices.
    assert Notification.objects.filter(template="batch_fault").count() == 5
