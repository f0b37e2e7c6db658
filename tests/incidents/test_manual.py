"""Dispatchers open incidents by hand and add or remove members; the board does not offer
members one by one; users see the incidents of their branch."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from doorstep.incidents.models import Incident, IncidentEvent
from doorstep.orders.actions import perform
from doorstep.orders.models import WorkOrder
from tests.conftest import make_user, walk_to
from tests.incidents.conftest import report
from tests.incidents.test_outage import api, restore_clock

pytestmark = pytest.mark.django_db


def open_by_hand(username: str, orders: list[Any], area: str = "GS-DG-01") -> Any:
    return api(username).post(
        "/api/v1/incidents",
        {"branch": "GS", "area": area, "orders": [o.pk for o in orders], "note": "光交箱告警"},
    )


def test_a_dispatcher_opens_one_by_hand_adds_and_removes_members(org: Any, lead: Any) -> None:
    a, b, c = (report(org, n) for n in range(1, 4))
    resp = open_by_hand("dispatcher", [a, b])
    assert resp.status_code == 201, resp.content
    incident = resp.json()
    assert incident["members"] == [a.pk, b.pk] and incident["status"] == "suspected"
    assert incident["opened_by"] == "dispatcher"
    path = f"/api/v1/incidents/{incident['id']}/actions"

    added = api("dispatcher").post(f"{path}/add_member", {"order": c.pk})
    assert added.json()["members"] == [a.pk, b.pk, c.pk]
    removed = api("dispatcher").post(f"{path}/remove_member", {"order": a.pk})
    assert removed.json()["members"] == [b.pk, c.pk]
    # The removed order is offered for dispatch again and says it belongs to no incident.
    assert api("dispatcher").get(f"/api/v1/orders/{a.pk}").json()["incident"] is None
    perform(a.pk, "assign", org.dispatcher, {"technician": "tech"})
    actions = list(
        IncidentEvent.objects.filter(incident_id=incident["id"]).values_list("action", flat=True)
    )
    assert actions == ["open", "add_member", "remove_member"]


def test_bad_member_requests_name_the_field(org: Any, lead: Any) -> None:
    a, b = report(org, 1), report(org, 2)
    incident = open_by_hand("dispatcher", [a]).json()
    path = f"/api/v1/incidents/{incident['id']}/actions"
    not_member = api("dispatcher").post(f"{path}/remove_member", {"order": b.pk})
    assert not_member.status_code == 422
    assert "order" in not_member.json()["error"]["fields"]
    missing = api("dispatcher").post(f"{path}/add_member", {})
    assert missing.status_code == 422 and "order" in missing.json()["error"]["fields"]
    past = api("manager").post(
        f"{path}/confirm_outage", {"expected_restore_at": "2020-01-01T08:00:00+08:00"}
    )
    assert past.status_code == 422
    assert "expected_restore_at" in past.json()["error"]["fields"]
    naive = api("manager").post(f"{path}/confirm_outage", {"expected_restore_at": "2030-01-01"})
    assert naive.status_code == 422
    assert "expected_restore_at" in naive.json()["error"]["fields"]
    other = open_by_hand("dispatcher", [a], area="GS-DG-07")
    assert other.status_code == 422 and "order" in other.json()["error"]["fields"]
    unknown = api("dispatcher").post(f"/api/v1/incidents/{incident['id']}/actions/explode", {})
    assert unknown.status_code == 404


def test_only_a_manager_confirms_and_a_technician_cannot_manage(org: Any, lead: Any) -> None:
    a = report(org, 1)
    incident = open_by_hand("dispatcher", [a]).json()
    path = f"/api/v1/incidents/{incident['id']}/actions"
    body = {"expected_restore_at": "2030-01-01T08:00:00+08:00"}
    for who in ("dispatcher", "admin", "quality"):
        assert api(who).post(f"{path}/confirm_outage", body).status_code == 403, who
    assert open_by_hand("tech", [a]).status_code == 403
    assert api("manager").post(f"{path}/confirm_outage", body).status_code == 200
    again = api("manager").post(f"{path}/confirm_outage", body)
    assert again.status_code == 409
    assert again.json()["error"]["state"] == "outage"


def test_removing_a_held_member_resumes_its_clock(org: Any, lead: Any, at: Any) -> None:
    with at("2026-11-24 09:00"):
        a, b = report(org, 1), report(org, 2)
        incident = open_by_hand("dispatcher", [a, b]).json()
    path = f"/api/v1/incidents/{incident['id']}/actions"
    with at("2026-11-24 09:30"):
        api("manager").post(
            f"{path}/confirm_outage", {"expected_restore_at": "2026-11-24T12:00:00+08:00"}
        )
    with at("2026-11-24 10:30"):
        assert restore_clock("manager", a.pk)["status"] == "paused"
        api("dispatcher").post(f"{path}/remove_member", {"order": a.pk})
    with at("2026-11-24 11:00"):
        clock = restore_clock("manager", a.pk)
    assert clock["status"] == "running" and clock["paused_seconds"] == 3600
    assert WorkOrder.objects.get(pk=a.pk).status == "received"
    assert [e.action for e in WorkOrder.objects.get(pk=a.pk).events.order_by("seq")] == [
        "create",
        "suspend",
        "resume",
    ]


def test_the_board_groups_members_under_their_incident_and_assign_refuses_them(
    org: Any, lead: Any, at: Any
) -> None:
    with at("2026-11-24 09:00"):
        members = [report(org, n) for n in range(1, 6)]
        loner = report(org, 9, area="GS-XX-01")
    incident = Incident.objects.get()
    client = Client()
    client.force_login(org.dispatcher)
    with at("2026-11-24 09:10"):
        page = client.get("/dispatch/?branch=GS&day=2026-11-24").content.decode()
    assert f'id="i-{incident.pk}"' in page and "5 张工单" in page
    assert f'id="u-{loner.pk}"' in page
    for o in members:
        assert f'id="u-{o.pk}"' not in page
    refused = api("dispatcher").post(
        f"/api/v1/orders/{members[0].pk}/actions/assign", {"technician": "tech"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "in_incident"


def test_an_order_already_with_a_technician_keeps_going_after_close(
    org: Any, lead: Any, at: Any
) -> None:
    with at("2026-11-24 09:00"):
        a = report(org, 1)
        walk_to(a.pk, org, "on_site")
        b = report(org, 2)
        incident = open_by_hand("dispatcher", [a, b]).json()
    path = f"/api/v1/incidents/{incident['id']}/actions"
    with at("2026-11-24 09:30"):
        api("manager").post(
            f"{path}/confirm_outage", {"expected_restore_at": "2026-11-24T12:00:00+08:00"}
        )
    with at("2026-11-24 11:00"):
        api("manager").post(f"{path}/close", {})
    # Fixed by the close (no list: all members), but a technician is on site: back to on_site.
    assert WorkOrder.objects.get(pk=a.pk).status == "on_site"
    assert WorkOrder.objects.get(pk=b.pk).status == "cancelled"


def test_users_see_the_incidents_of_their_branch(org: Any, lead: Any) -> None:
    tl_dispatcher = make_user("tl_dispatcher", ["dispatcher"], org.tl)
    a = report(org, 1)
    incident = open_by_hand("dispatcher", [a]).json()
    assert api("tl_dispatcher").get("/api/v1/incidents").json()["incidents"] == []
    assert api("tl_dispatcher").get(f"/api/v1/incidents/{incident['id']}").status_code == 404
    assert [i["id"] for i in api("manager").get("/api/v1/incidents").json()["incidents"]] == [
        incident["id"]
    ]
    page = Client()
    page.force_login(org.dispatcher)
    detail = page.get(f"/incidents/{incident['id']}/")
    assert detail.status_code == 200 and a.number in detail.content.decode()
    other = Client()
    other.force_login(tl_dispatcher)
    assert other.get(f"/incidents/{incident['id']}/").status_code == 404


def test_closing_a_suspected_incident_is_a_false_alarm_and_sends_members_back_to_dispatch(
    org: Any, lead: Any
) -> None:
    a, b = report(org, 1), report(org, 2)
    incident = open_by_hand("dispatcher", [a, b]).json()
    closed = api("dispatcher").post(f"/api/v1/incidents/{incident['id']}/actions/close", {})
    assert closed.json()["status"] == "closed"
    for o in (a, b):
        order = WorkOrder.objects.get(pk=o.pk)
        assert order.status == "received" and order.event_count == 1  # untouched
    perform(a.pk, "assign", org.dispatcher, {"technician": "tech"})


def test_an_order_id_past_what_the_database_holds_is_a_422_not_a_crash(org: Any) -> None:
    """A 28-digit id among the orders of a new incident reached the database and crashed."""
    a = report(org, 1)
    resp = api("dispatcher").post(
        "/api/v1/incidents",
        {"branch": "GS", "area": "GS-DG-01", "orders": [a.pk, 1719176348522185951989989376]},
    )
    assert resp.status_code == 422, resp.content
    assert list(resp.json()["error"]["fields"]) == ["orders.1"]
    assert not Incident.objects.exists()
