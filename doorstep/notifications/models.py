"""The outbox: every notice is a row first, so nothing is lost while a gateway is down."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    kind = models.CharField(max_length=32)  # warning, escalation, customer_sms, chase …
    channel = models.CharField(max_length=16, default="sms")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_phone = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The same notice is never queued twice (e.g. two workers warning about one clock).
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["available_at"], name="notification_due", condition=Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id or self.to_phone}"
