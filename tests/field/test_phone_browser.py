"""The phone pages in a real Chromium at 390×844: a full install visit, a customer not at
home, and an action pressed without signal that reaches the server later with its own time."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
from doorstep.standards.models import Breach
from tests.conftest import install_data, repair_data, walk_to
from tests.web.browser import PHONE, browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(path: Path, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (64, 48), colour).save(path, "PNG")
    return str(path)


def wait_for_step(page: Any, step: str) -> None:
    page.wait_for_selector(f'#next-step[data-step="{step}"]')


def local_booking(minutes_ahead: int) -> tuple[str, str, str]:
    """A booking window that starts `minutes_ahead` from now, as the pickers want it."""
    start = timezone.localtime(timezone.now() + timedelta(minutes=minutes_ahead))
    end = start + timedelta(hours=1)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else "23:59"
    return start.strftime("%Y-%m-%d"), start.strftime("%H:%M"), end_text


def test_a_full_install_visit_from_accept_to_close_out(
    live_server: Any, org: Any, tmp_path: Path
) -> None:
    order, _ = create_order(org.operator, install_data())
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    base = live_server.url
    with browser_page(PHONE) as page:
        page.context.grant_permissions(["geolocation"], origin=base)
        page.context.set_geolocation({"latitude": 30.3271, "longitude": 120.1412})
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/")
        assert order.number in page.inner_text("#to-accept")
        shot(page, "phone-my-day")
        page.click(f'#to-accept a[data-order="{order.pk}"]')
        wait_for_step(page, "accept")
        shot(page, "phone-1-accept")
        page.click('#next-step form[data-action="accept"] button[type=submit]')

        wait_for_step(page, "call")
        assert page.locator('#next-step a[href^="tel:"]').count() == 1
        assert "李四先生/女士" in page.inner_text("#next-step .script")
        shot(page, "phone-2-call")
        page.click('#next-step button[value="reached"]')

        wait_for_step(page, "book")
        day, start, end = local_booking(30)
        page.fill("#book-date", day)
        page.fill("#book-start", start)
        page.fill("#book-end", end)
        shot(page, "phone-3-book")
        page.click('#next-step form[data-action="schedule"] button[type=submit]')

        # Booked 30 minutes ahead, so the call just made already counts as the R3 pre-visit call.
        wait_for_step(page, "depart")
        assert "✓" in page.inner_text("#card-pre-call > summary")
        for box in page.locator('#next-step input[name="checklist"]').all():
            box.check()
        assert page.locator("#next-step [data-kit-missing]").is_hidden()
        shot(page, "phone-4-depart")
        page.click('#next-step form[data-action="depart"] button[type=submit]')

        wait_for_step(page, "arrive")
        shot(page, "phone-5-arrive")
        page.click('#next-step form[data-action="arrive"] button[type=submit]')

        wait_for_step(page, "work")
        consent = page.locator('.consent[data-subject="drill_wall"]')
        consent.locator('button[value="true"]').click()
        page.wait_for_selector('.consent[data-subject="drill_wall"][data-granted="true"]')

        page.locator("#sig-pad").scroll_into_view_if_needed()
        box = page.locator("#sig-pad").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 40, box["y"] + 120)
        page.mouse.down()
        for i in range(1, 16):
            page.mouse.move(box["x"] + 40 + i * 14, box["y"] + 120 - (i % 4) * 18, steps=2)
        page.mouse.up()
        page.click("#sig-save")
        page.wait_for_selector('#sig-state[data-state="done"]')

        page.click('.stars label:has-text("5")')
        page.fill("#rating-comment", "师傅很专业")
        page.fill("#resolution", "500M 宽带与 IPTV 已开通，测速正常")
        page.check('#complete-form input[name="work"][value="drill_wall"]')
        # The evidence is not there yet: the R10 gate refuses and says what is missing.
        page.click("#complete-form button[type=submit]")
        page.wait_for_selector('#complete-form .err[data-for="photo"]:not(:empty)')
        assert "测速" in page.inner_text('#complete-form .err[data-for="speed_test"]')
        shot(page, "phone-6-r10-refused")

        page.set_input_files("#photo-input", png(tmp_path / "photo.png", (200, 120, 40)))
        page.wait_for_selector("#thumbs-photo figure.done")
        page.set_input_files("#speed-file", png(tmp_path / "speed.png", (20, 120, 200)))
        page.fill("#speed-down", "512.4")
        page.fill("#speed-up", "58.1")
        page.click("#speed-form button[type=submit]")
        page.wait_for_selector("#thumbs-speed_test figure.done")
        shot(page, "phone-7-evidence-and-signature")

        page.click("#complete-form button[type=submit]")
        page.wait_for_selector("#no-step")
        assert "已回单" in page.inner_text("#order-status")
        shot(page, "phone-8-completed")

    order.refresh_from_db()
    assert order.status == "completed"
    signature = Attachment.objects.get(order=order, kind="signature")
    assert Image.open(signature.file.path).size[0] > 100
    done = OrderEvent.objects.get(order=order, action="complete")
    assert done.payload["signature"] == signature.pk and done.payload["rating"] == 5
    assert done.payload["work"] == ["drill_wall"]
    speed = Attachment.objects.get(order=order, kind="speed_test")
    assert (speed.down_mbps, speed.up_mbps) == (512.4, 58.1)
    arrived = OrderEvent.objects.get(order=order, action="arrive")
    assert arrived.payload["lat"] == pytest.approx(30.3271)
    assert set(OrderEvent.objects.get(order=order, action="depart").payload["checklist"]) >= {
        "shoe_covers"
    }
    assert not Breach.objects.filter(order=order, rule__in=["R3", "R12"]).exists()


def default_templates() -> None:
    """A live-server test flushes every table, the notice templates migrate ships too: put
    them back as the migration does."""
    from django.apps import apps

    importlib.import_module(
        "doorstep.notifications.migrations.0003_default_templates"
    ).add_defaults(apps, None)


def test_a_repair_where_the_customer_is_not_home(live_server: Any, org: Any) -> None:
    default_templates()
    order, _ = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "en_route")
    base = live_server.url
    with browser_page(PHONE) as page:
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/orders/{order.pk}/")
        wait_for_step(page, "arrive")
        page.click('#next-step form[data-action="arrive"] button[type=submit]')
        wait_for_step(page, "work")

        page.click("#card-not-home > summary")
        page.wait_for_selector("#wait-timer .wait-clock:not(:has-text('—'))")
        assert page.locator('[data-warn="call"]').is_visible()
        page.click('#step-not-home button[value="no_answer"]')
        page.wait_for_selector('#calls-since-arrival[data-count="1"]')
        assert page.locator('[data-warn="call"]').is_hidden()
        # Left after a minute or so: the page says this will count against R9.
        assert page.locator('[data-warn="wait"]').is_visible()
        note = page.input_value("#nh-note")
        assert note.startswith("到访留言") and "张三先生/女士" in note
        assert page.input_value("#nh-person") == "Tech"
        assert page.input_value("#nh-arrived")
        shot(page, "phone-not-home")
        page.click('#step-not-home form[data-action="absent"] button[type=submit]')
        wait_for_step(page, "call")
        assert "已接单" in page.inner_text("#order-status")
        shot(page, "phone-not-home-back-to-booking")

    order.refresh_from_db()
    assert order.status == "accepted" and order.appointment_start is None
    arrive = OrderEvent.objects.get(order=order, action="arrive")
    absent = OrderEvent.objects.get(order=order, action="absent")
    assert absent.payload["arrived_at"].startswith(
        timezone.localtime(arrive.occurred_at).strftime("%Y-%m-%dT%H:%M:%S")
    )
    assert absent.payload["contact_person"] == "Tech" and "到访留言" in absent.payload["note"]
    sms = Notification.objects.get(order=order, kind="could_not_reach")  # the unanswered call
    assert sms.to_phone == "13812345678" and "服务工程师Tech，给您手机联系未接通" in sms.body
    assert Breach.objects.filter(order=order, rule="R9").exists()


def test_actions_pressed_offline_reach_the_server_with_their_own_time(
    live_server: Any, org: Any
) -> None:
    cancelled, _ = create_order(org.operator, repair_data(symptom="IPTV 花屏"))
    order, _ = create_order(org.operator, repair_data())
    for o in (cancelled, order):
        perform(o.pk, "assign", org.dispatcher, {"technician": "tech"})
    base = live_server.url
    with browser_page(PHONE) as page:
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/orders/{order.pk}/")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
        page.goto(f"{base}/m/orders/{cancelled.pk}/")
        wait_for_step(page, "accept")

        page.context.set_offline(True)
        page.click('#next-step form[data-action="accept"] button[type=submit]')
        page.wait_for_selector("#queue-count:has-text('待上传 1 项')")
        # Meanwhile the dispatcher cancels that order: its accept will be refused on replay.
        perform(cancelled.pk, "cancel", org.dispatcher, {"reason": "客户取消需求"})

        page.goto(f"{base}/m/orders/{order.pk}/")
        wait_for_step(page, "accept")
        before = timezone.now()
        page.click('#next-step form[data-action="accept"] button[type=submit]')
        after = timezone.now()
        page.wait_for_selector("#queue-count:has-text('待上传 2 项')")
        assert "pending" in (
            page.locator('#next-step form[data-action="accept"]').get_attribute("class") or ""
        )
        # Nothing is lost on reload: the queue lives in the browser.
        page.reload()
        page.wait_for_selector("#queue-count:has-text('待上传 2 项')")
        shot(page, "phone-offline-waiting")
        assert not OrderEvent.objects.filter(action="accept").exists()
        time.sleep(max(0.0, 2.5 - (timezone.now() - before).total_seconds()))

        page.context.set_offline(False)
        # The refused one is shown and dropped; it does not hold up the other.
        wait_for_step(page, "call")
        failed = page.inner_text("#failed-list")
        assert cancelled.number in failed and "撤单" in failed
        assert page.locator("#queue-count").inner_text() == ""
        shot(page, "phone-offline-sent")
        page.click("#failed-list button[data-dismiss]")
        page.wait_for_selector("#sync-bar", state="hidden")

    event = OrderEvent.objects.get(order=order, action="accept")
    assert before - timedelta(seconds=1) <= event.occurred_at <= after + timedelta(seconds=1)
    assert (event.recorded_at - event.occurred_at).total_seconds() >= 2
    assert WorkOrder.objects.get(pk=order.pk).status == "accepted"
    assert WorkOrder.objects.get(pk=cancelled.pk).status == "cancelled"


def test_the_delay_notice_warns_by_r8_and_rewords_banned_phrases_while_typing(
    live_server: Any, org: Any
) -> None:
    order, _ = create_order(org.operator, repair_data())
    start = timezone.now() + timedelta(minutes=20)
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(order.pk, "accept", org.tech, {})
    perform(
        order.pk,
        "schedule",
        org.tech,
        {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )
    base = live_server.url
    with browser_page(PHONE) as page:
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/orders/{order.pk}/")
        page.click("#card-reschedule > summary")
        assert page.locator("#r7-warning").is_visible()
        page.check('#step-reschedule input[name="requested_by"][value="customer"]')
        page.wait_for_selector("#r7-warning", state="hidden")

        page.click("#card-delay > summary")
        assert "距预约不足 30 分钟告知将记为迟到未提前告知" in page.inner_text("#r8-warning")
        page.fill("#delay-reason", "您的问题我无法解决，找有关部门吧")
        hint = page.locator("#step-delay .phrase-hint")
        hint.wait_for(state="visible")
        assert "无法解决" in hint.inner_text()
        shot(page, "phone-banned-phrase")
        hint.locator("button.use").click()
        suggested = page.input_value("#delay-reason")
        assert "无法解决" not in suggested and suggested
        page.click("#step-delay .chip:has-text('交通拥堵')")
        assert "因为交通拥堵原因" in page.inner_text("#step-delay .script")
        with page.expect_navigation():
            page.click('#step-delay form[data-action="notify_delay"] button[type=submit]')
        assert page.url.endswith("#card-delay")

    event = OrderEvent.objects.get(order=order, action="notify_delay")
    assert event.payload["reason"] == "交通拥堵"
