"""An export too large to answer at once: who asked, what (with the filters), and the file the
worker made of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    PENALTIES = "penalties", _("考核台账")
    ORDERS = "orders", _("工单列表")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Export(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    kind = models.CharField(_("内容"), max_length=16, choices=ExportKind.choices)
    # The page's query string as {name: [values]}: the same filters rebuild the same rows.
    filters = models.JSONField(default=dict)
    status = models.CharField(
        _("状态"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file = models.CharField(max_length=200, blank=True)  # storage name the server made
    rows = models.PositiveIntegerField(_("行数"), null=True)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"))
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
