from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.orders.choices import (
    TERMINAL,
    Action,
    AttachmentKind,
    Channel,
    FaultClass,
    Kind,
    Status,
)
from doorstep.orders.idempotency import IdempotencyRecord as IdempotencyRecord
from doorstep.org.models import Branch, Customer


class WorkOrder(models.Model):
    """工单. Its fields change only through doorstep.orders.actions (one place for writes)."""

    number = models.CharField(_("工单号"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    fault_class = models.CharField(
        _("障碍类别"), max_length=16, choices=FaultClass.choices, blank=True
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, db_index=True)
    # Where `resume` goes back to.
    suspended_from = models.CharField(max_length=16, choices=Status.choices, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    symptom = models.TextField(_("故障现象"), blank=True)
    product = models.CharField(_("产品"), max_length=200, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    reported_at = models.DateTimeField(_("报障时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="received_orders",
        verbose_name=_("受理人"),
    )
    approved_deadline = models.DateTimeField(_("批准时限"), null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    area_code = models.CharField(_("区域"), max_length=32, blank=True, db_index=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_orders",
        verbose_name=_("装维人员"),
    )
    appointment_start = models.DateTimeField(_("预约开始"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("预约结束"), null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: every action bumps it with UPDATE … WHERE version = seen.
    version = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    # Hash of the newest event: deleting the tail of the history shows up against it.
    history_head = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "status"], name="order_branch_status"),
            models.Index(fields=["technician", "status"], name="order_tech_status"),
            models.Index(fields=["reported_at"], name="order_reported_at"),
            models.Index(fields=["customer", "reported_at"], name="order_customer_reported"),
            # The KPI report reads a period's completed orders (doorstep.kpis, docs/kpis.md).
            models.Index(fields=["completed_at"], name="order_completed_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=Kind.REPAIR) | ~Q(fault_class=""),
                name="order_repair_has_fault_class",
            )
        ]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL and self.status != Status.COMPLETED


class EventQuerySet(models.QuerySet["OrderEvent"]):
    # The one exception, retention's erasure, is doorstep.orders.history.erase_personal_fields.
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("order history is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        raise PermissionError("order history is append-only")


class OrderEvent(models.Model):
    """One action on an order. Append-only; each row chains a hash to the previous one."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_role = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Sealed personal fields (doorstep/orders/history.py): the rule the hash follows (0: events
    # recorded before the seal), the salt of the personal values' digests (blanked when they are
    # erased) and the digests of the erased ones ({"customer.phone": digest}).
    seal = models.PositiveSmallIntegerField(default=0)
    salt = models.CharField(max_length=32, blank=True)
    erased = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="event_unique_seq"),
        ]
        indexes = [models.Index(fields=["action", "occurred_at"], name="event_action_time")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise PermissionError("order history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("order history is append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"orders/{instance.order_id}/{instance.sha256[:2]}/{instance.sha256}{_ext(filename)}"


def _ext(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower()[:8] if dot >= 0 else ""


class Attachment(models.Model):
    """Photos, speed tests, signatures and documents. Served only through the permission gate."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    down_mbps = models.FloatField(null=True, blank=True)
    up_mbps = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:8]}"


class OrderSequence(models.Model):
    """Per branch and day counter for human-readable order numbers (GS-20261122-0001)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "day"], name="sequence_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.day} #{self.last}"


class PersonalDataView(models.Model):
    """R22: who was shown a customer's full phone number and address, when, on which page
    (`via`) and, unless it was the intake lookup, on which order. Written by
    `doorstep.orders.privacy.log_personal_views`: one row per order shown in full, lists too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField()
    # api, api-list, web, web-list, lookup, phone, my-day, board
    via = models.CharField(max_length=16)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["order", "at"], name="pdview_order_at"),
            models.Index(fields=["customer", "at"], name="pdview_customer_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.order_id or '-'} {self.customer_id} {self.at:%Y-%m-%d %H:%M}"
