"""The incident pages' forms: a dispatcher opens one by hand, adds, removes and closes; a
technician sees the incident of their order but no actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from doorstep.incidents.models import Incident
from doorstep.orders.actions import perform
from doorstep.orders.models import WorkOrder
from tests.incidents.conftest import report

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_a_dispatcher_runs_an_incident_from_the_pages(org: Any, lead: Any) -> None:
    a, b, c = (report(org, n) for n in range(1, 4))
    page = logged_in(org.dispatcher)
    resp = page.post(
        "/incidents/open/",
        {"branch": "GS", "area": "GS-DG-01", "orders": f"{a.number}，{b.number}", "note": "告警"},
    )
    incident = Incident.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/incidents/{incident.pk}/"
    detail = page.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'id="m-{a.pk}"' in detail and f'id="m-{b.pk}"' in detail
    assert 'id="confirm-outage"' not in detail  # a manager's action
    assert f'<option value="{c.pk}">' in detail  # same area, not yet a member

    page.post(f"/incidents/{incident.pk}/actions/add_member/", {"order": c.pk})
    page.post(f"/incidents/{incident.pk}/actions/remove_member/", {"order": a.pk})
    assert list(
        incident.members.filter(left_at__isnull=True).values_list("order_id", flat=True)
    ) == [
        b.pk,
        c.pk,
    ]
    bad = page.post(
        f"/incidents/{incident.pk}/actions/remove_member/", {"order": a.pk}, follow=True
    )
    assert "该工单不在本批量障碍中" in bad.content.decode()

    page.post(f"/incidents/{incident.pk}/actions/close/", {"fixed": [str(b.pk)], "note": "已恢复"})
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert WorkOrder.objects.get(pk=b.pk).status == "cancelled"
    assert WorkOrder.objects.get(pk=c.pk).status == "received"
    listing = page.get("/incidents/?status=closed").content.decode()
    assert f'id="inc-{incident.pk}"' in listing


def test_a_technician_sees_the_incident_of_their_order_without_actions(org: Any, lead: Any) -> None:
    first = report(org, 1)
    perform(first.pk, "assign", org.dispatcher, {"technician": "tech"})
    for n in range(2, 6):
        report(org, n)  # the fifth report opens the incident, the assigned order in it
    incident = Incident.objects.get()
    tech = logged_in(org.tech)
    assert tech.get("/incidents/").content.decode().count('id="inc-') == 1
    detail = tech.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="actions"' not in detail and "手工立案" not in detail
    assert logged_in(org.other_tech).get(f"/incidents/{incident.pk}/").status_code == 404


def test_the_admin_site_shows_an_incident_but_cannot_change_it(org: Any, lead: Any) -> None:
    from django.contrib.auth.models import User

    for n in range(1, 6):
        report(org, n)
    incident = Incident.objects.get()
    root = logged_in(User.objects.create_superuser("root", password="pw-root"))
    page = root.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 200 and "GS-DG-01" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert root.get("/admin/incidents/incident/add/").status_code == 403
