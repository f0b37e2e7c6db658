"""The customer's evaluation form (入户服务质量评议表 / 服务监督调查表, seeds 000 ch.1 step 3,
001 ch.2, 003): the questions are rows an admin edits; each order has at most one answered
form, written once and never changed (the record is append-only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from doorstep.evaluation.choices import ItemKind, Via


class EvaluationItem(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    question = models.CharField("问题", max_length=200)
    kind = models.CharField(max_length=16, choices=ItemKind.choices, default=ItemKind.CONDUCT)
    active = models.BooleanField("启用", default=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "评价项目"
        verbose_name_plural = "评价项目"

    def __str__(self) -> str:
        return self.question


class Evaluation(models.Model):
    order = models.OneToOneField(
        "orders.WorkOrder", on_delete=models.PROTECT, related_name="evaluation"
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    # The technician the order was with when the customer answered.
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    overall = models.PositiveSmallIntegerField(null=True, blank=True)
    # True when the overall rating was LOW_RATING or less: the quality desk calls this one back.
    flagged = models.BooleanField(default=False)
    complaint_event = models.OneToOneField(
        "orders.OrderEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "服务评价"
        verbose_name_plural = "服务评价"
        indexes = [models.Index(fields=["submitted_at"], name="evaluation_submitted")]

    def __str__(self) -> str:
        return f"{self.order_id} 的服务评价"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("评价提交后不能修改")
        super().save(*args, **kwargs)


class Answer(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(EvaluationItem, on_delete=models.PROTECT, related_name="+")
    # The question as the customer read it (an admin may reword the item later).
    question = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    yes = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="evaluation_answer_once")
        ]

    def __str__(self) -> str:
        return self.question

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("评价提交后不能修改")
        super().save(*args, **kwargs)
