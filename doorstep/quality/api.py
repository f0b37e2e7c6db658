"""The quality desk in the API (SPEC §5 "Callbacks", "Complaints are cases").

Writes are order actions (`callback`, `close`, `complain`, `verify_complaint` under
`/orders/{id}/actions/…`); this router only reads, plus the claim on the next call.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Schema

from doorstep.api.errors import Router
from doorstep.core.errors import InvalidInput, NotFound
from doorstep.orders.privacy import customer_view, log_personal_views
from doorstep.quality import services
from doorstep.quality.choices import Finding
from doorstep.quality.models import CallbackTask, Complaint

router = Router(tags=["quality"])
# The queue answers the oldest this many; `count` is all of them.
QUEUE_LIMIT = 500


class CustomerOut(Schema):
    name: str
    phone: str
    address: str


class CallbackOut(Schema):
    id: int  # the order's id
    number: str
    status: str
    kind: str
    branch: str
    technician: str | None
    completed_at: str
    due_at: str | None
    audit: bool
    claimed_by: str | None
    customer: CustomerOut


class CallbackQueueOut(Schema):
    count: int
    results: list[CallbackOut]


class ComplaintOut(Schema):
    id: int
    order: int
    number: str
    channel: str
    note: str
    opened_at: str
    finding: str | None
    finding_note: str
    decided_at: str | None
    charged_technician: str | None


class ComplaintListOut(Schema):
    count: int
    results: list[ComplaintOut]


class ComplaintFilters(Schema):
    status: str | None = None  # open, upheld, rejected


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def task_dict(task: CallbackTask, user: Any) -> dict[str, Any]:
    o = task.order
    view = customer_view(user, o)
    return {
        "id": o.pk,
        "number": o.number,
        "status": o.status,
        "kind": o.kind,
        "branch": o.branch.code,
        "technician": o.technician.username if o.technician else None,
        "completed_at": _iso(task.completed_at),
        "due_at": _iso(task.due_at),
        "audit": task.audit,
        "claimed_by": task.claimed_by.username if task.claimed_by else None,
        "customer": {k: view.get(k) or "" for k in ("name", "phone", "address")},
    }


@router.get("/callbacks/queue", response=CallbackQueueOut, summary="Orders waiting for a callback")
def callback_queue(request: HttpRequest) -> dict[str, Any]:
    """Completed orders waiting for their callback (R17), oldest close-out first; those sampled
    for audit at close-out carry `audit: true`."""
    waiting = services.waiting_tasks(request.user)
    tasks = list(waiting.select_related("claimed_by")[:QUEUE_LIMIT])
    log_personal_views(request.user, [t.order for t in tasks], via="api-list")
    count = len(tasks) if len(tasks) < QUEUE_LIMIT else waiting.count()
    return {"count": count, "results": [task_dict(t, request.user) for t in tasks]}


@router.post(
    "/callbacks/next",
    response=CallbackOut,
    summary="Claim the next call",
)
def callback_next(request: HttpRequest) -> Any:
    """Claim the oldest call nobody else holds (the caller's own claim first)."""
    task = services.take_next(request.user)
    if task is None:
        raise NotFound("没有待回访的工单")
    log_personal_views(request.user, [task.order], via="callback")
    return task_dict(task, request.user)


def complaint_dict(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.pk,
        "order": c.order_id,
        "number": c.order.number,
        "channel": c.channel,
        "note": c.note,
        "opened_at": _iso(c.opened_at),
        "finding": c.finding or None,
        "finding_note": c.finding_note,
        "decided_at": _iso(c.decided_at),
        "charged_technician": c.charged_technician.username if c.charged_technician else None,
    }


def filtered_complaints(user: Any, status: str | None) -> Any:
    qs = services.visible_complaints(user).select_related("order", "charged_technician")
    if status in (None, ""):
        return qs
    if status == "open":
        return qs.filter(finding="")
    if status in Finding.values:
        return qs.filter(finding=status)
    raise InvalidInput({"status": "status 必须是 open、upheld、rejected 之一"})


@router.get("/complaints", response=ComplaintListOut, summary="Complaint cases, newest first")
def complaint_list(request: HttpRequest, filters: Query[ComplaintFilters]) -> dict[str, Any]:
    qs = filtered_complaints(request.user, filters.status)
    rows = list(qs.order_by("-opened_at")[:QUEUE_LIMIT])
    count = len(rows) if len(rows) < QUEUE_LIMIT else qs.count()
    return {"count": count, "results": [complaint_dict(c) for c in rows]}
