"""The badge: a printable card with a QR code for office roles, a public page with photo, name,
number and stars, and a last-four check that answers yes or no and nothing else."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from doorstep.customers.badges import badge_of
from doorstep.orders.actions import create_order, perform
from doorstep.org.models import Staff
from tests.conftest import bearer, iso, repair_data

pytestmark = pytest.mark.django_db


def booked(org: Any, phone: str, name: str, start_in: timedelta) -> Any:
    data = repair_data()
    data["customer"] = dict(data["customer"], phone=phone, name=name)
    order, _ = create_order(org.operator, data)
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(order.pk, "accept", org.tech, {})
    start = timezone.now() + start_in
    perform(
        order.pk,
        "schedule",
        org.tech,
        {"start": iso(start), "end": iso(start + timedelta(hours=1))},
    )
    return order


def badge_url(org: Any) -> str:
    return "/b/" + badge_of(Staff.objects.get(user=org.tech)).slug


def test_the_printable_card_carries_a_qr_code_of_the_public_page(org: Any) -> None:
    c = Client()
    c.force_login(org.dispatcher)
    listing = c.get("/customers/badges/").content.decode()
    assert "Tech" in listing and "Township_Tech" not in listing
    page = c.get("/customers/badges/tech/")
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "@media print" in text
    assert f"http://testserver{badge_url(org)}" in text


def test_only_office_roles_print_badges(org: Any) -> None:
    c = Client()
    c.force_login(org.tech)
    assert c.get("/customers/badges/tech/").status_code == 403
    assert Client().get("/customers/badges/tech/").status_code == 302  # to the login page


def test_the_badge_url_is_not_a_guessable_id(org: Any) -> None:
    url = badge_url(org)
    staff = Staff.objects.get(user=org.tech)
    slug = url.rsplit("/", 1)[1]
    assert len(slug) >= 12 and str(staff.pk) != slug and staff.employee_no not in slug
    altered = slug[:-1] + ("y" if slug.endswith("x") else "x")
    assert Client().get("/b/" + altered).status_code == 404


def test_the_public_badge_page_shows_the_card_and_nothing_else(org: Any) -> None:
    booked(org, "13812345678", "张三", timedelta(hours=2))
    page = Client().get(badge_url(org))
    text = page.content.decode()
    staff = Staff.objects.get(user=org.tech)
    assert page.status_code == 200
    assert staff.name in text and staff.employee_no in text and "暂无" in text
    assert "拱墅营维中心" in text
    assert "张三" not in text and "5678" not in text and "大关" not in text
    assert staff.phone not in text


# Mid-morning in Hangzhou, so "in 30 minutes" and "in 3 days" are today and not today.
@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
def test_the_last_four_check_says_yes_only_for_the_customer_booked_today(org: Any) -> None:
    booked(org, "13812345678", "张三", timedelta(minutes=30))
    booked(org, "13900004321", "王五", timedelta(days=3))  # booked, but not today
    c = Client()
    yes = c.post(badge_url(org), {"last_four": "5678"}).content.decode()
    assert 'data-answer="yes"' in yes
    for other in ("4321", "0000"):
        no = c.post(badge_url(org), {"last_four": other}).content.decode()
        assert 'data-answer="no"' in no
    # The answer is yes or no: no name, address, time or order number of anyone.
    for body in (yes, no):
        assert "张三" not in body and "王五" not in body and "大关" not in body
        assert not re.search(r"GS-\d{8}", body)
    # Another technician's badge knows nothing of tech's visit.
    other = "/b/" + badge_of(Staff.objects.get(user=org.other_tech)).slug
    assert 'data-answer="no"' in c.post(other, {"last_four": "5678"}).content.decode()
    bad = c.post(badge_url(org), {"last_four": "56a8"})
    assert bad.status_code == 422


def test_the_technicians_api(org: Any) -> None:
    headers = bearer("dispatcher")
    resp = Client().get("/api/v1/technicians?branch=GS", headers=headers)
    body = resp.json()
    assert resp.status_code == 200
    assert body["count"] == 2 and {r["username"] for r in body["results"]} == {"tech", "other_tech"}
    one = Client().get("/api/v1/technicians/tech", headers=headers).json()
    assert set(one) == {
        "username",
        "name",
        "employee_number",
        "branch",
        "team",
        "skills",
        "star_rating",
        "badge_url",
    }
    assert one["branch"] == "GS" and one["star_rating"] is None and one["skills"] == ["broadband"]
    assert one["badge_url"] == f"http://testserver{badge_url(org)}"
    assert Client().get("/api/v1/technicians/nobody", headers=headers).status_code == 404
    bad = Client().get("/api/v1/technicians?branch=XX", headers=headers)
    assert bad.status_code == 422 and "branch" in bad.json()["error"]["fields"]
    assert Client().get("/api/v1/technicians").status_code == 401


def test_the_badge_photo_shows_on_the_public_page(org: Any, settings: Any, tmp_path: Any) -> None:
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    badge = badge_of(Staff.objects.get(user=org.tech))
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (90, 120, 160)).save(buf, "JPEG")
    badge.photo.save("me.jpg", ContentFile(buf.getvalue()))
    text = Client().get(f"/b/{badge.slug}").content.decode()
    assert f'src="/b/{badge.slug}/photo"' in text
    photo = Client().get(f"/b/{badge.slug}/photo")
    assert photo.status_code == 200 and b"".join(photo.streaming_content)[:2] == b"\xff\xd8"
    other = badge_of(Staff.objects.get(user=org.other_tech))
    assert Client().get(f"/b/{other.slug}/photo").status_code == 404
