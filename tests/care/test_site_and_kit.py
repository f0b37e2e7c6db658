"""Site not ready (001), engineering hand-over (003), R24 kit check on depart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from doorstep.care.models import EngineeringHandover, KitItem, SiteReport
from doorstep.core.errors import GateRefused, InvalidInput
from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order, perform
from tests.care.helpers import to_on_site
from tests.conftest import install_data, iso, repair_data

D = "2026-11-20"


def _install_on_site(org: Any, at: Any) -> Any:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, install_data())
        to_on_site(order, org, org.tech)
    return order


def test_a_site_not_ready_reaches_dispatch_with_its_reason_and_the_consent(
    org: Any, at: Any
) -> None:
    order = _install_on_site(org, at)
    with at(f"{D} 10:00"):
        order, event = perform(
            order.pk,
            "site_not_ready",
            org.tech,
            {"reason": "no_port", "customer_consent": True, "note": "分纤箱无空闲端口"},
        )
    assert order.status == "returned" and order.technician is None
    report = SiteReport.objects.get(order=order)
    assert (report.reason, report.customer_consent, report.event) == ("no_port", True, event)
    told = Notification.objects.get(kind="site_not_ready", order=order)
    assert told.recipient == org.dispatcher and "无端口资源" in told.body


def test_leaving_without_the_customers_consent_is_refused(org: Any, at: Any) -> None:
    order = _install_on_site(org, at)
    with at(f"{D} 10:00"), pytest.raises(InvalidInput) as err:
        perform(
            order.pk, "site_not_ready", org.tech, {"reason": "no_cable", "customer_consent": False}
        )
    assert "customer_consent" in err.value.fields
    assert not SiteReport.objects.exists()


def test_a_cutover_fault_goes_to_engineering_with_a_4_hour_deadline_and_the_customer_told(
    org: Any, at: Any
) -> None:
    with at(f"{D} 08:00"):
        order, _ = create_order(org.operator, repair_data())
    with at(f"{D} 09:00"):
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    with at(f"{D} 14:00"):
        perform(
            order.pk,
            "escalate_engineering",
            org.tech,
            {
                "kind": "cutover",
                "team": "城北割接工程队",
                "team_phone": "13900001234",
                "customer_reached": True,
            },
        )
    h = EngineeringHandover.objects.get(order=order)
    assert h.deadline - h.received_at == timedelta(hours=4)
    assert not h.on_time  # 5 h after the fault reached the technician
    notice = Notification.objects.get(kind="engineering_handover", order=order)
    assert notice.to_phone == "13812345678" and "13900001234" in notice.body
    from django.test import Client

    desk = Client()
    desk.force_login(org.dispatcher)
    page = desk.get("/care/sites/").content.decode()
    assert "城北割接工程队" in page and "超过4小时" in page


def test_the_hand_over_needs_the_customer_reached(org: Any, at: Any) -> None:
    with at(f"{D} 08:00"):
        order, _ = create_order(org.operator, repair_data())
    with at(f"{D} 09:00"), pytest.raises(InvalidInput) as err:
        perform(
            order.pk,
            "escalate_engineering",
            org.dispatcher,
            {
                "kind": "cable",
                "team": "电缆班",
                "team_phone": "13900001234",
                "customer_reached": False,
            },
        )
    assert "customer_reached" in err.value.fields


def _scheduled(org: Any) -> Any:
    order, _ = create_order(org.operator, install_data())
    start = timezone.now() + timedelta(hours=1)
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(order.pk, "accept", org.tech, {})
    perform(
        order.pk,
        "schedule",
        org.tech,
        {"start": iso(start), "end": iso(start + timedelta(hours=1))},
    )
    return order


def test_depart_is_refused_without_the_branchs_required_kit(org: Any) -> None:
    KitItem.objects.create(branch=org.gs, code="shoe_covers", label="鞋套", required=True)
    KitItem.objects.create(branch=org.gs, code="rag", label="抹布", required=True)
    KitItem.objects.create(branch=org.gs, code="flyer", label="宣传单", required=False)
    order = _scheduled(org)
    with pytest.raises(GateRefused) as err:
        perform(order.pk, "depart", org.tech, {"checklist": ["shoe_covers"]})
    assert err.value.rule == "R24" and "抹布" in err.value.fields["checklist"][0]
    order, event = perform(order.pk, "depart", org.tech, {"checklist": ["shoe_covers", "rag"]})
    assert order.status == "en_route"
    assert event.payload["checklist_missing"] == ["flyer"]


def test_a_branch_without_its_own_list_uses_the_organisations(org: Any) -> None:
    KitItem.objects.create(code="badge", label="工号牌", required=True)
    KitItem.objects.create(code="shoe_covers", label="鞋套")
    order = _scheduled(org)
    with pytest.raises(GateRefused):
        perform(order.pk, "depart", org.tech, {"checklist": ["shoe_covers"]})
    _, event = perform(order.pk, "depart", org.tech, {"checklist": ["工号牌"]})
    assert event.payload["checklist_missing"] == ["shoe_covers"]


def test_with_no_rows_the_chosen_seed_checklist_is_recorded_but_not_required(org: Any) -> None:
    order = _scheduled(org)
    _, event = perform(order.pk, "depart", org.tech, {"checklist": ["鞋套"]})
    # 000's 「五个一」 (the default seed list): everything but the shoe covers is missing.
    assert "shoe_covers" not in event.payload["checklist_missing"]
    assert "wiping_cloth" in event.payload["checklist_missing"]
