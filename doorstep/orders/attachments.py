"""Storing uploaded evidence. Everything is checked before a byte is written: the size, that a
photo / speed test / signature is a whole JPEG, PNG or WEBP picture of sane dimensions (a renamed
PDF, an SVG, a truncated file or a decompression bomb is refused), and that a document is a PDF
or such a picture. The stored name is made here from the content's hash and type; the client's
file name is kept only as a label."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from doorstep.core import clock
from doorstep.core.errors import InvalidInput
from doorstep.orders import images
from doorstep.orders.actions.core import perform
from doorstep.orders.choices import AttachmentKind
from doorstep.orders.models import Attachment

IMAGE_KINDS = {AttachmentKind.PHOTO, AttachmentKind.SPEED_TEST, AttachmentKind.SIGNATURE}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
# What an attachment is stored as (a WEBP photo is re-encoded as JPEG), so what it is served as.
STORED_TYPES = tuple(EXTENSIONS)
NOT_AN_IMAGE = "不是有效的图片：只接受完整的 JPEG / PNG / WEBP 照片"
TOO_MANY_PIXELS = f"图片尺寸过大（超过 {images.MAX_PIXELS // 1_000_000} 百万像素）"
NOT_A_DOCUMENT = "文档只接受 PDF 或图片 (JPEG / PNG / WEBP)"


def check_size(size: int) -> None:
    """The one upload size rule (DOORSTEP_MAX_UPLOAD_BYTES), for the API and the code paths."""
    if size <= 0:
        raise InvalidInput({"file": "文件为空"})
    if size > settings.DOORSTEP_MAX_UPLOAD_BYTES:
        limit = settings.DOORSTEP_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise InvalidInput({"file": f"文件不能超过 {limit} MB"})


def read_upload(file: UploadedFile) -> bytes:
    """The upload's bytes, refused by its announced size before it is read into memory."""
    check_size(file.size or 0)
    return file.read()


def label(filename: str) -> str:
    """The client's file name as a display label: no folders, no control characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200]


def _is_pdf(data: bytes) -> bool:
    # A PDF starts with its header and ends with %%EOF (a cut-off upload has no trailer).
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _sniff(kind: str, data: bytes) -> str:
    """The content type the bytes really are, or InvalidInput naming `file`."""
    if kind == AttachmentKind.DOCUMENT and _is_pdf(data):
        return "application/pdf"
    try:
        return images.FORMATS[images.inspect(data)]
    except images.TooLarge:
        raise InvalidInput({"file": TOO_MANY_PIXELS}) from None
    except images.NotAnImage:
        message = NOT_A_DOCUMENT if kind == AttachmentKind.DOCUMENT else NOT_AN_IMAGE
        raise InvalidInput({"file": message}) from None


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
    check_size(len(data))
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
        from doorstep.orders.models import WorkOrder

        tz = (
            WorkOrder.objects.filter(pk=order_id).values_list("branch__timezone", flat=True).first()
        )
        fmt = "PNG" if content_type == "image/png" else "JPEG"
        try:
            done = images.process(data, fmt, tz or "Asia/Shanghai")
        except images.TooLarge:
            raise InvalidInput({"file": TOO_MANY_PIXELS}) from None
        except images.NotAnImage:
            raise InvalidInput({"file": "图片不完整或已损坏，无法解码"}) from None
        data, content_type = done.data, done.content_type
        captured_at, lat, lng = done.captured_at, done.lat, done.lng
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        att = Attachment(
            order_id=order_id,
            kind=kind,
            content_type=content_type,
            size=len(data),
            sha256=digest,
            original_name=label(filename),
            down_mbps=down_mbps,
            up_mbps=up_mbps,
            captured_at=captured_at,
            lat=lat,
            lng=lng,
            uploaded_by=actor,
            uploaded_at=clock.now(),
        )
        # The stored name is ours (orders/<id>/<hash><ext>), never the client's.
        att.file.save(f"{kind}{EXTENSIONS[content_type]}", ContentFile(data), save=False)
        try:
            att.save()
            body: dict[str, Any] = {"attachment": att.pk, "kind": kind}
            if occurred_at is not None:
                body["occurred_at"] = occurred_at
            # The attach action checks role, ownership and state; its refusal undoes the row.
            perform(order_id, "attach", actor, body)
        except BaseException:
            att.file.delete(save=False)
            raise
    return att
