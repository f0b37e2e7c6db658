"""Hashes over the penalty ledger and the policy history, and the check `verify-history` runs.

Each ledger entry carries a hash of its content; each change of an entry chains to the entry's
hash (first change) or to the change before it, like an order's events. Policy changes form one
chain of their own. The text hashed is simple enough to build in SQL too: the worker's
set-based sweep (PostgreSQL) writes ledger entries whose hash is computed by `PENALTY_HASH_SQL`
from the same fields in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

SEP = "\x1f"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(epoch_us(value))
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    return str(value)


def _sha(parts: list[Any]) -> str:
    return hashlib.sha256(SEP.join(_text(p) for p in parts).encode()).hexdigest()


def penalty_hash(p: Any) -> str:
    return _sha(
        [
            p.order_id,
            p.breach_id,
            p.event_id,
            p.rule,
            Decimal(p.amount),
            p.technician_id,
            p.branch_id,
            p.reason,
            p.created_at,
            p.policy_id,
            p.policy_version,
            p.revives_id,
            p.initial_status,
        ]
    )


def _sql_text(expr: str) -> str:
    return f"coalesce(({expr})::text, '')"


def penalty_hash_sql(
    *,
    order_id: str,
    breach_id: str,
    rule: str,
    amount: str,
    technician_id: str,
    branch_id: str,
    reason: str,
    created_at: str,
    policy_id: str,
    policy_version: str,
    initial_status: str,
) -> str:
    """The same hash as `penalty_hash`, as a PostgreSQL expression over the given columns
    (event and revived entry empty: the set-based sweep writes neither)."""
    parts = [
        _sql_text(order_id),
        _sql_text(breach_id),
        "''",
        _sql_text(rule),
        _sql_text(f"({amount})::numeric(8,2)"),
        _sql_text(technician_id),
        _sql_text(branch_id),
        _sql_text(reason),
        _sql_text(f"(extract(epoch from ({created_at})) * 1000000)::bigint"),
        _sql_text(policy_id),
        _sql_text(policy_version),
        "''",
        _sql_text(initial_status),
    ]
    return f"encode(sha256(convert_to(concat_ws(chr(31), {', '.join(parts)}), 'UTF8')), 'hex')"


def change_hash(c: Any) -> str:
    return _sha(
        [
            c.penalty_id,
            c.seq,
            c.kind,
            c.status_after,
            c.by_id,
            c.at,
            c.note,
            c.refers_to_id,
            c.prev_hash,
        ]
    )


def policy_change_hash(c: Any) -> str:
    return _sha(
        [
            c.policy_id,
            c.version,
            c.by_id,
            c.at,
            c.via,
            json.dumps(c.before, sort_keys=True, ensure_ascii=False),
            json.dumps(c.after, sort_keys=True, ensure_ascii=False),
            c.prev_hash,
        ]
    )


@dataclass(frozen=True)
class LedgerProblem:
    what: str
    problem: str

    def __str__(self) -> str:
        return f"{self.what}: {self.problem}"


def verify_ledger(batch: int = 2000) -> Iterator[LedgerProblem]:
    """Recompute every ledger entry's hash and every entry's chain of changes."""
    from doorstep.standards.models import Penalty, PenaltyChange

    last_id = 0
    rows = Penalty.raw.select_related("order").order_by("id")
    while True:
        chunk = list(rows.filter(id__gt=last_id)[:batch])
        if not chunk:
            return
        last_id = chunk[-1].pk
        changes: dict[int, list[Any]] = {p.pk: [] for p in chunk}
        for c in PenaltyChange.objects.filter(penalty_id__in=list(changes)).order_by(
            "penalty_id", "seq"
        ):
            changes[c.penalty_id].append(c)
        for p in chunk:
            what = f"penalty entry #{p.pk} (order {p.order.number}, {p.rule})"
            if penalty_hash(p) != p.hash:
                yield LedgerProblem(what, "content was altered")
                continue
            prev = p.hash
            for expected, c in enumerate(changes[p.pk], start=1):
                where = f"{what}, change #{c.seq} (id {c.pk}, {c.kind})"
                if c.seq != expected:
                    yield LedgerProblem(where, f"change #{expected} is missing")
                    break
                if c.prev_hash != prev:
                    yield LedgerProblem(where, "does not chain to the change before it")
                    break
                if change_hash(c) != c.hash:
                    yield LedgerProblem(where, "content was altered")
                    break
                prev = c.hash


def verify_policy_history() -> Iterator[LedgerProblem]:
    """Walk the one chain of policy changes from its start."""
    from doorstep.standards.models import Policy, PolicyChange

    by_prev = {c.prev_hash: c for c in PolicyChange.objects.order_by("id")}
    seen = 0
    prev = ""
    while prev in by_prev:
        c = by_prev[prev]
        seen += 1
        where = f"policy change id {c.pk} (policy #{c.policy_id} v{c.version})"
        if policy_change_hash(c) != c.hash:
            yield LedgerProblem(where, "content was altered")
            return
        prev = c.hash
    if seen != len(by_prev):
        yield LedgerProblem(
            "policy history",
            f"{len(by_prev) - seen} change(s) do not chain to the one before: a change was "
            "deleted or its link altered",
        )
        return
    # Each policy row must say what its latest recorded change says.
    latest: dict[int, Any] = {}
    for c in by_prev.values():
        if c.policy_id not in latest or c.version > latest[c.policy_id].version:
            latest[c.policy_id] = c
    for policy in Policy.objects.order_by("id"):
        c = latest.get(policy.pk)
        if c is None:
            continue
        if policy.version != c.version or policy_snapshot(policy) != c.after:
            yield LedgerProblem(
                f"policy #{policy.pk} ({policy.key})",
                f"differs from its recorded version {c.version}: edited without a record",
            )


POLICY_FIELDS = (
    "key",
    "label",
    "kind",
    "fault_class",
    "branch_id",
    "region_type",
    "grade",
    "minutes",
    "amount",
    "calendar_id",
    "params",
    "enabled",
    "source",
)


def policy_snapshot(policy: Any) -> dict[str, Any]:
    """A policy row as JSON, for its history."""
    out: dict[str, Any] = {}
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        out[name] = _text(Decimal(value)) if name == "amount" and value is not None else value
    return out
