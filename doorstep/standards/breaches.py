"""Recording breaches with their evidence, and the penalty ledger entries they open (R20).

`mark_clocks_breached` is the one way a clock's breach is recorded: the action path (an event
that stops a clock late) and the worker's row-by-row sweep both call it, and the worker's
set-based sweep on PostgreSQL (`mark_due_in_sql`) writes the very same rows — same evidence,
same pricing — for the batches where that is provably the same (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from doorstep.core import clock as app_clock
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.standards import policies
from doorstep.standards.choices import CLOCK_RULE, ClockName, PenaltyStatus, ReportBackStatus
from doorstep.standards.integrity import change_hash, penalty_hash, penalty_hash_sql
from doorstep.standards.models import (
    DECISIONS,
    Breach,
    ChangeKind,
    Clock,
    Penalty,
    PenaltyChange,
    ReportBack,
)

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
ISO_FORMAT_SQL = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def iso(value: datetime | None) -> str | None:
    """Times in evidence: UTC, always with microseconds, so SQL writes the same text."""
    return value.astimezone(UTC).strftime(ISO_FORMAT) if value is not None else None


def clock_evidence(clock: Clock, marked_by: str, now: datetime) -> dict[str, Any]:
    """What proves a clock breach: one record whoever marked it."""
    return {
        "clock": clock.name,
        "started_at": iso(clock.started_at),
        "deadline": iso(clock.deadline),
        "stopped_at": iso(clock.stopped_at),
        "paused_seconds": clock.paused_seconds,
        "marked_at": iso(now),
        "marked_by": marked_by,
    }


# Clocks that measure the office's own work after the visit: their breach is the desk's, charged
# to the branch and never to the technician (R17: a late callback is the quality desk's).
OFFICE_CLOCKS = frozenset({ClockName.CALLBACK})


def clock_technician(clock: Clock) -> int | None:
    """Who a clock's breach is charged to besides the branch (None: the branch alone)."""
    if clock.name in OFFICE_CLOCKS:
        return None
    return clock.technician_id or clock.order.technician_id


def _sql_iso(expr: str) -> str:
    return f"to_char(({expr}) AT TIME ZONE 'UTC', '{ISO_FORMAT_SQL}')"


def new_penalty(
    order: WorkOrder,
    rule: str,
    key: str,
    *,
    technician_id: int | None,
    now: datetime,
    breach: Breach | None = None,
    event: OrderEvent | None = None,
    reason: str = "",
    initial_status: str = PenaltyStatus.OPEN,
    revives: Penalty | None = None,
    priced: policies.Resolved | None = None,
) -> Penalty | None:
    """An unsaved ledger entry priced by the policy `key` resolves to for the order (None when
    that charges nothing)."""
    found = priced or policies.resolve(key, order)
    amount = found.amount if found and found.amount is not None else Decimal("0")
    if amount <= 0:
        return None
    p = Penalty(
        order_id=order.pk,
        breach=breach,
        event=event,
        rule=rule,
        amount=amount,
        technician_id=technician_id,
        branch_id=order.branch_id,
        initial_status=initial_status,
        reason=reason[:200],
        policy_id=found.policy_id if found else None,
        policy_version=found.version if found else None,
        revives=revives,
        created_at=now,
    )
    p.hash = penalty_hash(p)
    return p


def append_change(
    penalty: Penalty,
    kind: str,
    status_after: str,
    *,
    by: Any = None,
    note: str = "",
    refers_to: PenaltyChange | None = None,
    at: datetime | None = None,
) -> PenaltyChange:
    """Add one step to an entry's history. The caller holds the entry's row lock (or just
    created it), so two steps never take the same place in the chain."""
    last = PenaltyChange.objects.filter(penalty=penalty).order_by("-seq").first()
    change = PenaltyChange(
        penalty=penalty,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        status_after=status_after,
        by_id=getattr(by, "pk", by),
        at=at or app_clock.now(),
        note=note,
        refers_to=refers_to,
        prev_hash=last.hash if last else penalty.hash,
    )
    change.hash = change_hash(change)
    change.save()
    penalty.status = status_after
    return change


def _exempted_clocks(ids: Sequence[int]) -> set[int]:
    return set(
        ReportBack.objects.filter(status=ReportBackStatus.APPROVED, clocks__in=ids).values_list(
            "clocks", flat=True
        )
    )


def _carry_decision(old: Penalty, new: Penalty, now: datetime) -> None:
    """A re-breach never silently reverses a decision on the entry it replaces."""
    decision = old.changes.filter(kind__in=DECISIONS).order_by("-seq").first()
    if decision is None:
        return
    who = decision.by.get_username() if decision.by else "系统"
    append_change(
        new,
        ChangeKind.CARRIED,
        decision.status_after,
        note=(
            f"沿用第 {old.pk} 号记录的裁决（{decision.get_kind_display()}，{who}，"
            f"{iso(decision.at)}）：{decision.note}"
        ),
        refers_to=decision,
        at=now,
    )


def mark_clocks_breached(
    clocks: Sequence[Clock], *, marked_by: str, now: datetime | None = None
) -> list[Breach]:
    """Record the breach of each clock (its `order` loaded) and open its ledger entry.

    Idempotent: a clock that already has a live breach keeps it. A clock whose breach was
    voided (a late upload showed it met) and that is breached again is revived: a new breach
    with fresh evidence and a new ledger entry naming the voided one, carrying any decision
    made on it. Callers set the clock's own fields (status, breached_at, next check)."""
    now = now or app_clock.now()
    if not clocks:
        return []
    ids = [c.pk for c in clocks]
    live = {b.clock_id: b for b in Breach.objects.filter(clock_id__in=ids, void=False)}
    voided: dict[int, Breach] = {}
    for b in Breach.objects.filter(clock_id__in=ids, void=True).order_by("id"):
        voided[b.clock_id] = b  # type: ignore[index]  # the latest one wins
    exempt = _exempted_clocks(ids)
    todo = [c for c in clocks if c.pk not in live]
    created = Breach.objects.bulk_create(
        [
            Breach(
                order_id=c.order_id,
                rule=CLOCK_RULE[c.name],
                clock_id=c.pk,
                technician_id=clock_technician(c),
                branch_id=c.order.branch_id,
                occurred_at=c.breached_at or c.deadline or now,
                evidence=clock_evidence(c, marked_by, now),
                revives=voided.get(c.pk),
            )
            for c in todo
        ]
    )
    if any(b.pk is None for b in created):  # backends that do not return ids
        fresh = {b.clock_id: b for b in Breach.objects.filter(clock_id__in=ids, void=False)}
        created = [fresh[c.pk] for c in todo]
    old_entries = {p.breach_id: p for p in Penalty.objects.filter(breach__in=list(voided.values()))}
    priced: dict[tuple[Any, ...], policies.Resolved | None] = {}
    entries: list[Penalty] = []
    revived: list[tuple[Penalty, Penalty]] = []
    for c, breach in zip(todo, created, strict=True):
        o = c.order
        key = (o.kind, o.fault_class, o.branch_id, o.customer.grade, o.branch.region_type)
        if key not in priced:
            priced[key] = policies.resolve("penalty.overdue", o)
        old_breach = voided.get(c.pk)
        old = old_entries.get(old_breach.pk) if old_breach else None
        entry = new_penalty(
            o,
            breach.rule,
            "penalty.overdue",
            technician_id=breach.technician_id,
            now=now,
            breach=breach,
            reason=f"{ClockName(c.name).label} 超时",
            initial_status=PenaltyStatus.EXEMPTED if c.pk in exempt else PenaltyStatus.OPEN,
            revives=old,
            priced=priced[key],
        )
        if entry is None:
            continue
        entries.append(entry)
        if old is not None:
            revived.append((old, entry))
    Penalty.objects.bulk_create(entries)
    for old, entry in revived:
        if entry.pk is None:
            entry = Penalty.objects.get(breach_id=entry.breach_id)
        _carry_decision(old, entry, now)
    return [*live.values(), *created]


def void_clock_breach(clock: Clock, note: str = "") -> None:
    """A late upload showed the clock was met in time: the breach is void and its entry gets
    a `void` step. Decisions already made stay in the entry's history, untouched."""
    note = note or "迟到上传的记录表明该时限按时达标"
    for breach in Breach.objects.select_for_update().filter(clock=clock, void=False):
        Breach.objects.filter(pk=breach.pk).update(void=True)
        entry = Penalty.objects.select_for_update().filter(breach=breach).first()
        if entry is not None and entry.status != PenaltyStatus.VOID:
            append_change(entry, ChangeKind.VOID, PenaltyStatus.VOID, note=note)


def record_check_breach(
    order: WorkOrder,
    event: OrderEvent,
    rule: str,
    evidence: dict[str, Any],
    *,
    technician_id: int | None = None,
    amount_key: str = "penalty.check",
    reason: str = "",
) -> Breach | None:
    """A check (R3, R7, R8, R9, R12 …) broken by `event`. Once per event and rule."""
    tech = technician_id if technician_id is not None else order.technician_id
    try:
        with transaction.atomic():
            breach = Breach.objects.create(
                order=order,
                rule=rule,
                event=event,
                technician_id=tech,
                branch_id=order.branch_id,
                occurred_at=event.occurred_at,
                evidence=evidence,
            )
    except IntegrityError:
        return None
    entry = new_penalty(
        order,
        rule,
        amount_key,
        technician_id=tech,
        now=app_clock.now(),
        breach=breach,
        event=event,
        reason=reason,
    )
    if entry is not None:
        entry.save()
    return breach


# -- the set-based form, PostgreSQL ------------------------------------------------------------


def uniform_overdue_price() -> tuple[policies.Resolved | None] | None:
    """The overdue price when one policy row provably prices every order: exactly one enabled
    `penalty.overdue` row and it has no matchers (or no row at all: nothing is charged).
    None when rows differ by order — then only `mark_clocks_breached` may price them."""
    rows = policies.rows_for("penalty.overdue")
    if not rows:
        return (None,)
    if len(rows) == 1 and rows[0].specificity() == 0:
        return (policies.resolve("penalty.overdue"),)
    return None


def mark_due_in_sql(now: datetime, batch: int, marked_by: str, next_check_at: datetime) -> int:
    """Claim, mark, record and charge a batch of due running clocks in one statement.

    Writes what `mark_clocks_breached` writes (same evidence keys and text, the entry priced
    by the same policy row and version, exempted when an approved report-back covers the
    clock). Used only when that is provably the same: the overdue price is one row for every
    order (`uniform_overdue_price`), and only for clocks never breached before (a revival goes
    through `mark_clocks_breached`). Returns how many clocks it marked; 0 means "use the
    row-by-row path" (nothing due, or the price differs by order)."""
    uniform = uniform_overdue_price()
    if uniform is None:
        return 0
    (price,) = uniform
    amount = price.amount if price and price.amount else Decimal("0")
    office_in = ", ".join(f"'{name}'" for name in sorted(OFFICE_CLOCKS))
    rule_case = " ".join(f"WHEN '{name}' THEN '{rule}'" for name, rule in CLOCK_RULE.items())
    label_case = " ".join(
        f"WHEN '{name}' THEN '{ClockName(name).label} 超时'" for name in CLOCK_RULE
    )
    status_sql = (
        "CASE WHEN EXISTS (SELECT 1 FROM standards_reportback_clocks rc "
        "JOIN standards_reportback r ON r.id = rc.reportback_id "
        "WHERE rc.clock_id = b.clock_id AND r.status = 'approved') "
        "THEN 'exempted' ELSE 'open' END"
    )
    entry_hash = penalty_hash_sql(
        order_id="b.order_id",
        breach_id="b.id",
        rule="b.rule",
        amount="%(amount)s",
        technician_id="b.technician_id",
        branch_id="b.branch_id",
        reason=f"CASE b.clock_name {label_case} END",
        created_at="%(now)s::timestamptz",
        policy_id="%(policy)s::bigint",
        policy_version="%(version)s::int",
        initial_status="b.initial_status",
    )
    sql = f"""
    WITH due AS (
        SELECT c.id FROM standards_clock c
        WHERE c.next_check_at <= %(now)s AND c.status = 'running' AND c.deadline <= %(now)s
          AND NOT EXISTS (SELECT 1 FROM standards_breach x WHERE x.clock_id = c.id)
        ORDER BY c.next_check_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
    ), marked AS (
        UPDATE standards_clock c SET status = 'breached', breached_at = c.deadline,
               next_check_at = %(next_check_at)s
        FROM due WHERE c.id = due.id
        RETURNING c.id, c.order_id, c.name, c.technician_id, c.deadline, c.started_at,
                  c.stopped_at, c.paused_seconds
    ), inserted AS (
        INSERT INTO standards_breach (order_id, rule, clock_id, technician_id, branch_id,
                                      occurred_at, evidence, void, created_at)
        SELECT m.order_id, CASE m.name {rule_case} END, m.id,
               CASE WHEN m.name IN ({office_in}) THEN NULL
                    ELSE COALESCE(m.technician_id, o.technician_id) END,
               o.branch_id, m.deadline,
               jsonb_build_object('clock', m.name, 'started_at', {_sql_iso("m.started_at")},
                                  'deadline', {_sql_iso("m.deadline")},
                                  'stopped_at', {_sql_iso("m.stopped_at")},
                                  'paused_seconds', m.paused_seconds,
                                  'marked_at', {_sql_iso("%(now)s::timestamptz")},
                                  'marked_by', %(marked_by)s::text),
               false, %(now)s
        FROM marked m JOIN orders_workorder o ON o.id = m.order_id
        RETURNING id, order_id, clock_id, technician_id, branch_id, rule
    ), b AS (
        SELECT i.*, m.name AS clock_name, {status_sql.replace("b.clock_id", "i.clock_id")}
               AS initial_status
        FROM inserted i JOIN marked m ON m.id = i.clock_id
    ), charged AS (
        INSERT INTO standards_penalty (order_id, breach_id, rule, amount, technician_id,
                                       branch_id, initial_status, reason, policy_id,
                                       policy_version, created_at, hash)
        SELECT b.order_id, b.id, b.rule, %(amount)s, b.technician_id, b.branch_id,
               b.initial_status, CASE b.clock_name {label_case} END, %(policy)s::bigint,
               %(version)s::int, %(now)s, {entry_hash}
        FROM b WHERE %(amount)s > 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM charged)
    """
    with connection.cursor() as cur:
        cur.execute(
            sql,
            {
                "now": now,
                "batch": batch,
                "next_check_at": next_check_at,
                "marked_by": marked_by,
                "amount": amount,
                "policy": price.policy_id if price else None,
                "version": price.version if price else None,
            },
        )
        marked, _ = cur.fetchone()
    return int(marked)
