"""Checklist items (data an admin edits), inspections with their answers and photos, and the
weekly sampling plan. Inspections, answers and plan entries are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChecklistItem(models.Model):
    """One pass/fail point of a spot check, with its weight in the score."""

    code = models.SlugField("编码", max_length=32, unique=True)
    label = models.CharField("检查项", max_length=120)
    weight = models.PositiveSmallIntegerField("权重", default=10)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = verbose_name_plural = "稽核检查项"

    def __str__(self) -> str:
        return self.label


class Inspection(models.Model):
    """稽核记录: who checked whom (and which visit), when, the answers and the score."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "orders.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("稽核时间", db_index=True)
    note = models.TextField("说明", blank=True)
    score = models.DecimalField("得分", max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["technician", "at"])]
        verbose_name = verbose_name_plural = "稽核记录"

    def __str__(self) -> str:
        return f"稽核 #{self.pk} {self.score} 分"


class Answer(models.Model):
    """One item's result; the label and weight are copied so a later edit of the checklist
    does not change a recorded score."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=120)
    weight = models.PositiveSmallIntegerField()
    passed = models.BooleanField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {'合格' if self.passed else '不合格'}"


def photo_path(instance: InspectionPhoto, filename: str) -> str:
    return f"inspections/{instance.inspection_id}/{filename}"


class InspectionPhoto(models.Model):
    """A photo the inspector took (the `attachment` link is for an order's existing photo)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="photos")
    attachment = models.ForeignKey(
        "orders.Attachment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=photo_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"稽核 #{self.inspection_id} 照片"


class PlanEntry(models.Model):
    """A visit drawn for inspection (待稽核) in a branch's week; done when an inspection of the
    order exists."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField()
    order = models.ForeignKey("orders.WorkOrder", on_delete=models.PROTECT, related_name="+")
    seed = models.CharField(max_length=32)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["week_start", "order"], name="plan_once_per_week")
        ]

    def __str__(self) -> str:
        return f"{self.week_start} 待稽核工单 {self.order_id}"
