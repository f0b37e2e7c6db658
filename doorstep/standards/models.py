"""Policies, calendars, clocks, breaches and the penalty ledger (SPEC §3, R1–R11, R16, R20)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.orders.choices import FaultClass, Kind
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.choices import CustomerGrade, RegionType
from doorstep.org.models import Branch
from doorstep.standards.choices import (
    CalendarKind,
    ClockName,
    ClockStatus,
    PenaltyStatus,
    ReportBackStatus,
    Rule,
    Workdays,
)


class Calendar(models.Model):
    """24×7, or working hours (several intervals a day) on a chosen workday rule."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarKind.choices)
    # [["08:30", "12:00"], ["13:30", "18:00"]]
    intervals = models.JSONField(_("工作时段"), default=list, blank=True)
    workdays = models.CharField(
        _("工作日规则"), max_length=16, choices=Workdays.choices, default=Workdays.CHINESE
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("日历")
        verbose_name_plural = _("日历")

    def __str__(self) -> str:
        return self.name


class HolidayDay(models.Model):
    """A day an admin entered: a holiday or a make-up working day (调休). Wins over the
    chinese-calendar library, and covers years the library does not know yet."""

    date = models.DateField(_("日期"), unique=True)
    is_working = models.BooleanField(_("上班"), default=False)
    name = models.CharField(_("名称"), max_length=64, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日 / 调休")
        verbose_name_plural = _("节假日 / 调休")

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_working else '休'} {self.name}"


class Policy(models.Model):
    """One number of the service standards, for the orders it matches.

    Blank matchers match anything; among the rows that match an order, the one with the most
    matchers set wins (a township VIP rule beats the general one). Defaults come from SPEC §3
    through a data migration; admins edit them on the policies page.
    """

    key = models.CharField(_("规则"), max_length=48, db_index=True)
    label = models.CharField(_("说明"), max_length=120, blank=True)
    kind = models.CharField(_("工单类型"), max_length=16, choices=Kind.choices, blank=True)
    fault_class = models.CharField(
        _("障碍类别"), max_length=16, choices=FaultClass.choices, blank=True
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="policies"
    )
    region_type = models.CharField(
        _("区域类型"), max_length=16, choices=RegionType.choices, blank=True
    )
    grade = models.CharField(
        _("客户等级"), max_length=16, choices=CustomerGrade.choices, blank=True
    )
    minutes = models.PositiveIntegerField(_("时限（分钟）"), null=True, blank=True)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("日历")
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    source = models.CharField(_("依据"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "id"]
        verbose_name = _("规则参数")
        verbose_name_plural = _("规则参数")

    def __str__(self) -> str:
        return f"{self.key} {self.label}"

    def specificity(self) -> int:
        return sum(
            1
            for v in (self.kind, self.fault_class, self.branch_id, self.region_type, self.grade)
            if v
        )


class Clock(models.Model):
    """A live deadline on an order. `next_check_at` is when the worker must next look at it
    (a warning, the deadline, an escalation); it is NULL when there is nothing left to do, and
    the partial index on it keeps the sweep one index range scan however many orders exist."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="clocks")
    name = models.CharField(max_length=16, choices=ClockName.choices)
    status = models.CharField(max_length=16, choices=ClockStatus.choices)
    # Indexes cost every sweep a write each; these foreign keys are never searched by.
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    started_at = models.DateTimeField()
    # Working time allowed, or an absolute deadline (severe faults, appointment start).
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    fixed_deadline = models.DateTimeField(null=True, blank=True)
    # [[start, end-or-null], …] in ISO 8601: pauses add their length back to the deadline.
    pauses = models.JSONField(default=list, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Optional worker claim: who is on it (SQLite has no SKIP LOCKED).
    claimed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="clock_due",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["order", "name"], name="clock_order_name"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.name} {self.status}"


class Breach(models.Model):
    """A breach of a rule, with the evidence that proves it."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="breaches")
    rule = models.CharField(max_length=8, choices=Rule.choices)
    clock = models.OneToOneField(
        Clock, on_delete=models.CASCADE, null=True, blank=True, related_name="breach"
    )
    # Covered by the composite and unique indexes below, so no single-column index each.
    event = models.ForeignKey(
        OrderEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", db_index=False)
    occurred_at = models.DateTimeField()
    evidence = models.JSONField(default=dict)
    void = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "occurred_at"], name="breach_branch_time"),
            models.Index(fields=["technician", "occurred_at"], name="breach_tech_time"),
        ]
        constraints = [
            # A check breaks once per event: re-running a check never doubles it.
            models.UniqueConstraint(
                fields=["event", "rule"],
                name="breach_once_per_event",
                condition=Q(event__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.order_id}"


class Penalty(models.Model):
    """R20: a ledger entry per breach, against the technician and their branch."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="penalties")
    breach = models.OneToOneField(
        Breach, on_delete=models.CASCADE, null=True, blank=True, related_name="penalty"
    )
    event = models.ForeignKey(
        OrderEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    rule = models.CharField(max_length=8, choices=Rule.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(
        max_length=16, choices=PenaltyStatus.choices, default=PenaltyStatus.OPEN
    )
    reason = models.CharField(max_length=200, blank=True)
    appeal_reason = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["technician", "status"], name="penalty_tech_status"),
            models.Index(fields=["branch", "created_at"], name="penalty_branch_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "rule"],
                name="penalty_once_per_event",
                condition=Q(event__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} ¥{self.amount} {self.status}"


class ReportBack(models.Model):
    """R16: the technician telling the dispatcher in time why a deadline will be missed."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="report_backs")
    event = models.OneToOneField(OrderEvent, on_delete=models.PROTECT, related_name="+")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=500)
    note = models.TextField(blank=True)
    clocks = models.ManyToManyField(Clock, blank=True, related_name="report_backs")
    status = models.CharField(
        max_length=16, choices=ReportBackStatus.choices, default=ReportBackStatus.PENDING
    )
    contradiction = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"
