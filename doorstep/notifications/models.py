"""The outbox and what feeds it: every notice is a row first, so nothing is lost while a
gateway is down; the worker claims rows, commits, sends, then records the result
(doorstep/notifications/sender.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"  # claimed by a worker; back to the queue when its lease ends
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    CANCELLED = "cancelled", "已取消"


# Rows a worker may claim: queued ones, and ones whose sender's lease ran out (it crashed).
CLAIMABLE = (Status.QUEUED, Status.SENDING)
FINISHED = (Status.SENT, Status.FAILED, Status.CANCELLED)


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    CONSOLE = "console", "控制台"
    WEBHOOK = "webhook", "Webhook"


class Notification(models.Model):
    Status = Status

    kind = models.CharField(max_length=32)  # warning, escalation, customer_sms, webhook …
    channel = models.CharField(max_length=16, default=Channel.SMS)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_phone = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The template the body was rendered from, and what the SMS provider needs to send it
    # (copied at queue time: a later edit of the template does not change a queued notice).
    template = models.CharField(max_length=40, blank=True)
    provider_template_id = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    subscription = models.ForeignKey(
        "notifications.WebhookSubscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    # The same notice is never queued twice (e.g. two workers warning about one clock).
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker may next claim the row: due time while queued, lease end while sending.
    available_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "通知"
        verbose_name_plural = "通知"
        indexes = [
            models.Index(
                fields=["available_at"],
                name="notification_claimable",
                condition=Q(status__in=["queued", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id or self.masked_to or self.subscription_id}"

    @property
    def masked_to(self) -> str:
        """The recipient's phone as pages and the API show it (R22: never in full)."""
        from doorstep.orders.privacy import mask_phone

        return mask_phone(self.to_phone) if self.to_phone else ""


class DeliveryAttempt(models.Model):
    """One try at sending a notice: appended, never edited (the delivery log)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "成功"
        RETRY = "retry", "稍后重试"
        FAILED = "failed", "失败"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=120)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "发送记录"
        verbose_name_plural = "发送记录"

    def __str__(self) -> str:
        return f"#{self.notification_id} 第 {self.number} 次：{self.get_outcome_display()}"


class Template(models.Model):
    """A customer notice's wording, edited by an admin; checked against R23 when saved."""

    code = models.SlugField(max_length=40, unique=True, verbose_name="代码")
    name = models.CharField(max_length=60, verbose_name="名称")
    body = models.TextField(
        verbose_name="内容", help_text="用 {参数名} 插入参数，例如 {customer_name}"
    )
    provider_template_id = models.CharField(
        max_length=64, blank=True, verbose_name="短信平台模板号"
    )
    params = models.JSONField(
        default=list, blank=True, verbose_name="参数", help_text="按短信平台模板的参数顺序列出"
    )
    active = models.BooleanField(default=True, verbose_name="启用")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="修改时间")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="修改人",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "通知模板"
        verbose_name_plural = "通知模板"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        from doorstep.notifications.notices import check_template

        check_template(self.body, self.params)


class WebhookSubscription(models.Model):
    """One of the operator's other systems that wants order events, signed with its secret."""

    name = models.CharField(max_length=60, verbose_name="名称")
    url = models.URLField(max_length=500, verbose_name="接收地址")
    secret = models.CharField(
        max_length=128, verbose_name="签名密钥", help_text="HMAC-SHA256 签名用，至少 16 个字符"
    )
    events = models.JSONField(
        default=list,
        blank=True,
        verbose_name="事件",
        help_text='订阅的工单动作，如 ["create", "complete"]；留空表示全部',
    )
    active = models.BooleanField(default=True, verbose_name="启用")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "Webhook 订阅"
        verbose_name_plural = "Webhook 订阅"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from doorstep.orders.choices import Action

        errors = {}
        if len(self.secret or "") < 16:
            errors["secret"] = "签名密钥至少 16 个字符"
        events = self.events if isinstance(self.events, list) else None
        unknown = [e for e in events or [] if e not in Action.values]
        if events is None or unknown:
            errors["events"] = "未知动作：" + "、".join(map(str, unknown or [self.events]))
        if errors:
            raise ValidationError(errors)

    def wants(self, action: str) -> bool:
        return self.active and (not self.events or action in self.events)
