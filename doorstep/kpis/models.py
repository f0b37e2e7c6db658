"""The one KPI input nobody's record holds: how many customers each branch serves."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.org.models import Branch


class SubscriberCount(models.Model):
    """用户数: a branch's customer base for a month, entered by an admin or imported.

    `complaints_per_10k` divides by it rather than by the customers who happened to have
    orders, which would make a quiet month look worse than a busy one."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="subscriber_counts", verbose_name=_("分公司")
    )
    # Always the first day of the month.
    month = models.DateField(_("月份"))
    count = models.PositiveIntegerField(_("用户数"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["branch__code", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="subscriber_count_month"),
            models.CheckConstraint(
                condition=models.Q(count__gt=0), name="subscriber_count_positive"
            ),
        ]
        verbose_name = _("用户数（月）")
        verbose_name_plural = _("用户数（月）")

    def __str__(self) -> str:
        return f"{self.branch_id} {self.month:%Y-%m} {self.count}"

    def clean(self) -> None:
        if self.month is not None and self.month.day != 1:
            raise ValidationError({"month": _("月份请填该月 1 日")})
