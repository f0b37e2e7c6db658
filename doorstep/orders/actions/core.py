"""The one place where orders change (STYLE.md). Views, the API, the importer, the simulator
and the tests all call `create_order` and `perform`; nothing else writes order rows.

Every call runs in one transaction: check the role and the transition, run the handler, bump
the order's version with `UPDATE … WHERE version = seen` (a concurrent writer loses with 409),
append the hash-chained event, run the hooks (clocks, notices). A refusal leaves no trace.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from doorstep.core import clock
from doorstep.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from doorstep.orders.access import staff_of, visible_orders
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.actions.customer import CUSTOMER_HANDLERS, validate_customer_payload
from doorstep.orders.actions.escalation import repeat_escalation
from doorstep.orders.actions.handlers import HANDLERS
from doorstep.orders.actions.payloads import CreatePayload, Payload, as_json, validate_payload
from doorstep.orders.actions.routing import route
from doorstep.orders.choices import Kind, Status
from doorstep.orders.history import seal_new_event
from doorstep.orders.hooks import run_after_event, run_before_event
from doorstep.orders.inserts import insert_together
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.repeats import find_repeat_of
from doorstep.orders.states import (
    CUSTOMER,
    CUSTOMER_TRANSITIONS,
    TRANSITIONS,
    allowed_actions,
    customer_actions,
)
from doorstep.org.choices import RegionType, Role
from doorstep.org.models import Branch, Customer, roles_of

# When several of the caller's roles may act, the event records the most specific one.
ROLE_PRIORITY = [
    Role.TECHNICIAN,
    Role.DISPATCHER,
    Role.OPERATOR,
    Role.QUALITY,
    Role.MANAGER,
    Role.ADMIN,
]
SYSTEM_ROLE = "system"


def _validated(action: str, data: dict[str, Any] | Payload | None) -> Payload:
    if isinstance(data, Payload):
        # Already parsed (the API's typed body): the rules between fields still apply.
        cross = data.cross_field_errors()
        if cross:
            raise InvalidInput(cross)
        return data
    return validate_payload(action, data or {})


def _skew() -> timedelta:
    return timedelta(seconds=settings.DOORSTEP_CLOCK_SKEW_SECONDS)


def resolve_occurred_at(
    payload: Payload, now: datetime, not_before: datetime | None, field: str = "occurred_at"
) -> datetime:
    if payload.occurred_at is None:
        # "Now" as recorded: never before the last event, even with app servers' clocks apart.
        return max(now, not_before) if not_before is not None else now
    occurred = payload.occurred_at
    if occurred > now + _skew():
        raise InvalidInput({field: "发生时间不能晚于服务器当前时间"})
    if not_before is not None and occurred < not_before:
        raise InvalidInput({field: f"发生时间不能早于工单的上一条记录 ({not_before.isoformat()})"})
    return occurred


def pick_role(actor: Any, action: str, order: WorkOrder | None) -> str:
    """The role the caller acts in, or Forbidden. Technicians act only on their own orders."""
    if actor is None:
        return SYSTEM_ROLE
    spec = TRANSITIONS[action]
    held = roles_of(actor) & spec.roles
    if not held:
        raise Forbidden(f"当前角色不能执行 {action} ({spec.label})")
    for role in ROLE_PRIORITY:
        if role not in held:
            continue
        if role == Role.TECHNICIAN and order is not None and order.technician_id != actor.pk:
            continue
        return role
    raise Forbidden("装维人员只能处理派给自己的工单")


def _build_event(
    order: WorkOrder,
    *,
    action: str,
    from_status: str,
    to_status: str,
    actor: Any,
    role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: dict[str, Any],
) -> OrderEvent:
    seq = order.event_count + 1
    prev = order.history_head
    event = OrderEvent(
        order=order,
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_role=role,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        payload=as_json(payload),
        prev_hash=prev,
    )
    # The salt, the seal and the hash over the payload with its personal fields sealed.
    seal_new_event(event, order.number)
    return event


def perform(
    order_id: int,
    action: str,
    actor: Any,
    data: dict[str, Any] | Payload | None = None,
    *,
    expected_version: int | None = None,
    as_customer: bool = False,
) -> tuple[WorkOrder, OrderEvent]:
    """Run `action` on the order as `actor` (None = the system). Returns the order and event.

    `as_customer`: the customer through their link (doorstep.customers has checked it); the
    actor is None, the role "customer", and only the customer's own table of actions applies.
    """
    table = CUSTOMER_TRANSITIONS if as_customer else TRANSITIONS
    if action not in table or action == "create" or (as_customer and actor is not None):
        raise NotFound(f"没有名为 {action} 的操作")
    payload = validate_customer_payload(action, data) if as_customer else _validated(action, data)
    with transaction.atomic():
        base = WorkOrder.objects.all() if actor is None else visible_orders(actor)
        order = base.select_related("technician", "branch").filter(pk=order_id).first()
        if order is None:
            raise NotFound("工单不存在或无权查看")
        # Read the time only now: on SQLite BEGIN IMMEDIATE may have waited for the lock.
        now = clock.now()
        spec = table[action]
        role = CUSTOMER if as_customer else pick_role(actor, action, order)
        if order.status not in spec.sources:
            if as_customer:
                allowed = customer_actions(order.status)
            else:
                allowed = allowed_actions(order.status, roles_of(actor) if actor else set())
            raise Conflict(
                f"工单当前状态为 {Status(order.status).label}，不能执行 {spec.label}",
                state=order.status,
                allowed=allowed,
                code="illegal_transition",
            )
        if expected_version is not None and expected_version != order.version:
            raise _concurrent(order, actor)
        last = order.events.order_by("-seq").values_list("occurred_at", flat=True).first()
        occurred = resolve_occurred_at(payload, now, last)
        ctx = ActionContext(order, action, payload, actor, role, occurred, now)
        handler = CUSTOMER_HANDLERS[action] if as_customer else HANDLERS[action]
        outcome: Outcome = handler(ctx)
        run_before_event(ctx, outcome)
        from_status = order.status
        to_status = outcome.to_status or from_status
        seen = order.version
        event = _build_event(
            order,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            role=role,
            occurred_at=occurred,
            recorded_at=now,
            payload=outcome.event,
        )
        changes: dict[str, Any] = dict(outcome.fields)
        changes.update(
            status=to_status,
            version=seen + 1,
            updated_at=now,
            event_count=event.seq,
            history_head=event.hash,
        )
        # The conditional UPDATE takes the row lock first, so of two concurrent writers the
        # second finds the version moved and loses cleanly instead of on the event's seq.
        won = WorkOrder.objects.filter(pk=order.pk, version=seen).update(**changes)
        if won != 1:
            raise _concurrent(order, actor)
        event.save()
        for name, value in changes.items():
            setattr(order, name, value)
        run_after_event(order, event)
    return order, event


def _concurrent(order: WorkOrder, actor: Any) -> Conflict:
    fresh = WorkOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first()
    state = fresh or order.status
    return Conflict(
        "工单已被其他人更新，请刷新后重试",
        state=state,
        allowed=allowed_actions(state, roles_of(actor) if actor else set()),
        code="concurrent_change",
    )


def _sequence_statement(branch: Branch, day: datetime) -> tuple[str, list[Any]]:
    """The per-branch daily counter, taken in one statement so concurrent intakes never take
    the same number; it answers the `last` number taken."""
    from doorstep.orders.models import OrderSequence

    table = OrderSequence._meta.db_table
    return (
        f"INSERT INTO {table} (branch_id, day, last) VALUES (%s, %s, 1) "
        f"ON CONFLICT (branch_id, day) DO UPDATE SET last = {table}.last + 1 "
        "RETURNING last",
        [branch.pk, _local_day(day)],
    )


def _local_day(day: datetime) -> Any:
    return day.astimezone(timezone.get_default_timezone()).date()


def _number(branch: Branch, day: datetime, last: int) -> str:
    """GS-20261122-0001."""
    return f"{branch.code}-{_local_day(day):%Y%m%d}-{last:04d}"


def _next_number(branch: Branch, day: datetime) -> str:
    sql, params = _sequence_statement(branch, day)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        (last,) = cur.fetchone()
    return _number(branch, day, last)


def _intake_branch(actor: Any, pl: CreatePayload) -> tuple[Branch, str]:
    """The order's branch and how it was chosen: `given` (the payload's code), `caller` (the
    caller works for one branch), or the territory match (`area`, `location`, `address`)."""
    staff = staff_of(actor) if actor is not None else None
    code = pl.branch
    if code:
        branch = Branch.objects.filter(code=code).first()
        if branch is None:
            raise InvalidInput({"branch": f"没有编码为 {code} 的分公司"})
        if staff is not None and staff.branch_id not in (None, branch.pk):
            raise InvalidInput({"branch": "只能为本分公司受理工单"})
        return branch, "given"
    if staff is not None and staff.branch is not None:
        return staff.branch, "caller"
    loc = pl.location
    routed = route(pl.area, loc.lat if loc else None, loc.lng if loc else None, pl.customer.address)
    if routed is None:
        raise InvalidInput(
            {"branch": "区域编码、位置和地址都未匹配到任何分公司的包片，请选择分公司"}
        )
    return routed.branch, routed.via


def _customer_match(branch: Branch, pl: CreatePayload) -> Any:
    """The branch's customer an intake is for: the one with the account sent, else the one at
    this phone and address; the oldest when several."""
    c = pl.customer
    at_address = Q(phone=c.phone, address=c.address)
    existing = Customer.objects.filter(branch=branch)
    if not c.account:
        return existing.filter(at_address).order_by("id")[:1]
    by_account = Case(When(account=c.account, then=Value(0)), default=Value(1))
    return existing.filter(Q(account=c.account) | at_address).order_by(by_account, "id")[:1]


def _match_and_number(
    branch: Branch, pl: CreatePayload, day: datetime
) -> tuple[Customer | None, int | None, str]:
    """The matching customer (or None), the id a new customer is to get (PostgreSQL; None
    elsewhere, where the row is saved to get one), and the order's number.

    On PostgreSQL one statement: the counter's upsert as a CTE, the customer looked up beside
    it and, when there is none, the id a new row would have taken from the same identity."""
    if connection.vendor != "postgresql":
        return _customer_match(branch, pl).first(), None, _next_number(branch, day)
    seq_sql, seq_params = _sequence_statement(branch, day)
    match_sql, match_params = _customer_match(branch, pl).query.sql_with_params()
    fields = Customer._meta.concrete_fields
    columns = ", ".join(f"m.{connection.ops.quote_name(f.column)}" for f in fields)
    table = Customer._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"WITH seq AS ({seq_sql}) SELECT seq.last, "
            f"CASE WHEN m.id IS NULL THEN nextval(pg_get_serial_sequence('{table}', 'id')) END, "
            f"{columns} FROM seq LEFT JOIN LATERAL ({match_sql}) m ON true",
            [*seq_params, *match_params],
        )
        last, new_pk, *values = cur.fetchone()
    match = None
    if new_pk is None:
        converted = _from_db_values(fields, values)
        match = Customer.from_db(connection.alias, [f.attname for f in fields], converted)
    return match, new_pk, _number(branch, day, last)


def _from_db_values(fields: Any, values: list[Any]) -> list[Any]:
    """Column values as the ORM would have loaded them (its converters, as a query's)."""
    out = []
    for field, value in zip(fields, values, strict=True):
        col = field.get_col(field.model._meta.db_table)
        for convert in [
            *connection.ops.get_db_converters(col),
            *field.get_db_converters(connection),
        ]:
            value = convert(value, col, connection)
        out.append(value)
    return out


def _find_or_create_customer(
    branch: Branch, pl: CreatePayload, match: Customer | None, new_pk: int | None
) -> tuple[Customer, bool]:
    """The intake's customer, brought up to date, or a new one. A new customer with `new_pk`
    is not saved yet: it is written with the order (`insert_together`)."""
    c = pl.customer
    if match is not None:
        changed = []
        # Only what the caller actually sent: a repair report without a grade must not turn a
        # VIP into a normal customer.
        sent = c.model_fields_set
        for attr, value in (("name", c.name), ("phone", c.phone), ("grade", c.grade)):
            if attr in sent and getattr(match, attr) != value:
                setattr(match, attr, value)
                changed.append(attr)
        if c.account and not match.account:
            match.account = c.account
            changed.append("account")
        if changed:
            match.save(update_fields=changed)
        return match, False
    new = Customer(
        pk=new_pk,
        branch=branch,
        name=c.name,
        phone=c.phone,
        address=c.address,
        account=c.account or "",
        grade=c.grade,
        lat=pl.location.lat if pl.location else None,
        lng=pl.location.lng if pl.location else None,
        area_code=pl.area or "",
    )
    if new_pk is None:
        new.save(force_insert=True)
    return new, True


def create_order(actor: Any, data: dict[str, Any] | CreatePayload) -> tuple[WorkOrder, OrderEvent]:
    """Intake (受理): register a fault report or an install request."""
    pl = _validated("create", data)
    assert isinstance(pl, CreatePayload)
    role = pick_role(actor, "create", None)
    now = clock.now()
    occurred = resolve_occurred_at(pl, now, None)
    reported = pl.reported_at or occurred
    if reported > now + _skew():
        raise InvalidInput({"reported_at": "报障时间不能晚于当前时间"})
    if pl.approved_deadline is not None and pl.approved_deadline <= reported:
        raise InvalidInput({"approved_deadline": "批准的修复时限必须晚于报障时间"})
    with transaction.atomic():
        branch, routed_by = _intake_branch(actor, pl)
        if role == Role.TECHNICIAN and branch.region_type != RegionType.TOWNSHIP:
            raise Forbidden("只有乡镇装维人员可以直接受理工单")
        match, new_pk, number = _match_and_number(branch, pl, reported)
        customer, is_new = _find_or_create_customer(branch, pl, match, new_pk)
        # A customer registered just now has no earlier order to repeat.
        repeat = (
            find_repeat_of(customer, pl.kind, reported)
            if pl.kind == Kind.REPAIR and not is_new
            else None
        )
        order = WorkOrder(
            kind=pl.kind,
            fault_class=pl.fault_class or "",
            status=Status.RECEIVED,
            branch=branch,
            customer=customer,
            symptom=pl.symptom or "",
            product=pl.product or "",
            channel=pl.channel,
            reported_at=reported,
            received_by=actor,
            approved_deadline=pl.approved_deadline,
            lat=pl.location.lat if pl.location else customer.lat,
            lng=pl.location.lng if pl.location else customer.lng,
            area_code=pl.area or customer.area_code,
            repeat_of=repeat,
            version=1,
            event_count=0,
        )
        order.number = number
        event_payload = pl.model_dump(mode="json", exclude={"occurred_at"})
        event_payload["customer_id"] = customer.pk
        event_payload["number"] = order.number
        event_payload["branch"] = branch.code
        event_payload["routed_by"] = routed_by
        event_payload["repeat_of"] = repeat.number if repeat else None
        escalation = repeat_escalation(repeat)
        if escalation is not None:
            event_payload["escalation"] = escalation
        # The chain hashes the order's number, not its id, so the first event is complete
        # before either row exists and the order is written once.
        event = _build_event(
            order,
            action="create",
            from_status="",
            to_status=Status.RECEIVED,
            actor=actor,
            role=role,
            occurred_at=occurred,
            recorded_at=now,
            payload=event_payload,
        )
        order.event_count = 1
        order.history_head = event.hash
        # One statement on PostgreSQL: a customer registered just now, the order, its event.
        insert_together(*([customer] if customer._state.adding else []), order, event)
        run_after_event(order, event)
    return order, event
