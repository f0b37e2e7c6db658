"""Technicians' availability (shifts, leave, territories) and the R21 hand-over ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch, Team


class Shift(models.Model):
    """A technician's working hours on one day; without a row the branch's usual day applies."""

    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts"
    )
    day = models.DateField(_("日期"))
    start = models.TimeField(_("上班"))
    end = models.TimeField(_("下班"))
    lunch_from = models.TimeField(_("午休最早"), null=True, blank=True)
    lunch_to = models.TimeField(_("午休最晚"), null=True, blank=True)
    lunch_minutes = models.PositiveSmallIntegerField(_("午休分钟"), default=45)

    class Meta:
        ordering = ["day", "technician_id"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "day"], name="shift_once_a_day")
        ]
        verbose_name = _("排班")
        verbose_name_plural = _("排班")

    def __str__(self) -> str:
        return f"{self.technician_id} {self.day} {self.start}-{self.end}"


class Leave(models.Model):
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves"
    )
    first_day = models.DateField(_("开始"))
    last_day = models.DateField(_("结束"))
    reason = models.CharField(_("事由"), max_length=100, blank=True)

    class Meta:
        ordering = ["-first_day"]
        verbose_name = _("请假")
        verbose_name_plural = _("请假")

    def __str__(self) -> str:
        return f"{self.technician_id} {self.first_day}–{self.last_day}"


class Territory(models.Model):
    """包片: area codes and/or a polygon ([[lat, lng], …]) a technician or team answers for."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="territories")
    name = models.CharField(_("名称"), max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="territories",
    )
    area_codes = models.JSONField(_("区域编码"), default=list, blank=True)
    polygon = models.JSONField(_("范围多边形"), default=list, blank=True)

    class Meta:
        ordering = ["branch_id", "name"]
        verbose_name = _("包片")
        verbose_name_plural = _("包片")

    def __str__(self) -> str:
        return self.name

    def covers(self, area_code: str, lat: float | None, lng: float | None) -> bool:
        if area_code and area_code in (self.area_codes or []):
            return True
        if self.polygon and lat is not None and lng is not None:
            return _inside(lat, lng, self.polygon)
        return False


def _inside(lat: float, lng: float, polygon: list[list[float]]) -> bool:
    """Ray casting; fine for the few-kilometre polygons of a 包片."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng < cross:
                inside = not inside
    return inside


class HandoverBatch(models.Model):
    """R21: orders the customer department handed to a branch, signed for by a named person."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="handovers")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    orders: models.ManyToManyField[WorkOrder, HandoverItem] = models.ManyToManyField(
        WorkOrder, through="HandoverItem", related_name="+"
    )

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("交接签收")
        verbose_name_plural = _("交接签收")

    def __str__(self) -> str:
        return f"{self.branch_id} {self.signed_at:%m-%d %H:%M}"


class HandoverItem(models.Model):
    batch = models.ForeignKey(HandoverBatch, on_delete=models.CASCADE, related_name="items")
    # An order is signed for once.
    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="handover")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.order_id}"


class DayPlan(models.Model):
    """One run of the day planner for a branch and date, and the job that computes it.

    The page queues the job (`queued`); `doorstep worker` claims it (`running`), runs the
    solver outside any transaction and stores the routes (`preview`, or `failed` with the
    error). The dispatcher adjusts the preview and applies it as assign actions, all or none
    (`applied`, by whom and when). A re-plan supersedes the plan it replaces and lists the
    booked customers whose time moves."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        PREVIEW = "preview", _("预览")
        FAILED = "failed", _("计算失败")
        APPLIED = "applied", _("已应用")
        SUPERSEDED = "superseded", _("已被替换")

    PENDING = (Status.QUEUED, Status.RUNNING)  # the job has not finished
    RESULTS = (Status.PREVIEW, Status.APPLIED)  # a plan a re-plan can compare against

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="day_plans")
    day = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    # What the dispatcher asked for: the solver's time budget, a re-plan of the rest of the day
    # from the moment the job runs, technicians off sick, visits running long (order id → min).
    seconds = models.FloatField(default=5.0)
    replan = models.BooleanField(default=False)
    off_sick = models.JSONField(default=list)
    extend_minutes = models.JSONField(default=dict)
    # The job: which worker holds it, since when, how many times it was claimed, how far the
    # search is (0–1 of its time budget) and why it failed.
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    # {"travel_km", "visits", "unassigned", "late", "at_risk", "violations": […]}
    summary = models.JSONField(default=dict)
    # [{"technician", "depart", "return_at", "travel_km", "lunch": {start,end}|null,
    #   "visits": [{"order", "number", "arrival", "start", "end", "window_start", "window_end",
    #               "late_minutes", "deadline", "deadline_at_risk", "travel_km"}]}]
    routes = models.JSONField(default=list)
    unassigned = models.JSONField(default=list)  # [{"order", "number", "reason"}]
    moved = models.JSONField(default=list)  # customers whose booked time moves (re-plan)
    # {"orders": {order id: version}} of every order the solver was given, to tell a preview
    # whose orders changed since.
    inputs = models.JSONField(default=dict)
    log = models.TextField(blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["branch", "day", "created_at"], name="dayplan_branch_day"),
            # The worker's claim and its look for jobs whose worker died.
            models.Index(
                fields=["status", "created_at"],
                name="dayplan_pending",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.day} {self.status}"

    @property
    def pending(self) -> bool:
        return self.status in self.PENDING
