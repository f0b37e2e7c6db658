"""Everything an incident does, one function per action: the intake hook, the API and the
page all call these. Each runs in one transaction with the incident row locked, and changes
its members only through the order action layer (so every change is in the order's history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from doorstep.core import clock as app_clock
from doorstep.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from doorstep.incidents.choices import (
    ACTIVE,
    POLICY_KEY,
    STAFF_ACTIONS,
    IncidentAction,
    IncidentStatus,
)
from doorstep.incidents.models import Incident, IncidentEvent, Member
from doorstep.incidents.schemas import CloseIn, ConfirmOutageIn, MemberIn, validate_body
from doorstep.notifications.models import Notification
from doorstep.notifications.models import Status as NoticeStatus
from doorstep.notifications.notices import notify_customer
from doorstep.notifications.outbox import queue_many
from doorstep.orders.access import reach_of, visible_orders
from doorstep.orders.actions import perform
from doorstep.orders.choices import OPEN, Kind, Status, SuspendReason
from doorstep.orders.models import WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import Team, roles_of
from doorstep.standards import policies

# Who may do what (the incident's own table; SPEC §5: confirm_outage is the manager's).
ROLES: dict[str, frozenset[str]] = {
    IncidentAction.OPEN: frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
    IncidentAction.ADD_MEMBER: frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
    IncidentAction.REMOVE_MEMBER: frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
    IncidentAction.CONFIRM_OUTAGE: frozenset({Role.MANAGER}),
    IncidentAction.CLOSE: frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
}
# From which incident states each action may run.
SOURCES: dict[str, frozenset[str]] = {
    IncidentAction.ADD_MEMBER: ACTIVE,
    IncidentAction.REMOVE_MEMBER: ACTIVE,
    IncidentAction.CONFIRM_OUTAGE: frozenset({IncidentStatus.SUSPECTED}),
    IncidentAction.CLOSE: ACTIVE,
}
# A fixed member is cancelled (no visit needed any more) only from these states; one a
# technician is already travelling to or working on is left for them to complete.
CANCELLABLE = frozenset({Status.RECEIVED, Status.DISPATCHED, Status.ACCEPTED, Status.SCHEDULED})
# The manager hears of a suspected incident this long after the team lead, unless the policy
# row says otherwise (003 part 3 §3.1: 汇报班长直至中心领导).
MANAGER_AFTER_MINUTES = 15


@dataclass(frozen=True)
class Threshold:
    reports: int
    window: timedelta
    manager_after: timedelta


def threshold_for(order: WorkOrder) -> Threshold | None:
    """The R14 policy row for this order: None when switched off."""
    found = policies.resolve(POLICY_KEY, order)
    if found is None or not found.minutes:
        return None
    reports = int(found.params.get("reports", 0))
    if reports < 2:
        return None
    after = int(found.params.get("manager_after_minutes", MANAGER_AFTER_MINUTES))
    return Threshold(reports, timedelta(minutes=found.minutes), timedelta(minutes=after))


def visible_incidents(user: Any) -> QuerySet[Incident]:
    """The permission gate's reach (doorstep.orders.access): office roles see their branch's
    incidents (all when they have none); a technician those holding an order of theirs."""
    reach = reach_of(user)
    if reach is None:
        return Incident.objects.none()
    if reach.everywhere:
        return Incident.objects.all()
    scope = Q(pk__in=[])
    if reach.branch_id is not None:
        scope |= Q(branch_id=reach.branch_id)
    if reach.own_user_id is not None:
        mine = Member.objects.filter(
            left_at__isnull=True, order__technician_id=reach.own_user_id
        ).values("incident_id")
        scope |= Q(pk__in=mine)
    return Incident.objects.filter(scope)


def may(user: Any, action: str) -> bool:
    return bool(roles_of(user) & ROLES[action])


def members_of(incident: Incident) -> QuerySet[Member]:
    return incident.members.filter(left_at__isnull=True)


def active_incident_of(order_id: int) -> Incident | None:
    member = (
        Member.objects.filter(order_id=order_id, active=True).select_related("incident").first()
    )
    return member.incident if member else None


def held_back_orders() -> QuerySet[Member, Any]:
    """Order ids of every active incident's members: not offered for dispatch one by one."""
    return Member.objects.filter(active=True).values("order_id")


def _log(incident: Incident, action: str, actor: Any, at: datetime, **payload: Any) -> None:
    IncidentEvent(incident=incident, action=action, actor=actor, at=at, payload=payload).save()


def _name(user: Any) -> str:
    if user is None:
        return "系统"
    staff = getattr(user, "staff", None)
    return getattr(staff, "name", "") or user.get_username()


def _local(incident: Incident, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(incident.branch.timezone)).strftime("%m月%d日 %H:%M")


# --- opening and joining -------------------------------------------------------------------


def group_report(order: WorkOrder, at: datetime) -> Incident | None:
    """Intake's after-effect (R14): a repair report joins its area's open incident, or opens
    one when it is the report that makes the area cross the policy's threshold."""
    if order.kind != Kind.REPAIR or not order.area_code:
        return None
    incident = _open_incident_for(order.branch_id, order.area_code)
    if incident is not None:
        join(incident, order, None, at)
        return incident
    limit = threshold_for(order)
    if limit is None:
        return None
    recent = list(
        WorkOrder.objects.filter(
            branch_id=order.branch_id,
            area_code=order.area_code,
            kind=Kind.REPAIR,
            status__in=OPEN,
            reported_at__gte=order.reported_at - limit.window,
        )
        .exclude(pk__in=held_back_orders())
        .order_by("reported_at", "id")
    )
    if len(recent) < limit.reports:
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent intake may have opened it
            return _open(order.branch, order.area_code, recent, None, at, limit)
    except IntegrityError:
        incident = _open_incident_for(order.branch_id, order.area_code)
        if incident is not None:
            join(incident, order, None, at)
        return incident


def _open_incident_for(branch_id: int, area: str) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .select_related("branch")
        .filter(branch_id=branch_id, area=area, status__in=ACTIVE)
        .first()
    )


def _open(
    branch: Any,
    area: str,
    orders: list[WorkOrder],
    actor: Any,
    at: datetime,
    limit: Threshold | None,
    note: str = "",
) -> Incident:
    incident = Incident.objects.create(
        branch=branch, area=area, opened_by=actor, opened_at=at, note=note
    )
    Member.objects.bulk_create(
        [Member(incident=incident, order=o, joined_at=at, joined_by=actor) for o in orders]
    )
    _log(
        incident,
        IncidentAction.OPEN,
        actor,
        at,
        members=[o.pk for o in orders],
        automatic=actor is None,
        note=note,
    )
    _notify_staff(incident, len(orders), at, limit)
    return incident


def open_by_hand(
    actor: Any, branch_code: str, area: str, order_ids: list[int], note: str = ""
) -> Incident:
    """A dispatcher opens an incident without waiting for the threshold."""
    if not may(actor, IncidentAction.OPEN):
        raise Forbidden("只有调度或管理人员可以立案")
    area = (area or "").strip()
    if not area:
        raise InvalidInput({"area": "请填写区域编码"})
    now = app_clock.now()
    with transaction.atomic():
        orders = list(
            visible_orders(actor)
            .select_related("branch")
            .filter(pk__in=order_ids, branch__code=branch_code)
            .order_by("reported_at", "id")
        )
        if not orders:
            raise InvalidInput({"orders": "请至少选择一张本分公司的工单"})
        if len(orders) != len(set(order_ids)):
            raise InvalidInput({"orders": "有工单不存在、无权查看或不属于该分公司"})
        for o in orders:
            _check_joinable(o)
        branch = orders[0].branch
        try:
            with transaction.atomic():
                return _open(branch, area, orders, actor, now, threshold_for(orders[0]), note)
        except IntegrityError:
            raise InvalidInput({"area": f"区域 {area} 已有未关闭的批量障碍"}) from None


def _check_joinable(order: WorkOrder) -> None:
    if order.status not in OPEN:
        raise InvalidInput(
            {"order": f"工单 {order.number} 已{Status(order.status).label}，不能加入"}
        )
    other = active_incident_of(order.pk)
    if other is not None:
        raise InvalidInput({"order": f"工单 {order.number} 已属于批量障碍 #{other.pk}"})


def join(incident: Incident, order: WorkOrder, actor: Any, at: datetime) -> None:
    Member.objects.create(incident=incident, order=order, joined_at=at, joined_by=actor)
    action = IncidentAction.JOIN if actor is None else IncidentAction.ADD_MEMBER
    _log(incident, action, actor, at, order=order.pk)
    if incident.status == IncidentStatus.OUTAGE:
        held = _hold(incident, order)
        if held is not order:
            # At intake `order` is the object create_order returns: let it show the state
            # the order is in now, and its clocks read afresh (the restore clock is paused).
            for name in _MOVED_BY_ACTION:
                setattr(order, name, getattr(held, name))
            order.__dict__.pop("_fresh_clocks", None)
        _tell_customers(incident, [order])


_MOVED_BY_ACTION = (
    "status",
    "suspended_from",
    "version",
    "event_count",
    "history_head",
    "updated_at",
)


def _notify_staff(incident: Incident, reports: int, at: datetime, limit: Threshold | None) -> None:
    """The team leads of the branch now, its managers (and the company's) after a while:
    the seed's 汇报班长直至中心领导. Withdrawn from the managers once the incident moves on."""
    leads = set(
        Team.objects.filter(branch=incident.branch, lead__isnull=False).values_list(
            "lead_id", flat=True
        )
    )
    managers = set(
        get_user_model()
        .objects.filter(groups__name=Role.MANAGER, is_active=True)
        .filter(Q(staff__branch=incident.branch) | Q(staff__branch__isnull=True))
        .values_list("pk", flat=True)
    )
    how = "系统自动立案" if incident.opened_by_id is None else f"{_name(incident.opened_by)}立案"
    body = (
        f"批量障碍 #{incident.pk}：{incident.branch.name} 区域 {incident.area} 已有 {reports} "
        f"张报障（{how}），请核实并上报。"
    )
    later = at + (limit.manager_after if limit else timedelta(minutes=MANAGER_AFTER_MINUTES))
    notes = [
        Notification(
            kind="incident",
            recipient_id=uid,
            subject="批量障碍",
            body=body,
            dedupe_key=f"incident:{incident.pk}:lead:{uid}",
            available_at=at,
        )
        for uid in sorted(leads)
    ]
    notes += [
        Notification(
            kind="incident",
            recipient_id=uid,
            subject="批量障碍待确认",
            body=body + "请确认是否为网络故障。",
            dedupe_key=f"incident:{incident.pk}:manager:{uid}",
            available_at=later if leads else at,
        )
        for uid in sorted(managers - leads)
    ]
    queue_many(notes)


def _withdraw_manager_notice(incident: Incident) -> None:
    """The manager confirmed (or the incident closed) before their delayed notice went out."""
    Notification.objects.filter(
        dedupe_key__startswith=f"incident:{incident.pk}:manager:", status=NoticeStatus.QUEUED
    ).update(status=NoticeStatus.CANCELLED)


# --- staff actions -------------------------------------------------------------------------


def act(incident_id: int, action: str, actor: Any, data: dict[str, Any] | Any) -> Incident:
    """Run a staff action on an incident (the API's and the page's one entry point)."""
    if action not in STAFF_ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作；可用: {', '.join(STAFF_ACTIONS)}")
    body = data if not isinstance(data, dict) else validate_body(action, data)
    with transaction.atomic():
        incident = (
            visible_incidents(actor)
            .select_for_update()
            .select_related("branch")
            .filter(pk=incident_id)
            .first()
        )
        if incident is None:
            raise NotFound("批量障碍不存在或无权查看")
        if not may(actor, action):
            raise Forbidden(f"当前角色不能执行 {IncidentAction(action).label}")
        if incident.status not in SOURCES[action]:
            raise Conflict(
                f"批量障碍当前状态为 {IncidentStatus(incident.status).label}，"
                f"不能{IncidentAction(action).label}",
                state=incident.status,
                allowed=allowed_actions(incident, actor),
                code="illegal_transition",
            )
        now = app_clock.now()
        if action == IncidentAction.CONFIRM_OUTAGE:
            assert isinstance(body, ConfirmOutageIn)
            _confirm(incident, actor, body, now)
        elif action == IncidentAction.ADD_MEMBER:
            assert isinstance(body, MemberIn)
            _add(incident, actor, body.order, now)
        elif action == IncidentAction.REMOVE_MEMBER:
            assert isinstance(body, MemberIn)
            _remove(incident, actor, body.order, now)
        else:
            assert isinstance(body, CloseIn)
            _close(incident, actor, body, now)
    return incident


def allowed_actions(incident: Incident, actor: Any) -> list[str]:
    return [
        str(a)
        for a in STAFF_ACTIONS
        if incident.status in SOURCES[a] and (actor is None or may(actor, a))
    ]


def _confirm(incident: Incident, actor: Any, body: ConfirmOutageIn, now: datetime) -> None:
    if body.expected_restore_at <= now:
        raise InvalidInput({"expected_restore_at": "预计恢复时间必须晚于当前时间"})
    incident.status = IncidentStatus.OUTAGE
    incident.confirmed_by = actor
    incident.confirmed_at = now
    incident.expected_restore_at = body.expected_restore_at
    if body.note:
        incident.note = body.note
    incident.save()
    _log(
        incident,
        IncidentAction.CONFIRM_OUTAGE,
        actor,
        now,
        expected_restore_at=body.expected_restore_at.isoformat(),
        note=body.note or "",
    )
    _withdraw_manager_notice(incident)
    # A member completed or cancelled meanwhile needs neither holding nor a notice.
    orders = [m.order for m in members_of(incident).select_related("order")]
    open_orders = [o for o in orders if o.status in OPEN]
    for order in open_orders:
        _hold(incident, order)
    _tell_customers(incident, open_orders)


def _hold(incident: Incident, order: WorkOrder) -> WorkOrder:
    """Suspend a member with reason `outage` through the action layer; the intake hook (see
    intake.on_order_event) pauses its restore clock when that event lands. An order already
    suspended for a reason of its own keeps that suspension and its history."""
    if order.status not in OPEN or order.status == Status.SUSPENDED:
        return order
    note = (
        f"批量障碍 #{incident.pk}（区域 {incident.area}）经 {_name(incident.confirmed_by)} "
        f"确认为网络故障，预计 {_local(incident, incident.expected_restore_at)} 前恢复"
        if incident.expected_restore_at
        else f"批量障碍 #{incident.pk}"
    )
    held, event = perform(order.pk, "suspend", None, {"reason": SuspendReason.OUTAGE, "note": note})
    Member.objects.filter(incident=incident, order=order, active=True).update(
        held_at=event.occurred_at
    )
    return held


def _tell_customers(incident: Incident, orders: list[WorkOrder]) -> None:
    """One notice per affected customer, however many of their orders are in the incident
    (the dedupe key is the incident and the customer)."""
    assert incident.expected_restore_at is not None
    when = _local(incident, incident.expected_restore_at)
    seen: set[int] = set()
    for order in orders:
        if order.customer_id in seen:
            continue
        seen.add(order.customer_id)
        notify_customer(
            order,
            "batch_fault",
            f"batch_fault:{incident.pk}:{order.customer_id}",
            area=incident.area,
            expected_restore_at=when,
        )


def _member_order(actor: Any, order_id: int) -> WorkOrder:
    order = visible_orders(actor).select_related("customer", "branch").filter(pk=order_id).first()
    if order is None:
        raise InvalidInput({"order": "工单不存在或无权查看"})
    return order


def _add(incident: Incident, actor: Any, order_id: int, now: datetime) -> None:
    order = _member_order(actor, order_id)
    if order.branch_id != incident.branch_id:
        raise InvalidInput({"order": "只能加入本批量障碍所属分公司的工单"})
    _check_joinable(order)
    join(incident, order, actor, now)


def _remove(incident: Incident, actor: Any, order_id: int, now: datetime) -> None:
    member = members_of(incident).filter(order_id=order_id).select_related("order").first()
    if member is None:
        raise InvalidInput({"order": "该工单不在本批量障碍中"})
    Member.objects.filter(pk=member.pk).update(left_at=now, left_by=actor, active=False)
    _log(incident, IncidentAction.REMOVE_MEMBER, actor, now, order=order_id)
    _release(incident, member, f"已移出批量障碍 #{incident.pk}")


def _release(incident: Incident, member: Member, note: str) -> WorkOrder:
    """Resume a member the outage suspended; its clocks run again from now, deadline moved
    by the time they were paused."""
    order = WorkOrder.objects.get(pk=member.order_id)
    if member.held_at is None or order.status != Status.SUSPENDED:
        return order
    resumed, _ = perform(order.pk, "resume", None, {"note": note})
    return resumed


def _close(incident: Incident, actor: Any, body: CloseIn, now: datetime) -> None:
    """Resume every member the outage held; cancel the fixed ones nobody needs to visit any
    more, their restore clock met at the close; the rest go back to normal work."""
    members = list(members_of(incident).select_related("order"))
    ids = {m.order_id for m in members}
    if body.fixed is not None:
        fixed = set(body.fixed)
    elif incident.status == IncidentStatus.OUTAGE:
        fixed = ids  # the repair of the confirmed outage fixed them all
    else:
        fixed = set()  # never confirmed: a false alarm, the members go back to dispatch
    stray = fixed - ids
    if stray:
        raise InvalidInput(
            {"fixed": f"不在本批量障碍中的工单：{', '.join(map(str, sorted(stray)))}"}
        )
    incident.status = IncidentStatus.CLOSED
    incident.closed_by = actor
    incident.closed_at = now
    if body.note:
        incident.note = body.note
    incident.save()
    Member.objects.filter(incident=incident, active=True).update(active=False)
    _log(incident, IncidentAction.CLOSE, actor, now, fixed=sorted(fixed), note=body.note or "")
    _withdraw_manager_notice(incident)
    from doorstep.incidents.clocks import restore_met

    for m in members:
        order = _release(incident, m, f"批量障碍 #{incident.pk} 已关闭")
        if order.pk in fixed and order.status in CANCELLABLE:
            restore_met(order, now)
            perform(
                order.pk,
                "cancel",
                None,
                {"reason": f"批量障碍 #{incident.pk}（区域 {incident.area}）已修复，无需上门"},
            )


def board_rows(branch: Any) -> list[tuple[Incident, int]]:
    """The branch's open incidents with their member counts: one row each on the dispatch
    board, where their members are not offered one by one."""
    from django.db.models import Count

    rows = (
        Incident.objects.filter(branch=branch, status__in=ACTIVE)
        .annotate(n=Count("members", filter=Q(members__active=True)))
        .order_by("opened_at")
    )
    return [(i, i.n) for i in rows]  # type: ignore[attr-defined]
