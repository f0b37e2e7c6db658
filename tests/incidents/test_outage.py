"""R14: reports from one area open a batch-fault incident; a manager's confirmation pauses the
members' restore clocks and tells each customer once; closing resumes them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from doorstep.incidents.models import Incident
from doorstep.notifications.models import Notification
from doorstep.orders.models import WorkOrder
from tests.conftest import bearer
from tests.incidents.conftest import report

pytestmark = pytest.mark.django_db


def api(username: str) -> Any:
    client = Client()
    headers = bearer(username)

    class Api:
        def get(self, path: str) -> Any:
            return client.get(path, headers=headers)

        def post(self, path: str, body: dict[str, Any]) -> Any:
            return client.post(
                path, data=json.dumps(body), content_type="application/json", headers=headers
            )

    return Api()


def restore_clock(username: str, order_id: int) -> dict[str, Any]:
    resp = api(username).get(f"/api/v1/orders/{order_id}/clocks")
    assert resp.status_code == 200, resp.content
    return next(c for c in resp.json() if c["name"] == "restore")


def eight_reports(org: Any, at: Any) -> list[Any]:
    """Eight fault reports from one area, five minutes apart from 09:00; the 3rd and the 7th
    come from the same customer (one line, reported twice)."""
    orders = []
    for n in range(1, 9):
        with at(f"2026-11-24 09:{(n - 1) * 5:02d}"):
            same = "13812340003" if n == 7 else None
            orders.append(report(org, n, phone=same))
    return orders


def test_an_outage_of_eight_reports_opens_at_the_fifth_pauses_resumes_and_tells_each_once(
    org: Any, lead: Any, at: Any
) -> None:
    orders = []
    for n in range(1, 9):
        with at(f"2026-11-24 09:{(n - 1) * 5:02d}"):
            orders.append(report(org, n, phone="13812340003" if n == 7 else None))
        if n == 4:
            assert not Incident.objects.exists()
        if n == 5:
            incident = Incident.objects.get()
            assert incident.status == "suspected" and incident.opened_by is None
            assert api("dispatcher").get(f"/api/v1/incidents/{incident.pk}").json()["members"] == [
                o.pk for o in orders
            ]
    body = api("dispatcher").get(f"/api/v1/incidents/{incident.pk}").json()
    assert body["members"] == [o.pk for o in orders]
    assert body["area"] == "GS-DG-01" and body["status"] == "suspected"
    # The team lead hears at once; the manager 15 minutes later (the policy's default).
    lead_note = Notification.objects.get(kind="incident", recipient=lead)
    manager_note = Notification.objects.get(kind="incident", recipient=org.manager)
    assert manager_note.available_at - lead_note.available_at == timedelta(minutes=15)
    assert api("operator").get(f"/api/v1/orders/{orders[0].pk}").json()["incident"] == incident.pk

    # Only a manager confirms.
    with at("2026-11-24 10:00"):
        refused = api("dispatcher").post(
            f"/api/v1/incidents/{incident.pk}/actions/confirm_outage",
            {"expected_restore_at": "2026-11-24T14:00:00+08:00"},
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        before = restore_clock("manager", orders[0].pk)
        assert before["status"] == "running"
        ok = api("manager").post(
            f"/api/v1/incidents/{incident.pk}/actions/confirm_outage",
            {"expected_restore_at": "2026-11-24T14:00:00+08:00", "note": "大关光交箱断纤"},
        )
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "outage"
    # The manager confirmed before their delayed notice went out: it is withdrawn.
    manager_note.refresh_from_db()
    assert manager_note.status == "cancelled"

    for o in orders:
        order = WorkOrder.objects.get(pk=o.pk)
        assert order.status == "suspended"
        last = order.events.order_by("-seq").first()
        assert last.action == "suspend" and last.payload["reason"] == "outage"
        assert f"批量障碍 #{incident.pk}" in last.payload["note"]
    with at("2026-11-24 11:00"):
        paused = restore_clock("manager", orders[0].pk)
    assert paused["status"] == "paused"
    # While paused, the deadline moves with every minute of the pause (one hour so far).
    assert datetime.fromisoformat(paused["deadline"]) == datetime.fromisoformat(
        before["deadline"]
    ) + timedelta(hours=1)

    notices = Notification.objects.filter(template="batch_fault")
    phones = sorted(n.to_phone for n in notices)
    assert len(phones) == 7 == len(set(phones))  # 8 orders, 7 customers: one notice each
    assert all("GS-DG-01" in n.body and "11月24日 14:00" in n.body for n in notices)

    # Three hours later the fibre is spliced: six members are fixed, two are not.
    fixed, unfixed = orders[:6], orders[6:]
    with at("2026-11-24 13:00"):
        closed = api("dispatcher").post(
            f"/api/v1/incidents/{incident.pk}/actions/close",
            {"note": "已熔接", "fixed": [o.pk for o in fixed]},
        )
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    with at("2026-11-24 13:30"):
        for o in unfixed:
            clock = restore_clock("manager", o.pk)
            assert WorkOrder.objects.get(pk=o.pk).status == "received"
            assert clock["status"] == "running"
            assert clock["paused_seconds"] == 3 * 3600
            reported = datetime.fromisoformat(clock["started_at"])
            assert datetime.fromisoformat(clock["deadline"]) == reported + timedelta(hours=27)
        for o in fixed:
            assert WorkOrder.objects.get(pk=o.pk).status == "cancelled"
            clock = restore_clock("manager", o.pk)
            assert clock["status"] == "met"
            assert clock["stopped_at"] == "2026-11-24T05:00:00+00:00"
    # Still exactly one notice per customer after all that.
    assert Notification.objects.filter(template="batch_fault").count() == 7


def test_a_report_after_the_confirmation_joins_is_held_and_its_customer_told(
    org: Any, lead: Any, at: Any
) -> None:
    eight_reports(org, at)
    incident = Incident.objects.get()
    with at("2026-11-24 10:00"):
        api("manager").post(
            f"/api/v1/incidents/{incident.pk}/actions/confirm_outage",
            {"expected_restore_at": "2026-11-24T14:00:00+08:00"},
        )
    with at("2026-11-24 10:20"):
        resp = Client().post(
            "/api/v1/orders",
            data=json.dumps(
                {
                    "kind": "repair",
                    "fault_class": "line",
                    "customer": {"name": "王五", "phone": "13900001111", "address": "大关小区9幢"},
                    "symptom": "无法上网",
                    "branch": "GS",
                    "area": "GS-DG-01",
                }
            ),
            content_type="application/json",
            headers=bearer("operator"),
        )
    assert resp.status_code == 201, resp.content
    late = resp.json()
    assert late["incident"] == incident.pk
    assert late["status"] == "suspended"
    assert next(c for c in late["clocks"] if c["name"] == "restore")["status"] == "paused"
    assert Notification.objects.filter(template="batch_fault", to_phone="13900001111").count() == 1


def test_four_reports_or_another_area_or_an_hour_apart_open_nothing(
    org: Any, lead: Any, at: Any
) -> None:
    for n in range(1, 5):
        with at(f"2026-11-24 09:0{n}"):
            report(org, n)
    with at("2026-11-24 09:10"):
        report(org, 5, area="GS-DG-02")
    with at("2026-11-24 10:30"):
        report(org, 6)  # the first four are more than 60 minutes old by now
    assert not Incident.objects.exists()


def test_the_threshold_is_the_policy_row(org: Any, lead: Any, at: Any) -> None:
    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    row = Policy.objects.get(key="incident.threshold")
    row.params = {"reports": 3}
    row.save()
    policies.clear_cache()
    for n in range(1, 4):
        with at(f"2026-11-24 09:0{n}"):
            report(org, n)
    assert Incident.objects.get().members.count() == 3

    row.enabled = False
    row.save()
    policies.clear_cache()
    for n in range(1, 6):
        with at(f"2026-11-24 09:1{n}"):
            report(org, 10 + n, area="GS-DG-09")
    assert Incident.objects.count() == 1
