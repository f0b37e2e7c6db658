"""Complaints are cases (SPEC §5): opened without a penalty, decided by `verify_complaint`;
only an upheld one opens its R20 entry, against the technician or else the branch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from doorstep.core.errors import Conflict, Forbidden, InvalidInput
from doorstep.dispatch.services import plannable_orders, suggest
from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order
from doorstep.quality.models import Complaint
from doorstep.standards.models import Penalty
from tests.conftest import bearer, repair_data
from tests.quality.conftest import do

D = "2026-11-20"


def assigned(org: Any, at: Any, phone: str = "13812345678") -> Any:
    data = repair_data(
        customer={"name": "张三", "phone": phone, "address": f"大关小区{phone[-3:]}室"}
    )
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, data)
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, technician="tech")
    return order


def complain(at: Any, order: Any, who: Any, channel: str = "hotline") -> Complaint:
    do(at, f"{D} 10:00", order, "complain", who, channel=channel, note="师傅态度差，约好不来")
    return Complaint.objects.filter(order=order).latest("id")


def verify(at: Any, order: Any, case: Complaint, who: Any, finding: str) -> Any:
    return do(
        at,
        f"{D} 15:00",
        order,
        "verify_complaint",
        who,
        complaint=case.pk,
        finding=finding,
        note="调取通话录音核实",
    )


def test_a_complaint_opens_a_case_and_charges_nothing_yet(org: Any, at: Any) -> None:
    order = assigned(org, at)
    case = complain(at, order, org.operator)
    assert (case.channel, case.finding, case.opened_by) == ("hotline", "", org.operator)
    assert not Penalty.objects.filter(order=order).exclude(rule="R1").exists()
    with at(f"{D} 10:01"):
        body = Client().get(f"/api/v1/orders/{order.pk}", headers=bearer("quality")).json()
    assert body["complaints"] == [{"id": case.pk, "channel": "hotline", "finding": None}]


def test_an_upheld_complaint_opens_its_entry_against_the_technician(org: Any, at: Any) -> None:
    order = assigned(org, at)
    case = complain(at, order, org.operator)
    verify(at, order, case, org.quality, "upheld")
    entry = Penalty.objects.get(order=order, rule="R20")
    assert (entry.amount, entry.technician, entry.branch) == (Decimal("100"), org.tech, org.gs)
    case.refresh_from_db()
    assert (case.finding, case.decided_by, case.charged_technician) == (
        "upheld",
        org.quality,
        org.tech,
    )
    # The customer is told the finding, once.
    told = Notification.objects.filter(order=order, template="complaint_finding")
    assert told.count() == 1 and "属实" in told.get().body
    with at(f"{D} 15:01"):
        body = Client().get(f"/api/v1/orders/{order.pk}", headers=bearer("quality")).json()
    assert body["complaints"] == [{"id": case.pk, "channel": "hotline", "finding": "upheld"}]


def test_a_rejected_complaint_opens_no_entry(org: Any, at: Any) -> None:
    order = assigned(org, at)
    case = complain(at, order, org.operator, "mayor_hotline")
    verify(at, order, case, org.manager, "rejected")
    assert not Penalty.objects.filter(order=order, rule="R20").exists()
    case.refresh_from_db()
    assert case.finding == "rejected" and case.charged_technician is None


@pytest.mark.parametrize(
    ("channel", "amount"),
    [("mayor_hotline", "30"), ("bureau_leadership", "30"), ("company_leadership", "20")],
)
def test_a_complaint_with_no_technician_is_charged_to_the_branch(
    org: Any, at: Any, channel: str, amount: str
) -> None:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, repair_data())
    case = complain(at, order, org.quality, channel)
    verify(at, order, case, org.quality, "upheld")
    entry = Penalty.objects.get(order=order, rule="R20")
    assert (entry.amount, entry.technician_id, entry.branch) == (Decimal(amount), None, org.gs)


def test_only_quality_and_managers_decide_a_case_once_and_the_case_must_be_the_orders(
    org: Any, at: Any
) -> None:
    order = assigned(org, at)
    other = assigned(org, at, phone="13900001111")
    case = complain(at, order, org.operator)
    with pytest.raises(Forbidden):
        verify(at, order, case, org.operator, "upheld")
    with pytest.raises(InvalidInput) as wrong:
        verify(at, other, case, org.quality, "upheld")
    assert "complaint" in wrong.value.fields
    verify(at, order, case, org.quality, "rejected")
    with pytest.raises(Conflict):
        verify(at, order, case, org.manager, "upheld")
    assert not Penalty.objects.filter(rule="R20").exists()
    # Over the API a missing finding is named.
    with at(f"{D} 16:00"):
        resp = Client().post(
            f"/api/v1/orders/{order.pk}/actions/verify_complaint",
            data={"complaint": case.pk, "note": "x"},
            content_type="application/json",
            headers=bearer("quality"),
        )
    assert resp.status_code == 422 and "finding" in resp.json()["error"]["fields"]


def test_no_retaliation_the_complaining_customers_later_order_is_routed_as_normal(
    org: Any, at: Any
) -> None:
    from doorstep.org.models import Customer

    first = assigned(org, at)
    case = complain(at, first, org.operator)
    verify(at, first, case, org.quality, "upheld")
    with at("2026-11-25 09:00"):
        again, _ = create_order(
            org.operator,
            repair_data(
                customer={"name": "张三", "phone": "13812345678", "address": "大关小区678室"}
            ),
        )
        twin, _ = create_order(
            org.operator,
            repair_data(
                customer={"name": "李四", "phone": "13812340000", "address": "大关小区000室"}
            ),
        )
    assert again.customer_id == first.customer_id  # the same customer
    assert Customer.objects.get(pk=again.customer_id).grade == "normal"

    def routing(order: Any) -> Any:
        with at("2026-11-25 09:01"):
            body = Client().get(f"/api/v1/orders/{order.pk}", headers=bearer("dispatcher")).json()
            ideas = [(s.staff.user_id, s.score) for s in suggest(order)]
        deadlines = {c["name"]: c["deadline"] for c in body["clocks"]}
        return body["branch"], body["status"], deadlines, ideas

    assert routing(again) == routing(twin)
    with at("2026-11-25 09:01"):
        planned = {o.pk for o in plannable_orders(org.gs, again.reported_at.date())}
    assert {again.pk, twin.pk} <= planned
    # The technician the complaint was upheld against may still be sent.
    do(at, "2026-11-25 09:10", again, "assign", org.dispatcher, technician="tech")


def test_the_complaint_pages_filter_by_finding_and_record_a_finding(org: Any, at: Any) -> None:
    a = assigned(org, at)
    b = assigned(org, at, phone="13900002222")
    open_case = complain(at, a, org.operator)
    decided = complain(at, b, org.operator)
    verify(at, b, decided, org.quality, "rejected")
    c = Client()
    assert c.login(username="quality", password="pw-quality")
    assert f"投诉 #{open_case.pk}" in c.get("/quality/complaints/?status=open").content.decode()
    rejected = c.get("/quality/complaints/?status=rejected").content.decode()
    assert f"投诉 #{decided.pk}" in rejected and f"投诉 #{open_case.pk}<" not in rejected
    with at(f"{D} 17:00"):
        c.post(
            f"/quality/complaints/{open_case.pk}/",
            {"finding": "upheld", "note": "录音证实迟到且未告知"},
        )
    page = c.get(f"/quality/complaints/{open_case.pk}/").content.decode()
    assert "录音证实迟到且未告知" in page and "¥100" in page
    api = c.get("/api/v1/complaints?status=upheld", headers=bearer("quality")).json()
    assert [r["id"] for r in api["results"]] == [open_case.pk]
    assert api["results"][0]["charged_technician"] == "tech"
    # A technician sees no complaint list (it may be about them).
    assert c.login(username="tech", password="pw-tech")
    assert c.get("/quality/complaints/").status_code == 403
