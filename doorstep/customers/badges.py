"""工号牌 / 服务卡 (003 part 1 §1–§2): the public badge page and the "is this my technician?"
check a customer makes at the door with the last four digits of their phone number."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from django.db import IntegrityError, transaction
from django.urls import reverse

from doorstep.core import clock
from doorstep.customers.models import TechnicianBadge
from doorstep.orders.choices import OPEN
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Staff
from doorstep.ratings import current_stars, star_text


def badge_of(staff: Staff) -> TechnicianBadge:
    """The technician's badge, made on first use with a random slug (nothing guessable)."""
    # Cached when the query selected it; a missing one raises an AttributeError subclass.
    cached: TechnicianBadge | None = getattr(staff, "badge", None)
    if cached is not None:
        return cached
    try:
        with transaction.atomic():
            return TechnicianBadge.objects.create(staff=staff, slug=secrets.token_urlsafe(9))
    except IntegrityError:
        return TechnicianBadge.objects.get(staff=staff)


def badge_path(staff: Staff) -> str:
    return reverse("customers:badge", args=[badge_of(staff).slug])


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (segno: no image library, scales for print)."""
    return str(segno.make(url, error="m").svg_inline(scale=6, border=2))


def card(staff: Staff) -> dict[str, Any]:
    """What a badge shows: photo, name, employee number, star rating, branch. Nothing else."""
    badge = badge_of(staff)
    stars = current_stars(staff.user_id)
    return {
        "name": staff.name,
        "employee_number": staff.employee_no,
        "branch": staff.branch.name if staff.branch else "",
        "star_rating": stars,
        "stars": star_text(stars),
        "photo_url": reverse("customers:badge-photo", args=[badge.slug]) if badge.photo else "",
    }


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def _today(staff: Staff, now: datetime) -> tuple[datetime, datetime]:
    tz = ZoneInfo(staff.branch.timezone if staff.branch else "Asia/Shanghai")
    local = now.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def has_visit_today(staff: Staff, last_four: str, now: datetime | None = None) -> bool:
    """Yes only when this technician has an open order booked for today (the branch's day)
    whose customer's phone number ends with `last_four`."""
    if not re.fullmatch(r"\d{4}", last_four):
        return False
    start, end = _today(staff, now or clock.now())
    phones = WorkOrder.objects.filter(
        technician_id=staff.user_id,
        status__in=OPEN,
        appointment_start__gte=start,
        appointment_start__lt=end,
    ).values_list("customer__phone", flat=True)
    return any(_digits(p).endswith(last_four) for p in phones)
