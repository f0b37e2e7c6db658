"""A technician's star rating history (append-only) and the worker's runs that made it.

The current stars are a technician's latest `StarRating` row; nothing else stores them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.org.models import Branch


class StarRating(models.Model):
    """One computation of a technician's stars, with everything it came from: the window, the
    KPI figures (and how many rows each measured), the components and the score. Rows are only
    ever added; a new row is added when the outcome differs from the technician's latest."""

    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="star_ratings"
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(_("计算时间"))
    period_start = models.DateField(_("统计起日"))
    period_end = models.DateField(_("统计止日"))  # inclusive
    stars = models.PositiveSmallIntegerField(_("星级"), null=True)  # null: too few orders
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True)
    orders = models.PositiveIntegerField(_("回单量"))
    # [{"key", "label", "weight", "score" (0–100 or null), "metric" …}] as formula.py made them
    components = models.JSONField(default=list)
    deductions = models.JSONField(default=list)
    figures = models.JSONField(default=dict)  # the KPI figures of the window
    measured = models.JSONField(default=dict)  # per metric, how many rows it measured
    params = models.JSONField(default=dict)  # the policy parameters the formula used
    policy_version = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [
            models.Index(fields=["technician", "-computed_at", "-id"], name="rating_latest"),
        ]
        verbose_name = _("星级记录")
        verbose_name_plural = _("星级记录")

    def __str__(self) -> str:
        return f"{self.technician_id} {self.stars} ★ @ {self.computed_at:%Y-%m-%d}"


class RatingRun(models.Model):
    """A branch's recomputation: one a day made by the worker, or one somebody asked for
    (`asked`), done when `done_at` is set."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # the branch's local date the run is for
    asked = models.BooleanField(default=False)  # somebody asked; else the daily run
    asked_at = models.DateTimeField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worker = models.CharField(max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    technicians = models.PositiveIntegerField(default=0)
    appended = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The worker's own run: one per branch and day, whichever worker makes it first.
            models.UniqueConstraint(
                fields=["branch", "day"],
                condition=models.Q(asked=False),
                name="rating_run_daily",
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.day} {'asked' if self.asked else 'daily'}"
