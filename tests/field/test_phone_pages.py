"""The technician's phone pages, through Django's test client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.test import Client

from doorstep.orders.actions import create_order, perform
from doorstep.standards import policies
from doorstep.standards.models import Policy
from tests.conftest import install_data, iso, repair_data, walk_to

MORNING = "2026-11-20 09:00 +0800"
EARLY = "2026-11-20 08:00 +0800"


def client_for(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pw-" + username)
    return c


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-20T{hhmm}:00+08:00")


def book(order_id: int, org: Any, start: datetime, hours: int = 1, reached: bool = True) -> None:
    perform(order_id, "assign", org.dispatcher, {"technician": "tech"})
    perform(order_id, "accept", org.tech, {})
    if reached:
        perform(order_id, "contact", org.tech, {"outcome": "reached"})
    end = start + timedelta(hours=hours)
    perform(order_id, "schedule", org.tech, {"start": iso(start), "end": iso(end)})


def warning(html: str, element_id: str) -> str:
    match = re.search(rf'<p class="warn" id="{element_id}"[^>]*>([^<]*)</p>', html)
    assert match, f"no #{element_id} on the page"
    return match.group(0)


def test_my_day_lists_only_my_orders_sorted_by_appointment_with_the_next_step(org: Any) -> None:
    with time_machine.travel(EARLY, tick=False):
        afternoon, _ = create_order(org.operator, repair_data())
        book(afternoon.pk, org, at("14:00"), hours=2)
        morning, _ = create_order(
            org.operator, install_data(customer={**install_data()["customer"], "name": "王五"})
        )
        book(morning.pk, org, at("10:00"))
        new, _ = create_order(org.operator, repair_data(symptom="IPTV 花屏"))
        perform(new.pk, "assign", org.dispatcher, {"technician": "tech"})
        to_book, _ = create_order(org.operator, repair_data(symptom="电话无拨号音"))
        perform(to_book.pk, "assign", org.dispatcher, {"technician": "tech"})
        perform(to_book.pk, "accept", org.tech, {})
        perform(to_book.pk, "contact", org.tech, {"outcome": "reached"})
        someone_elses, _ = create_order(org.operator, repair_data(symptom="网速慢"))
        perform(someone_elses.pk, "assign", org.dispatcher, {"technician": "other_tech"})

    with time_machine.travel(MORNING, tick=False):
        html = client_for("tech").get("/m/").content.decode()

    visits, rest = html.split('id="to-accept"')
    accept_part, book_part = rest.split('id="to-book"')
    # Today's visits by booked time: the 10:00 install before the 14:00 repair.
    assert visits.index(morning.number) < visits.index(afternoon.number)
    assert new.number in accept_part and to_book.number in book_part
    assert someone_elses.number not in html
    # The next thing to do for each: the install is inside its R3 window (60 min before 10:00).
    card = re.search(rf"{morning.number}.*?next-step\">([^<]+)<", visits, re.S)
    assert card and card.group(1) == "上门前电话确认"
    card = re.search(rf"{afternoon.number}.*?next-step\">([^<]+)<", visits, re.S)
    assert card and card.group(1) == "备齐物品后出发"
    assert "接单" in accept_part and "VIP" in visits  # the install customer is a VIP
    # The new order was never called: its 30-minute contact clock ran out at 08:30.
    overdue = re.search(r'id="overdue"[^>]*><b>(\d+)</b>', html)
    assert overdue and overdue.group(1) == "1"


def test_the_order_page_offers_only_what_the_state_allows(org: Any, repair_order: Any) -> None:
    c = client_for("tech")
    walk_to(repair_order.pk, org, "dispatched")
    html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert 'data-step="accept"' in html and 'data-action="accept"' in html
    for absent in ("complete", "schedule", "depart", "arrive", "absent", "consent"):
        assert f'data-action="{absent}"' not in html

    perform(repair_order.pk, "accept", org.tech, {})
    html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    # Accepted and not yet called: call first (tel: link, outcomes, the script), booking after.
    assert 'data-step="call"' in html and 'href="tel:13812345678"' in html
    assert "张三先生/女士" in html and "Tech" in html and org.tech.staff.employee_no in html
    assert 'data-action="schedule"' in html and 'data-action="accept"' not in html

    perform(repair_order.pk, "contact", org.tech, {"outcome": "reached"})
    html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert 'data-step="book"' in html

    start = datetime.now().astimezone() + timedelta(hours=1)
    window = {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    for action, body in [("schedule", window), ("depart", {}), ("arrive", {})]:
        perform(repair_order.pk, action, org.tech, body)
    html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert 'data-step="work"' in html
    for present in ("complete", "consent", "absent", "contact"):
        assert f'data-action="{present}"' in html
    for gone in ("accept", "schedule", "depart", "arrive", "notify_delay", "reschedule"):
        assert f'data-action="{gone}"' not in html
    # The visit note comes prefilled from the not_home script and the arrival time.
    assert "到访留言" in html and 'name="arrived_at"' in html
    assert re.search(r'name="arrived_at" data-type="datetime" value="\d{4}-\d\d-\d\dT', html)


def test_the_phrase_check_returns_the_hit_and_the_suggestion(org: Any) -> None:
    c = client_for("tech")
    resp = c.post(
        "/m/phrases/check/",
        {"text": "您的问题我无法解决，找有关部门吧"},
        content_type="application/json",
    )
    body = resp.json()
    assert resp.status_code == 200 and body["ok"] is False
    assert any("无法解决" in h["matched"] for h in body["hits"])
    assert "暂时还没有解决方案" in (body["suggestion"] or body["message"])
    clean = c.post(
        "/m/phrases/check/",
        {"text": "您好，师傅今天下午14:00上门"},
        content_type="application/json",
    )
    assert clean.json() == {"ok": True, "hits": [], "suggestion": None, "message": ""}


def test_r7_and_r8_warnings_show_inside_their_windows_from_the_policies(org: Any) -> None:
    with time_machine.travel(EARLY, tick=False):
        repair_order, _ = create_order(org.operator, repair_data())
        book(repair_order.pk, org, at("09:20"))
    c = client_for("tech")
    with time_machine.travel("2026-11-20 08:10 +0800", tick=False):
        html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    # 70 minutes before: inside the 2 h of R7, outside the 30 min of R8.
    assert "hidden" not in warning(html, "r7-warning")
    assert "距预约不足 2 小时改约将记为违规" in warning(html, "r7-warning")
    assert "hidden" in warning(html, "r8-warning")
    with time_machine.travel(MORNING, tick=False):
        html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert "hidden" not in warning(html, "r8-warning")
    assert "距预约不足 30 分钟告知将记为迟到未提前告知" in warning(html, "r8-warning")

    # The numbers are the policies', not the page's.
    Policy.objects.filter(key="check.R7").update(minutes=45)
    policies.clear_cache()
    with time_machine.travel("2026-11-20 08:10 +0800", tick=False):
        html = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert "hidden" in warning(html, "r7-warning")
    assert "距预约不足 45 分钟改约将记为违规" in warning(html, "r7-warning")


def test_another_technician_gets_404(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    assert client_for("other_tech").get(f"/m/orders/{repair_order.pk}/").status_code == 404
    assert client_for("dispatcher").get(f"/m/orders/{repair_order.pk}/").status_code == 404
    assert client_for("tech").get(f"/m/orders/{repair_order.pk}/").status_code == 200
    assert repair_order.number not in client_for("other_tech").get("/m/").content.decode()
