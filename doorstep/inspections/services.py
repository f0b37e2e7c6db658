"""Inspections: the score, recording one, the sampling plan, who may do what, and the average
score the star rating reads (docs/inspections.md)."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Avg, Count, QuerySet

from doorstep.core import clock
from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.inspections.models import (
    Answer,
    ChecklistItem,
    Inspection,
    InspectionPhoto,
    PlanEntry,
)
from doorstep.orders import images
from doorstep.orders.attachments import NOT_AN_IMAGE, TOO_MANY_PIXELS, check_size
from doorstep.orders.models import WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import Branch, Staff, roles_of
from doorstep.standards import policies

POLICY_KEY = "inspections.sampling"
DEFAULT_SHARE = 0.05  # migration 0002 holds a frozen copy
INSPECTOR_ROLES = {Role.QUALITY, Role.MANAGER}


# --- who ------------------------------------------------------------------------------------


def may_inspect(user: Any) -> bool:
    """Quality and manager roles inspect (and draw the plan); technicians never."""
    return bool(roles_of(user) & INSPECTOR_ROLES)


def _branch_of(user: Any) -> Branch | None:
    staff = Staff.objects.filter(user_id=user.pk).select_related("branch").first()
    return staff.branch if staff else None


def branches_for(user: Any) -> QuerySet[Branch]:
    """The branches an inspector works on: their own, or all when they belong to none."""
    own = _branch_of(user)
    qs = Branch.objects.order_by("code")
    return qs.filter(pk=own.pk) if own else qs


def visible_inspections(user: Any) -> QuerySet[Inspection]:
    """An inspector sees their branches' inspections; anyone else only those of themselves."""
    qs = Inspection.objects.select_related("branch", "order", "technician", "inspector")
    if may_inspect(user):
        return qs.filter(branch__in=branches_for(user))
    return qs.filter(technician_id=user.pk)


# --- the score ------------------------------------------------------------------------------


def score_of(answers: Iterable[tuple[int, bool]]) -> Decimal:
    """Weights of the items passed ÷ weights of the items answered × 100, to 0.1."""
    pairs = list(answers)
    total = sum(w for w, _ in pairs)
    if not total:
        raise InvalidInput({"answers": "至少回答一个有权重的检查项"})
    passed = sum(w for w, ok in pairs if ok)
    return (Decimal(passed) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- recording ------------------------------------------------------------------------------


@dataclass
class Photo:
    data: bytes
    filename: str


def _image(data: bytes, tz: str) -> images.Processed:
    check_size(len(data))
    try:
        fmt = images.inspect(data)
        return images.process(data, "PNG" if fmt == "PNG" else "JPEG", tz)
    except images.TooLarge:
        raise InvalidInput({"photos": TOO_MANY_PIXELS}) from None
    except images.NotAnImage:
        raise InvalidInput({"photos": NOT_AN_IMAGE}) from None


def record(
    inspector: Any,
    *,
    answers: Mapping[int, bool],
    order: WorkOrder | None = None,
    technician: Any = None,
    note: str = "",
    photos: Iterable[Photo] = (),
) -> Inspection:
    """Record a spot check of a visit (`order`: its technician is the one inspected) or of a
    technician. `answers`: checklist item id → passed. Photos are checked and redrawn by
    doorstep.orders.images (as order photos are) and kept with the inspection: adding to the
    order's own attachments is the order's actions' business (an inspector may not attach)."""
    if not may_inspect(inspector):
        raise Forbidden("只有质检和管理人员可以录入稽核")
    if order is not None:
        technician = order.technician
        if technician is None:
            raise InvalidInput({"order": "该工单没有装维人员，无法稽核"})
        branch = order.branch
    else:
        staff = (
            Staff.objects.filter(user=technician, is_technician=True).first()
            if technician
            else None
        )
        if staff is None or staff.branch is None:
            raise InvalidInput({"technician": "请选择装维人员"})
        branch = staff.branch
    if not branches_for(inspector).filter(pk=branch.pk).exists():
        raise Forbidden("不能稽核其他分公司")
    items = {i.pk: i for i in ChecklistItem.objects.filter(pk__in=list(answers), active=True)}
    unknown = [k for k in answers if k not in items]
    if unknown or not items:
        raise InvalidInput({"answers": "请逐项选择合格或不合格"})
    score = score_of((items[k].weight, ok) for k, ok in answers.items())
    tz = branch.timezone or "Asia/Shanghai"
    photos = list(photos)
    done = [(p, _image(p.data, tz)) for p in photos]
    with transaction.atomic():
        inspection = Inspection.objects.create(
            branch=branch,
            order=order,
            technician=technician,
            inspector=inspector,
            at=clock.now(),
            note=note.strip(),
            score=score,
        )
        Answer.objects.bulk_create(
            Answer(
                inspection=inspection,
                item=items[k],
                label=items[k].label,
                weight=items[k].weight,
                passed=ok,
            )
            for k, ok in answers.items()
        )
        for _, img in done:
            photo = InspectionPhoto(inspection=inspection, content_type=img.content_type)
            name = hashlib.sha256(img.data).hexdigest()[:16]
            ext = ".png" if img.content_type == "image/png" else ".jpg"
            photo.file.save(name + ext, ContentFile(img.data), save=True)
    return inspection


# --- the sampling plan ----------------------------------------------------------------------


def share() -> float:
    """The `inspections.sampling` policy's share of a week's visits to inspect."""
    found = policies.resolve(POLICY_KEY)
    value = (found.params if found else {}).get("share", DEFAULT_SHARE)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
    return float(value) if ok else DEFAULT_SHARE


def week_of(branch: Branch, now: datetime) -> tuple[date, datetime, datetime]:
    """The branch's local week (Monday 00:00 to the next Monday) holding `now`."""
    tz = ZoneInfo(branch.timezone or "Asia/Shanghai")
    monday = now.astimezone(tz).date()
    monday -= timedelta(days=monday.weekday())
    start = datetime.combine(monday, time(), tz)
    return monday, start, start + timedelta(days=7)


def week_visits(branch: Branch, now: datetime) -> list[int]:
    """Ids of the branch's visits completed this week (by a technician), in id order."""
    _, start, end = week_of(branch, now)
    return list(
        WorkOrder.objects.filter(
            branch=branch,
            technician__isnull=False,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def draw(branch: Branch, now: datetime, seed: str, share_: float | None = None) -> list[int]:
    """ceil(share × this week's visits) of them, drawn at random; the same seed, branch and
    week draw the same visits. Pure reading: `plan` stores the draw."""
    ids = week_visits(branch, now)
    n = math.ceil((share() if share_ is None else share_) * len(ids))
    monday, _, _ = week_of(branch, now)
    rng = random.Random(f"{seed}:{branch.code}:{monday.isoformat()}")
    return sorted(rng.sample(ids, n))


def plan(user: Any, branch: Branch, seed: str) -> list[PlanEntry]:
    """Draw this week's visits to inspect and list them (an order already drawn this week is
    kept once)."""
    if not may_inspect(user) or not branches_for(user).filter(pk=branch.pk).exists():
        raise Forbidden("只有本分公司的质检和管理人员可以抽取稽核计划")
    seed = seed.strip()[:32]
    if not seed:
        raise InvalidInput({"seed": "请填写随机种子"})
    now = clock.now()
    monday, _, _ = week_of(branch, now)
    drawn = draw(branch, now, seed)
    known = set(
        PlanEntry.objects.filter(week_start=monday, order_id__in=drawn).values_list(
            "order_id", flat=True
        )
    )
    PlanEntry.objects.bulk_create(
        PlanEntry(
            branch=branch, week_start=monday, order_id=o, seed=seed, drawn_by=user, drawn_at=now
        )
        for o in drawn
        if o not in known
    )
    return list(PlanEntry.objects.filter(week_start=monday, order_id__in=drawn))


def plan_rows(user: Any, now: datetime) -> list[tuple[PlanEntry, Inspection | None]]:
    """This week's plan of the user's branches, each with the inspection that did it."""
    rows: list[tuple[PlanEntry, Inspection | None]] = []
    for branch in branches_for(user):
        monday, start, _ = week_of(branch, now)
        entries = list(
            PlanEntry.objects.filter(branch=branch, week_start=monday).select_related(
                "order", "order__technician", "branch"
            )
        )
        done = {
            i.order_id: i
            for i in Inspection.objects.filter(
                order_id__in=[e.order_id for e in entries], at__gte=start
            )
        }
        rows += [(e, done.get(e.order_id)) for e in entries]
    return rows


# --- for the star rating --------------------------------------------------------------------


def average_scores(
    technician_ids: Iterable[int], first: date, last: date, tz: str
) -> dict[int, tuple[float, int]]:
    """Each technician's mean inspection score (0–100) and count over the local days
    first..last, in one query; technicians without inspections are absent."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    rows = (
        Inspection.objects.filter(technician_id__in=list(technician_ids), at__gte=start, at__lt=end)
        .values("technician_id")
        .annotate(mean=Avg("score"), n=Count("id"))
    )
    return {r["technician_id"]: (float(r["mean"]), int(r["n"])) for r in rows}
