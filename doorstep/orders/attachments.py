"""Storing uploaded evidence. Images are checked to be images, so a renamed file is refused."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from doorstep.core import clock
from doorstep.core.errors import InvalidInput
from doorstep.orders.actions.core import perform
from doorstep.orders.choices import AttachmentKind
from doorstep.orders.models import Attachment

IMAGE_KINDS = {AttachmentKind.PHOTO, AttachmentKind.SPEED_TEST, AttachmentKind.SIGNATURE}
# MPO is how Pillow names the multi-picture JPEGs many phone cameras write.
IMAGE_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DOCUMENT_TYPES = {b"%PDF": "application/pdf"}


def _image_format(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.format
    except (UnidentifiedImageError, OSError):
        return None


def _sniff(kind: str, data: bytes) -> str:
    if kind in IMAGE_KINDS:
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
                fmt = img.format or ""
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise InvalidInput({"file": "不是有效的图片 (JPEG / PNG / WEBP)"}) from None
        except Image.DecompressionBombError:
            raise InvalidInput({"file": "图片尺寸过大"}) from None
        if fmt not in IMAGE_TYPES:
            raise InvalidInput({"file": f"不支持的图片格式 {fmt}"})
        return IMAGE_TYPES[fmt]
    for magic, ctype in DOCUMENT_TYPES.items():
        if data.startswith(magic):
            return ctype
    try:
        return _sniff(AttachmentKind.PHOTO, data)
    except InvalidInput:
        raise InvalidInput({"file": "文档只接受 PDF 或图片"}) from None


def store_attachment(
    order_id: int,
    actor: Any,
    *,
    kind: str,
    data: bytes,
    filename: str,
    down_mbps: float | None = None,
    up_mbps: float | None = None,
    occurred_at: Any = None,
) -> Attachment:
    if kind not in AttachmentKind.values:
        raise InvalidInput({"kind": f"kind 必须是 {', '.join(AttachmentKind.values)} 之一"})
    if not data:
        raise InvalidInput({"file": "文件为空"})
    if len(data) > settings.DOORSTEP_MAX_UPLOAD_BYTES:
        limit = settings.DOORSTEP_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise InvalidInput({"file": f"文件不能超过 {limit} MB"})
    if kind == AttachmentKind.SPEED_TEST:
        if down_mbps is None:
            raise InvalidInput({"down_mbps": "测速必须填写下行速率 (Mbps)"})
        if up_mbps is None:
            raise InvalidInput({"up_mbps": "测速必须填写上行速率 (Mbps)"})
    for name, value in (("down_mbps", down_mbps), ("up_mbps", up_mbps)):
        if value is not None and not (0 <= value <= 100000):
            raise InvalidInput({name: "速率必须在 0–100000 Mbps 之间"})
    content_type = _sniff(kind, data)
    captured_at = lat = lng = None
    if content_type.startswith("image/"):
        from doorstep.orders.images import process
        from doorstep.orders.models import WorkOrder

        tz = (
            WorkOrder.objects.filter(pk=order_id).values_list("branch__timezone", flat=True).first()
        )
        try:
            done = process(data, _image_format(data) or "JPEG", tz or "Asia/Shanghai")
        except (OSError, ValueError, Image.DecompressionBombError):
            raise InvalidInput({"file": "图片已损坏或尺寸过大，无法处理"}) from None
        data, content_type = done.data, done.content_type
        captured_at, lat, lng = done.captured_at, done.lat, done.lng
        filename = filename.rsplit(".", 1)[0] + (".png" if content_type == "image/png" else ".jpg")
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        att = Attachment(
            order_id=order_id,
            kind=kind,
            content_type=content_type,
            size=len(data),
            sha256=digest,
            original_name=filename[:200],
            down_mbps=down_mbps,
            up_mbps=up_mbps,
            captured_at=captured_at,
            lat=lat,
            lng=lng,
            uploaded_by=actor,
            uploaded_at=clock.now(),
        )
        att.file.save(filename or "upload", ContentFile(data), save=False)
        # The attach action checks role, ownership and state; its refusal undoes the row.
        att.save()
        body: dict[str, Any] = {"attachment": att.pk, "kind": kind}
        if occurred_at is not None:
            body["occurred_at"] = occurred_at
        try:
            perform(order_id, "attach", actor, body)
        except Exception:
            att.file.delete(save=False)
            raise
    return att
