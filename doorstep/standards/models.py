"""Policies, calendars, clocks, breaches and the penalty ledger (SPEC §3, R1–R11, R16, R20)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
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
    # Raised by every edit; each ledger entry names the version that priced it.
    version = models.PositiveIntegerField(_("版本"), default=1)
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
    # Set when the worker could not process the clock: it is moved aside (next_check_at NULL)
    # and listed on the breaches page until someone looks at it.
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=500, blank=True, db_default="")
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
            # The KPI report reads a period's stopped clocks (doorstep.kpis, docs/kpis.md).
            models.Index(
                fields=["stopped_at"],
                name="clock_stopped_at",
                condition=Q(stopped_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.name} {self.status}"


class Breach(models.Model):
    """A breach of a rule, with the evidence that proves it."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="breaches")
    rule = models.CharField(max_length=8, choices=Rule.choices)
    # A clock breached, voided by a late upload and breached again has several breaches; at
    # most one of them is live (not void), see the constraint below.
    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, null=True, blank=True, related_name="breaches"
    )
    revives = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
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
            ),
            models.UniqueConstraint(
                fields=["clock"],
                name="breach_live_once_per_clock",
                condition=Q(clock__isnull=False, void=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.order_id}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Ledger and policy history: rows are added, never changed or removed (like OrderEvent)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the ledger is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        raise PermissionError("the ledger is append-only")


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the ledger is append-only")


CHARGED = (PenaltyStatus.OPEN, PenaltyStatus.APPEALED, PenaltyStatus.UPHELD)


def _latest_status() -> Any:
    return Subquery(
        PenaltyChange.objects.filter(penalty=OuterRef("pk"))
        .order_by("-seq")
        .values("status_after")[:1]
    )


class PenaltyQuerySet(AppendOnlyQuerySet):
    def with_status(self) -> PenaltyQuerySet:
        status = Coalesce(_latest_status(), F("initial_status"))
        return self.annotate(status=status).annotate(  # type: ignore[no-any-return]
            amount_due=Case(
                When(status__in=CHARGED, then=F("amount")),
                default=Value(Decimal("0")),
                output_field=models.DecimalField(max_digits=8, decimal_places=2),
            )
        )


class PenaltyManager(models.Manager["Penalty"]):
    """Every query carries the derived `status` and `amount_due`, so lists and the API filter
    on them as if they were columns."""

    def get_queryset(self) -> PenaltyQuerySet:
        return PenaltyQuerySet(self.model, using=self._db).with_status()


class Penalty(AppendOnly):
    """R20: a ledger entry per breach, against the technician and their branch.

    Never changed after it is written: appeals, decisions, exemptions and voids are
    `PenaltyChange` rows, and the entry's status is the status after its latest change."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="penalties")
    breach = models.OneToOneField(
        Breach, on_delete=models.PROTECT, null=True, blank=True, related_name="penalty"
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
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", db_index=False)
    # open, or exempted when an approved report-back already covered the clock.
    initial_status = models.CharField(
        max_length=16, choices=PenaltyStatus.choices, default=PenaltyStatus.OPEN
    )
    reason = models.CharField(max_length=200, blank=True)
    # The policy row (and its version) that priced the entry.
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    # The voided entry this one replaces, when a voided breach was breached again.
    revives = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()
    hash = models.CharField(max_length=64)

    objects = PenaltyManager()
    raw = PenaltyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "raw"
        indexes = [
            models.Index(fields=["technician", "created_at"], name="penalty_tech_time"),
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
        return f"{self.rule} ¥{self.amount}"

    @property
    def status(self) -> str:
        if "_status" not in self.__dict__:
            last = self.changes.order_by("-seq").values_list("status_after", flat=True).first()
            self.__dict__["_status"] = last or self.initial_status
        return str(self.__dict__["_status"])

    @status.setter
    def status(self, value: str) -> None:
        self.__dict__["_status"] = value

    def get_status_display(self) -> str:
        return str(PenaltyStatus(self.status).label)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_status", None)
        super().refresh_from_db(*args, **kwargs)


class ChangeKind(models.TextChoices):
    APPEAL = "appeal", _("申诉")
    UPHOLD = "uphold", _("维持处罚")
    EXEMPT = "exempt", _("免责")
    REPORT_BACK_EXEMPT = "report_back_exempt", _("回告免责")
    VOID = "void", _("撤销（记录表明未超时）")
    CARRIED = "carried", _("沿用原裁决")


DECISIONS = (ChangeKind.UPHOLD, ChangeKind.EXEMPT, ChangeKind.CARRIED)


class PenaltyChange(AppendOnly):
    """One step in a ledger entry's life. Chained: `prev_hash` is the entry's own hash for
    the first change, the previous change's hash after that."""

    penalty = models.ForeignKey(Penalty, on_delete=models.PROTECT, related_name="changes")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=ChangeKind.choices)
    status_after = models.CharField(max_length=16, choices=PenaltyStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    # A carried decision names the decision on the earlier entry it carries.
    refers_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["penalty_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["penalty", "seq"], name="penalty_change_seq")
        ]

    def __str__(self) -> str:
        return f"{self.penalty_id}#{self.seq} {self.kind}"


class PolicyChange(AppendOnly):
    """Who changed a policy row, when, and what it said before and after. One chain over all
    policy changes (`prev_hash` of the first is empty); edits are rare, so one chain is cheap."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="changes")
    version = models.PositiveIntegerField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField()
    via = models.CharField(max_length=16)  # page, admin, migration
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.version}"


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
