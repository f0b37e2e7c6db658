"""REST endpoints for orders (SPEC §5). Every write goes through doorstep.orders.actions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Schema
from ninja.files import UploadedFile
from pydantic import AwareDatetime, Field

from doorstep.api.errors import ERRORS, Router
from doorstep.core.bounds import PageNumber
from doorstep.core.errors import InvalidInput, NotFound
from doorstep.orders.access import visible_orders
from doorstep.orders.actions import create_order, perform
from doorstep.orders.actions.payloads import PAYLOADS, CreatePayload, validate_payload
from doorstep.orders.attachments import STORED_TYPES, read_upload, store_attachment
from doorstep.orders.choices import Kind, Status
from doorstep.orders.hooks import clocks_of
from doorstep.orders.idempotency import IdempotencyRecord
from doorstep.orders.models import Attachment, WorkOrder
from doorstep.orders.privacy import log_personal_views
from doorstep.orders.schemas import (
    AttachmentStored,
    ClockOut,
    OrderDetail,
    OrderPage,
)
from doorstep.orders.serializers import order_detail, order_summary

router = Router(tags=["orders"])

# Attachments have their own upload endpoint; `create` is POST /orders.
ACTION_ENDPOINTS = [a for a in PAYLOADS if a not in ("create", "attach")]


def _detail_queryset(user: Any) -> Any:
    return visible_orders(user).select_related(
        "branch", "customer", "technician", "received_by", "repeat_of"
    )


def _get(user: Any, order_id: int) -> WorkOrder:
    order = _detail_queryset(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("工单不存在或无权查看")
    return order


def _after_action(user: Any, order_id: int) -> WorkOrder:
    """The order as it stands after the caller's action. An action may take the order out of
    the caller's sight (a technician who returns it is no longer assigned): the action was
    taken, so the answer is the order as the R22 gate lets them see it now, masked, not a 404."""
    order = _detail_queryset(user).filter(pk=order_id).first()
    if order is None:
        order = WorkOrder.objects.select_related(
            "branch", "customer", "technician", "received_by", "repeat_of"
        ).get(pk=order_id)
    return order


def _expected_version(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match", "").strip().strip('"')
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput({"If-Match": "If-Match 必须是工单的 version 数字"})
    return int(raw)


@router.post("/orders", response={201: OrderDetail}, summary="Register an order (intake)")
def create(request: HttpRequest, payload: CreatePayload) -> tuple[int, dict[str, Any]]:
    user = request.user

    def run() -> tuple[int, dict[str, Any]]:
        order, event = create_order(user, payload)
        return 201, order_detail(order, user, events=[event], attachments=[])

    return idempotent(request, request.body.decode(errors="replace"), run)


def idempotent(
    request: HttpRequest, fingerprint: str, run: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Answer a retried request (same Idempotency-Key, same request) as the first time: a phone
    that lost the answer to an action it sent replays it without doing it twice."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return run()
    if len(key) > 128:
        raise InvalidInput({"Idempotency-Key": "Idempotency-Key 最长 128 个字符"})
    if_match = request.headers.get("If-Match", "")
    digest = hashlib.sha256(f"{request.path}\n{if_match}\n{fingerprint}".encode()).hexdigest()
    replay = _replay(request.user, key, digest)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            status, body = run()
            IdempotencyRecord.objects.create(
                user=request.user,  # type: ignore[misc]
                key=key,
                request_hash=digest,
                status_code=status,
                response=body,
            )
    except IntegrityError:
        replay = _replay(request.user, key, digest)
        if replay is None:
            raise
        return replay
    return status, body


def _replay(user: Any, key: str, body_hash: str) -> tuple[int, dict[str, Any]] | None:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise InvalidInput({"Idempotency-Key": "同一个 Idempotency-Key 已用于不同的请求内容"})
    body = record.response
    if isinstance(body, dict) and "history" in body and "id" in body:
        # An order answers as it stands now, through the gate and the R22 masking of today;
        # an order the caller may no longer see is not found.
        body = order_detail(_get(user, int(body["id"])), user)
    return record.status_code, body


class OrderFilters(Schema):
    status: list[Status] | None = Field(default=None, description="one or more states")
    branch: str | None = None
    technician: str | None = Field(default=None, description="username")
    kind: Kind | None = None
    reported_from: date | AwareDatetime | None = None
    reported_to: date | AwareDatetime | None = None
    q: str | None = Field(default=None, max_length=64, description="number, name, phone, address")
    open: bool | None = None
    page: PageNumber = 1
    page_size: int = Field(default=50, ge=1, le=200)


def filter_orders(qs: Any, f: OrderFilters) -> Any:
    tz = timezone.get_current_timezone()
    if f.status:
        qs = qs.filter(status__in=[str(s) for s in f.status])
    if f.branch:
        qs = qs.filter(branch__code=f.branch)
    if f.technician:
        qs = qs.filter(technician__username=f.technician)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.open is True:
        qs = qs.exclude(status__in=[Status.CLOSED, Status.CANCELLED, Status.COMPLETED])
    elif f.open is False:
        qs = qs.filter(status__in=[Status.CLOSED, Status.CANCELLED, Status.COMPLETED])
    if f.reported_from:
        start = f.reported_from
        if not isinstance(start, datetime):
            start = datetime.combine(start, time.min, tzinfo=tz)
        qs = qs.filter(reported_at__gte=start)
    if f.reported_to:
        end = f.reported_to
        if not isinstance(end, datetime):
            end = datetime.combine(end, time.max, tzinfo=tz)
        qs = qs.filter(reported_at__lte=end)
    if f.q:
        text = f.q.strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(customer__name__icontains=text)
            | Q(customer__phone__contains=text)
            | Q(customer__account__iexact=text)
            | Q(customer__address__icontains=text)
            | Q(symptom__icontains=text)
        )
    return qs


@router.get("/orders", response={200: OrderPage}, summary="List orders with filters, paginated")
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> dict[str, Any]:
    qs = filter_orders(
        visible_orders(request.user).select_related("branch", "customer", "technician"), filters
    ).order_by("-reported_at", "-id")
    total = qs.count()
    start = (filters.page - 1) * filters.page_size
    rows = list(qs[start : start + filters.page_size])
    log_personal_views(request.user, rows, "api-list")
    return {
        "count": total,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [order_summary(o, request.user) for o in rows],
    }


@router.get(
    "/orders/{order_id}",
    response={200: OrderDetail},
    summary="One order with clocks and history",
)
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = _get(request.user, order_id)
    log_personal_views(request.user, [order], "api")
    return order_detail(order, request.user)


@router.get(
    "/orders/{order_id}/clocks",
    response={200: list[ClockOut]},
    summary="Clocks as of a time",
)
def get_clocks(
    request: HttpRequest, order_id: int, at: AwareDatetime | None = None
) -> list[dict[str, Any]]:
    return clocks_of(_get(request.user, order_id), at)


def _action_endpoint(action: str) -> None:
    schema = PAYLOADS[action]

    def endpoint(request: HttpRequest, order_id: int, payload: Any) -> tuple[int, dict[str, Any]]:
        def run() -> tuple[int, dict[str, Any]]:
            perform(
                order_id, action, request.user, payload, expected_version=_expected_version(request)
            )
            return 200, order_detail(_after_action(request.user, order_id), request.user)

        return idempotent(request, request.body.decode(errors="replace"), run)

    endpoint.__name__ = f"action_{action}"
    endpoint.__annotations__ = {
        "request": HttpRequest,
        "order_id": int,
        "payload": schema,
        "return": tuple[int, dict[str, Any]],
    }
    router.post(
        f"/orders/{{order_id}}/actions/{action}",
        response={200: OrderDetail},
        summary=f"Action: {action}",
        operation_id=f"order_action_{action}",
    )(endpoint)


for _action in ACTION_ENDPOINTS:
    _action_endpoint(_action)


@router.post(
    "/orders/{order_id}/actions/{action}",
    response={200: OrderDetail},
    include_in_schema=False,
)
def unknown_action(request: HttpRequest, order_id: int, action: str) -> dict[str, Any]:
    if action == "attach":
        raise InvalidInput({"action": "附件请用 POST /api/v1/orders/{id}/attachments 上传"})
    if action not in PAYLOADS:
        raise NotFound(f"没有名为 {action} 的操作；可用: {', '.join(ACTION_ENDPOINTS)}")
    if action == "create":
        raise NotFound("受理请用 POST /api/v1/orders")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidInput({"__all__": "请求体不是有效的 JSON"}) from None
    perform(order_id, action, request.user, validate_payload(action, data))
    return order_detail(_after_action(request.user, order_id), request.user)


@router.post(
    "/orders/{order_id}/attachments",
    response={201: AttachmentStored},
    summary="Upload evidence",
)
def upload_attachment(
    request: HttpRequest,
    order_id: int,
    kind: Form[str],
    file: File[UploadedFile],
    down_mbps: Form[float | None] = None,
    up_mbps: Form[float | None] = None,
    occurred_at: Form[AwareDatetime | None] = None,
) -> tuple[int, dict[str, Any]]:
    _get(request.user, order_id)
    data = read_upload(file)
    fingerprint = f"{kind}|{down_mbps}|{up_mbps}|{occurred_at}|{hashlib.sha256(data).hexdigest()}"

    def run() -> tuple[int, dict[str, Any]]:
        att = store_attachment(
            order_id,
            request.user,
            kind=kind,
            data=data,
            filename=file.name or "upload",
            down_mbps=down_mbps,
            up_mbps=up_mbps,
            occurred_at=occurred_at.isoformat() if occurred_at else None,
        )
        return 201, {
            "id": att.pk,
            "kind": att.kind,
            "content_type": att.content_type,
            "size": att.size,
            "sha256": att.sha256,
        }

    return idempotent(request, fingerprint, run)


@router.get(
    "/orders/{order_id}/attachments/{attachment_id}",
    response=ERRORS,
    summary="Download evidence",
    # The file itself, with the content type it was stored as (a photo: image/jpeg).
    openapi_extra={
        "responses": {
            200: {
                "description": "the file",
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in STORED_TYPES
                },
            }
        }
    },
)
def download_attachment(request: HttpRequest, order_id: int, attachment_id: int) -> FileResponse:
    order = _get(request.user, order_id)
    att = Attachment.objects.filter(pk=attachment_id, order=order).first()
    if att is None:
        raise NotFound("附件不存在")
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
