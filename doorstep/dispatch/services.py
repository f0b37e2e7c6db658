"""Dispatch: who is available, the hand-over ledger, suggestions, and the day planner wired to
real orders (build a PlanRequest from the database, apply a Plan as ordinary assign actions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from doorstep.core import clock as app_clock
from doorstep.dispatch.models import HandoverBatch, HandoverItem, Leave, Shift, Territory
from doorstep.dispatch.planner import Job, PlanRequest, StraightLineTravel, Technician
from doorstep.dispatch.planner.travel import haversine_km
from doorstep.incidents.services import held_back_orders
from doorstep.orders.choices import Kind, Status
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch, Staff
from doorstep.ratings import stars_of
from doorstep.standards.choices import ClockName, ClockStatus
from doorstep.standards.models import Clock

PLANNABLE = [Status.RECEIVED, Status.RETURNED, Status.DISPATCHED, Status.ACCEPTED, Status.SCHEDULED]
UNASSIGNED = [Status.RECEIVED, Status.RETURNED]
SERVICE_MINUTES = {Kind.REPAIR: 60, Kind.INSTALL: 90, Kind.MOVE: 90, Kind.REMOVAL: 30}
TRAVEL = StraightLineTravel()


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def at_day(day: date, t: time, tz: str) -> datetime:
    return datetime.combine(day, t, tzinfo=ZoneInfo(tz))


# -- hand-over (R21) --------------------------------------------------------------------------


def unsigned_orders(branch: Branch) -> Any:
    """Open orders handed to the branch by the customer department and not yet signed for.
    Orders the branch registered itself (a township crew, its own dispatcher) need no hand-over."""
    return (
        WorkOrder.objects.filter(branch=branch, handover__isnull=True)
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
        .exclude(received_by__staff__branch=branch)
        .select_related("customer")
        .order_by("reported_at")
    )


def sign_for(branch: Branch, user: Any) -> HandoverBatch | None:
    """One click: the named user signs for every order waiting for the branch."""
    with transaction.atomic():
        pending = list(unsigned_orders(branch).select_for_update(of=("self",)))
        if not pending:
            return None
        batch = HandoverBatch.objects.create(
            branch=branch, signed_by=user, signed_at=app_clock.now()
        )
        HandoverItem.objects.bulk_create([HandoverItem(batch=batch, order=o) for o in pending])
    return batch


def next_handover(branch: Branch, now: datetime | None = None) -> datetime | None:
    """The next fixed hand-over time of the branch, if it keeps them."""
    now = now or app_clock.now()
    times = sorted(time.fromisoformat(t) for t in branch.handover_times or [])
    today = local(now, branch.timezone).date()
    for offset in (0, 1):
        for t in times:
            moment = at_day(today + timedelta(days=offset), t, branch.timezone)
            if moment > now:
                return moment
    return None


# -- availability -----------------------------------------------------------------------------


@dataclass
class Availability:
    staff: Staff
    start: datetime
    end: datetime
    lunch_from: datetime | None
    lunch_to: datetime | None
    lunch_minutes: int
    on_leave: bool = False
    territories: list[Territory] = field(default_factory=list)

    @property
    def username(self) -> str:
        return str(self.staff.user.username)


def availability(branch: Branch, day: date) -> list[Availability]:
    tz = branch.timezone
    staff = list(
        Staff.objects.filter(branch=branch, is_technician=True, user__is_active=True)
        .select_related("user", "team")
        .order_by("employee_no")
    )
    ids = [s.user_id for s in staff]
    shifts = {s.technician_id: s for s in Shift.objects.filter(technician_id__in=ids, day=day)}
    leave = set(
        Leave.objects.filter(
            technician_id__in=ids, first_day__lte=day, last_day__gte=day
        ).values_list("technician_id", flat=True)
    )
    territories: dict[int, list[Territory]] = {}
    for t in Territory.objects.filter(branch=branch):
        for s in staff:
            if t.technician_id == s.user_id or (t.team_id and t.team_id == s.team_id):
                territories.setdefault(s.user_id, []).append(t)
    out = []
    for s in staff:
        sh = shifts.get(s.user_id)
        start, end = (sh.start, sh.end) if sh else (branch.shift_start, branch.shift_end)
        lf = sh.lunch_from if sh else branch.lunch_from
        lt = sh.lunch_to if sh else branch.lunch_to
        lm = sh.lunch_minutes if sh else branch.lunch_minutes
        out.append(
            Availability(
                staff=s,
                start=at_day(day, start, tz),
                end=at_day(day, end, tz),
                lunch_from=at_day(day, lf, tz) if lf else None,
                lunch_to=at_day(day, lt, tz) if lt else None,
                lunch_minutes=lm if lf and lt else 0,
                on_leave=s.user_id in leave,
                territories=territories.get(s.user_id, []),
            )
        )
    return out


# -- what an order needs ----------------------------------------------------------------------


def required_skills(order: WorkOrder) -> frozenset[str]:
    text = f"{order.product} {order.symptom}".lower()
    skills = set()
    if "空调" in text or "家电" in text or "热水器" in text:
        skills.add("appliance")
    if "iptv" in text or "机顶盒" in text or "电视" in text:
        skills.add("iptv")
    if "固话" in text or "电话" in text and "拨号" in text:
        skills.add("fixed_line")
    if "熔接" in text or "光缆" in text:
        skills.add("fiber_splice")
    if not skills or "宽带" in text or "光猫" in text or "网" in text:
        skills.add("broadband")
    return frozenset(skills)


def _deadlines(order_ids: list[int]) -> dict[int, datetime]:
    rows = Clock.objects.filter(
        order_id__in=order_ids,
        name__in=[ClockName.RESTORE, ClockName.INSTALL],
        status__in=[ClockStatus.RUNNING, ClockStatus.PAUSED, ClockStatus.BREACHED],
        stopped_at__isnull=True,
    ).values_list("order_id", "deadline")
    return {oid: d for oid, d in rows if d is not None}


def plannable_orders(branch: Branch, day: date) -> list[WorkOrder]:
    tz = ZoneInfo(branch.timezone)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    return list(
        WorkOrder.objects.filter(branch=branch, status__in=PLANNABLE)
        # R14: members of an open incident are not planned one by one.
        .exclude(pk__in=held_back_orders())
        .filter(
            Q(appointment_start__isnull=True)
            | Q(appointment_start__gte=start, appointment_start__lt=end)
        )
        .select_related("customer", "technician")
        .order_by("reported_at")
    )


def to_job(order: WorkOrder, deadline: datetime | None) -> Job | None:
    lat = order.lat if order.lat is not None else order.customer.lat
    lng = order.lng if order.lng is not None else order.customer.lng
    if lat is None or lng is None:
        return None  # no position: the board lists it for a person to place
    return Job(
        id=str(order.pk),
        lat=lat,
        lng=lng,
        service_minutes=SERVICE_MINUTES.get(Kind(order.kind), 60),
        window_start=order.appointment_start,
        window_end=order.appointment_end,
        deadline=deadline,
        grade=order.customer.grade,
        required_skills=required_skills(order),
        kind=order.kind,
        branch=order.branch.code if hasattr(order, "branch") else "",
    )


def build_request(
    branch: Branch, day: date, now: datetime | None = None
) -> tuple[PlanRequest, list[WorkOrder]]:
    orders = plannable_orders(branch, day)
    deadlines = _deadlines([o.pk for o in orders])
    jobs = []
    for o in orders:
        o.branch = branch
        job = to_job(o, deadlines.get(o.pk))
        if job is not None:
            jobs.append(job)
    techs = []
    for a in availability(branch, day):
        if a.on_leave:
            continue
        s = a.staff
        home_lat = s.home_lat if s.home_lat is not None else branch.depot_lat
        home_lng = s.home_lng if s.home_lng is not None else branch.depot_lng
        if home_lat is None or home_lng is None:
            continue
        techs.append(
            Technician(
                username=a.username,
                lat=home_lat,
                lng=home_lng,
                shift_start=a.start,
                shift_end=a.end,
                skills=frozenset(s.skills or []),
                lunch_start=a.lunch_from,
                lunch_end=a.lunch_to,
                lunch_minutes=float(a.lunch_minutes),
                region_type=branch.region_type,
                branch=branch.code,
            )
        )
    day_start = at_day(day, time(0, 0), branch.timezone)
    return PlanRequest(
        jobs=tuple(jobs), technicians=tuple(techs), day_start=day_start, now=now
    ), orders


# -- suggestions ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    staff: Staff
    score: float
    reasons: list[str]
    load: int
    distance_km: float | None
    stars: int | None = None  # doorstep.ratings; breaks ties only, never adds to the score


def suggest(order: WorkOrder, day: date | None = None, limit: int = 5) -> list[Suggestion]:
    """The best technicians for an order, with the reasons shown to the dispatcher."""
    branch = order.branch
    day = day or local(app_clock.now(), branch.timezone).date()
    need = required_skills(order)
    tz = ZoneInfo(branch.timezone)
    start = datetime.combine(day, time.min, tzinfo=tz)
    todays = list(
        WorkOrder.objects.filter(branch=branch, technician__isnull=False)
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED, Status.COMPLETED])
        .values("technician_id", "appointment_start", "lat", "lng")
    )
    out = []
    lat = order.lat if order.lat is not None else order.customer.lat
    lng = order.lng if order.lng is not None else order.customer.lng
    people = availability(branch, day)
    stars = stars_of(a.staff.user_id for a in people)
    for a in people:
        s = a.staff
        reasons: list[str] = []
        if a.on_leave:
            continue
        missing = need - set(s.skills or [])
        if missing:
            continue
        score = 50.0
        reasons.append("技能符合：" + "、".join(sorted(need)))
        if any(t.covers(order.area_code, lat, lng) for t in a.territories):
            score += 25
            reasons.append("属于其包片")
        mine = [w for w in todays if w["technician_id"] == s.user_id]
        load = len(mine)
        score -= 6 * load
        reasons.append(f"在手工单 {load} 张")
        anchor = None
        booked = [
            w
            for w in mine
            if w["appointment_start"]
            and start <= w["appointment_start"] < start + timedelta(days=1)
        ]
        if booked:
            last = max(booked, key=lambda w: w["appointment_start"] or start)
            if last["lat"] is not None and last["lng"] is not None:
                anchor = (last["lat"], last["lng"])
        if anchor is None and s.home_lat is not None and s.home_lng is not None:
            anchor = (s.home_lat, s.home_lng)
        dist = None
        if anchor is not None and lat is not None and lng is not None:
            dist = haversine_km(anchor, (lat, lng))
            score -= min(30.0, dist * (1.5 if branch.region_type == "urban" else 0.6))
            reasons.append(f"距{'上一单' if booked else '常驻点'} {dist:.1f} 公里")
        mine_stars = stars[s.user_id]
        if mine_stars is not None:
            reasons.append(f"星级 {mine_stars}（同分时优先）")
        out.append(Suggestion(s, round(score, 1), reasons, load, dist, mine_stars))
    # Equal scores: the higher star rating first (unrated last); stars never change a score.
    out.sort(key=lambda x: (-x.score, -(x.stars or 0)))
    return out[:limit]
