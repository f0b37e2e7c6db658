"""Records of doorstep.care. Each is written by the order action that caused it (claims,
settlements, site reports, engineering hand-overs: the order's history holds the event) or by
doorstep.care.services (questions and their hand-offs, which may have no order)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.care.choices import AskedVia, EngineeringKind, PaidVia, SiteReason

USER = settings.AUTH_USER_MODEL


class DamageClaim(models.Model):
    """R18: damage to customer property (000 第四章 §8.2: apologise at once, compensate within
    48 h). Opened by `claim_damage`, which starts the order's `compensation` clock; closed by
    `settle_damage`, which stops it (met in time or breached)."""

    order = models.ForeignKey("orders.WorkOrder", on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField("orders.OrderEvent", on_delete=models.PROTECT, related_name="+")
    what = models.CharField(_("损坏物品"), max_length=64)
    customer_words = models.TextField(_("客户原话"))
    photos = models.JSONField(_("照片附件"), default=list, blank=True)
    apologized_at = models.DateTimeField(_("道歉时间"), null=True, blank=True)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    opened_at = models.DateTimeField(_("登记时间"))
    clock = models.ForeignKey(
        "standards.Clock", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(
        _("赔偿金额"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    paid_via = models.CharField(_("赔偿方式"), max_length=16, choices=PaidVia.choices, blank=True)
    settled_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("处理完毕时间"), null=True, blank=True)
    settle_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(
                fields=["opened_at"], name="care_claim_open", condition=models.Q(settled_at=None)
            )
        ]
        verbose_name = _("损坏赔偿")
        verbose_name_plural = _("损坏赔偿")

    def __str__(self) -> str:
        return f"{self.what} ({self.order_id})"

    @property
    def is_open(self) -> bool:
        return self.settled_at is None


class Question(models.Model):
    """R19 首问负责制: a customer's question is owned by whoever first received it until it is
    answered. A hand-off changes `handled_by` only; `owner` never changes."""

    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "org.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asked_via = models.CharField(_("渠道"), max_length=16, choices=AskedVia.choices)
    asked_at = models.DateTimeField(_("提问时间"))
    question = models.TextField(_("问题"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    handled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]
        indexes = [
            models.Index(
                fields=["owner", "asked_at"],
                name="care_question_open_owner",
                condition=models.Q(answered_at=None),
            ),
            models.Index(
                fields=["handled_by", "asked_at"],
                name="care_question_open_handler",
                condition=models.Q(answered_at=None),
            ),
        ]
        verbose_name = _("客户问题（首问负责）")
        verbose_name_plural = _("客户问题（首问负责）")

    def __str__(self) -> str:
        return self.question[:40]


class QuestionHandoff(models.Model):
    """One hand-off of a question (append-only): from whom, to whom, when, why."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="handoffs")
    from_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["question_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.from_user_id} → {self.to_user_id}"


class SiteReport(models.Model):
    """An install that cannot go ahead (001 第二章: 施工条件不具备 … 征得客户同意后方可离去),
    reported to dispatch by `site_not_ready`; dispatch marks it handled."""

    order = models.ForeignKey("orders.WorkOrder", on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField("orders.OrderEvent", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=24, choices=SiteReason.choices)
    customer_consent = models.BooleanField(_("客户同意离开"))
    note = models.TextField(_("说明"), blank=True)
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    reported_at = models.DateTimeField(_("上报时间"))
    handled_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("调度处理时间"), null=True, blank=True)
    handled_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("施工条件不具备")
        verbose_name_plural = _("施工条件不具备")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.order_id})"


class EngineeringHandover(models.Model):
    """A cutover or cable fault handed to the engineering team (003 第三部分 二.2/3): within
    4 h (policy `care.engineering`) of the fault reaching the technician, customer told."""

    order = models.ForeignKey("orders.WorkOrder", on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField("orders.OrderEvent", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=EngineeringKind.choices)
    team = models.CharField(_("工程队"), max_length=64)
    team_phone = models.CharField(_("工程队电话"), max_length=32)
    received_at = models.DateTimeField(_("装维接单时间"))
    deadline = models.DateTimeField(_("转派时限"))
    handed_over_at = models.DateTimeField(_("转派时间"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-handed_over_at", "-id"]
        verbose_name = _("转派工程队")
        verbose_name_plural = _("转派工程队")

    def __str__(self) -> str:
        return f"{self.team} ({self.order_id})"

    @property
    def on_time(self) -> bool:
        return self.handed_over_at <= self.deadline


class KitItem(models.Model):
    """R24: an item of the pre-departure kit check (五个一、七个一、四统一四携带). Items with no
    branch apply to every branch that has none of its own. `required` items must be ticked on
    `depart`; the others are recorded as missing when not ticked."""

    branch = models.ForeignKey(
        "org.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(_("编码"), max_length=32)
    label = models.CharField(_("名称"), max_length=64)
    required = models.BooleanField(_("必须携带"), default=False)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["branch_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "code"], name="care_kit_unique_code"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(branch=None), name="care_kit_unique_org_code"
            ),
        ]
        verbose_name = _("出发前检查项")
        verbose_name_plural = _("出发前检查项")

    def __str__(self) -> str:
        return self.label
