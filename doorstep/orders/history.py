"""The hash chain over each order's events, and the check `doorstep verify-history` runs.

Sealed personal fields (seal 1): the customer's personal data inside a payload (the paths in
`PERSONAL_FIELDS`) is hashed as a salted digest, sha256(salt + ":" + canonical value), not as
the value itself. Retention may then erase those values with `erase_personal_fields`, the one
change an event row ever takes: the value becomes null, its digest is kept in `erased`, and the
hash still verifies. Events recorded before the seal (seal 0) hash their payload as stored and
cannot be erased without breaking the chain. docs/history.md says why this is sound.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from doorstep.orders.models import OrderEvent

# The rule new events are hashed by. 0: recorded before personal fields were sealed.
SEAL = 1

# The customer's personal data inside event payloads, per action: paths from the payload's top.
# The one list; retention erases exactly these, the hash seals exactly these.
PERSONAL_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "create": (
        ("customer", "name"),
        ("customer", "phone"),
        ("customer", "address"),
        ("customer", "account"),
        ("location",),
    ),
    "arrive": (("lat",), ("lng",)),
    # The number and name left on the not-home note (the crew's by default, any typed one).
    "absent": (("contact_phone",), ("contact_person",)),
}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def new_salt() -> str:
    return secrets.token_hex(16)


def field_digest(salt: str, value: Any) -> str:
    """The digest a sealed personal value is hashed as."""
    return hashlib.sha256(f"{salt}:{_canonical(value)}".encode()).hexdigest()


def _key(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _parent(payload: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    """The dict holding the path's last key, or None when the path is not in the payload."""
    node = payload
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and path[-1] in node:
        return node
    return None


def _copied_along(payload: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """`payload` with the dicts on the way to the path's last key copied (the stored payload
    must not change; copying only these is cheaper than a deep copy for verify-history)."""
    node = payload
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            break
        node[part] = child = dict(child)
        node = child
    return payload


def sealed_payload(action: str, payload: Any, salt: str, erased: dict[str, str]) -> Any:
    """The payload as the hash sees it: each personal value there replaced by its digest (the
    recorded one when it was erased)."""
    paths = PERSONAL_FIELDS.get(action)
    if not paths or not isinstance(payload, dict):
        return payload
    sealed = dict(payload)
    for path in paths:
        parent = _parent(_copied_along(sealed, path), path)
        if parent is None:
            continue
        key = _key(path)
        parent[path[-1]] = erased[key] if key in erased else field_digest(salt, parent[path[-1]])
    return sealed


def event_hash(
    *,
    order_number: str,
    seq: int,
    action: str,
    from_status: str,
    to_status: str,
    actor_id: int | None,
    actor_role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: Any,
    prev_hash: str,
    seal: int,
    salt: str,
    erased: dict[str, str],
) -> str:
    fields: list[Any] = [
        order_number,
        seq,
        action,
        from_status,
        to_status,
        actor_id,
        actor_role,
        _iso(occurred_at),
        _iso(recorded_at),
        payload if seal == 0 else sealed_payload(action, payload, salt, erased),
        prev_hash,
    ]
    if seal != 0:
        fields.append(seal)
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def hash_of(ev: OrderEvent, order_number: str) -> str:
    """The hash an event's stored content gives (what verify-history compares with `ev.hash`)."""
    return event_hash(
        order_number=order_number,
        seq=ev.seq,
        action=ev.action,
        from_status=ev.from_status,
        to_status=ev.to_status,
        actor_id=ev.actor_id,
        actor_role=ev.actor_role,
        occurred_at=ev.occurred_at,
        recorded_at=ev.recorded_at,
        payload=ev.payload,
        prev_hash=ev.prev_hash,
        seal=ev.seal,
        salt=ev.salt,
        erased=ev.erased or {},
    )


def seal_new_event(ev: OrderEvent, order_number: str) -> None:
    """Give a new, unsaved event its salt and seal and compute its hash (no query)."""
    ev.seal = SEAL
    ev.salt = new_salt()
    ev.erased = {}
    ev.hash = hash_of(ev, order_number)


def erase_personal_fields(events: Iterable[OrderEvent]) -> int:
    """Retention (R22): null every personal value of these events, keeping its digest in
    `erased` and forgetting the salt, so the chain still verifies and no digest can be matched
    against a guess. The only change ever made to an event row (docs/history.md). Events recorded
    before the seal (seal 0) are left as they are. Answers how many events it changed."""
    from django.db.models import QuerySet

    from doorstep.orders.models import OrderEvent

    changed = 0
    for ev in events:
        paths = PERSONAL_FIELDS.get(ev.action)
        if not paths or ev.seal == 0:
            continue
        payload = copy.deepcopy(ev.payload)
        erased = dict(ev.erased or {})
        for path in paths:
            parent = _parent(payload, path)
            key = _key(path)
            if parent is None or key in erased:
                continue
            erased[key] = field_digest(ev.salt, parent[path[-1]])
            parent[path[-1]] = None
        if erased == (ev.erased or {}):
            continue
        # The one bypass of the append-only queryset: only these three columns, only here.
        QuerySet.update(
            OrderEvent.objects.filter(pk=ev.pk), payload=payload, erased=erased, salt=""
        )
        changed += 1
    return changed


def _erasure_problem(ev: OrderEvent) -> str | None:
    """An erasure that `erase_personal_fields` could not have made."""
    erased = ev.erased or {}
    if not erased:
        return None
    allowed = {_key(p) for p in PERSONAL_FIELDS.get(ev.action, ())}
    if ev.seal == 0 or not set(erased) <= allowed:
        return "content was altered (an erasure of a field that is not sealed)"
    for path in PERSONAL_FIELDS[ev.action]:
        parent = _parent(ev.payload, path)
        if _key(path) in erased and (parent is None or parent[path[-1]] is not None):
            return "content was altered (an erased field holds a value)"
    return None


@dataclass(frozen=True)
class HistoryProblem:
    order_id: int
    order_number: str
    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.seq is not None else "history"
        return f"order {self.order_number} (id {self.order_id}), {where}: {self.problem}"


def verify_history(batch: int = 2000) -> Iterator[HistoryProblem]:
    """Recompute every chain. Yields one problem per broken place, oldest first."""
    from doorstep.orders.models import OrderEvent, WorkOrder

    orders = WorkOrder.objects.order_by("id").values_list(
        "id", "number", "event_count", "history_head", "status"
    )
    last_id = 0
    while True:
        chunk = list(orders.filter(id__gt=last_id)[:batch])
        if not chunk:
            return
        last_id = chunk[-1][0]
        ids = [row[0] for row in chunk]
        events: dict[int, list[OrderEvent]] = {i: [] for i in ids}
        for ev in OrderEvent.objects.filter(order_id__in=ids).order_by("order_id", "seq"):
            events[ev.order_id].append(ev)
        for order_id, number, count, head, status in chunk:
            yield from _verify_one(order_id, number, count, head, status, events[order_id])


def _verify_one(
    order_id: int, number: str, count: int, head: str, status: str, events: list[Any]
) -> Iterator[HistoryProblem]:
    prev = ""
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            yield HistoryProblem(
                order_id, number, expected_seq, None, f"event #{expected_seq} is missing"
            )
            return
        if ev.prev_hash != prev:
            yield HistoryProblem(
                order_id, number, ev.seq, ev.id, "does not chain to the event before it"
            )
            return
        altered = _erasure_problem(ev)
        if altered is not None:
            yield HistoryProblem(order_id, number, ev.seq, ev.id, altered)
            return
        recomputed = hash_of(ev, number)
        if recomputed != ev.hash:
            yield HistoryProblem(order_id, number, ev.seq, ev.id, "content was altered")
            return
        prev = ev.hash
    if len(events) != count or prev != head:
        yield HistoryProblem(
            order_id,
            number,
            len(events) + 1 if len(events) < count else None,
            None,
            f"history has {len(events)} events but the order recorded {count}: events deleted",
        )
        return
    if events and events[-1].to_status != status:
        yield HistoryProblem(
            order_id,
            number,
            None,
            None,
            f"order state {status!r} differs from its history ({events[-1].to_status!r})",
        )
