"""The customer's side: links sent to customers, technicians' badges, customers' requests, and
the counters of the rate limit when no Redis is configured."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.models import Staff


class CustomerLink(models.Model):
    """A link sent to a customer for one order. Only the token's SHA-256 is stored: a database
    copy cannot be turned into working links, and a link is revoked by stamping `revoked_at`."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("客户链接")
        verbose_name_plural = _("客户链接")

    def __str__(self) -> str:
        return f"{self.order_id} until {self.expires_at:%Y-%m-%d %H:%M}"


def badge_photo_path(instance: TechnicianBadge, filename: str) -> str:
    dot = filename.rfind(".")
    ext = filename[dot:].lower()[:8] if dot >= 0 else ""
    return f"badges/{instance.slug}{ext}"


class TechnicianBadge(models.Model):
    """工号牌 / 服务卡: a technician's public badge page, at a random slug (no guessable id)."""

    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="badge")
    slug = models.CharField(max_length=32, unique=True)
    photo = models.ImageField(_("照片"), upload_to=badge_photo_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工号牌")
        verbose_name_plural = _("工号牌")

    def __str__(self) -> str:
        return str(self.staff)


class RequestKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("改约申请")
    COMPLAINT = "complaint", _("投诉")
    RATING = "rating", _("评价留言")


class CustomerRequest(models.Model):
    """What a customer asked or said through their link. The order's history holds the event
    (with a salted digest of `text`); the words live here, where retention can blank them."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(OrderEvent, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    text = models.TextField(blank=True)
    salt = models.CharField(max_length=32, blank=True)
    preferred_start = models.DateTimeField(null=True, blank=True)
    preferred_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["kind", "created_at"],
                name="custreq_open",
                condition=models.Q(answered_at__isnull=True),
            )
        ]
        verbose_name = _("客户请求")
        verbose_name_plural = _("客户请求")

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.kind != RequestKind.RATING


class RateCounter(models.Model):
    """Requests counted per client and window by the rate limit when no Redis is configured:
    one row per key, incremented by a single upsert, so every web process shares it."""

    bucket = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}={self.count}"


class AnonymisedCustomer(models.Model):
    """A customer whose personal data retention erased, when and by which worker. The row is
    also the claim: two workers never erase the same customer twice (unique customer)."""

    customer = models.OneToOneField(
        "org.Customer", on_delete=models.PROTECT, related_name="anonymised"
    )
    at = models.DateTimeField()
    worker = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.customer_id} at {self.at:%Y-%m-%d}"
