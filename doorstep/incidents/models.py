"""批量障碍 (R14): reports from one area in a short time, grouped under one incident.

The incident's own log (`IncidentEvent`) is append-only like an order's history; what the
incident does to its member orders (suspend, resume, cancel) goes through the order action
layer and so lands in each order's history too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.incidents.choices import IncidentAction, IncidentStatus
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch


class Incident(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(_("区域编码"), max_length=32)
    status = models.CharField(
        _("状态"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.SUSPECTED
    )
    # None: opened by the intake when the threshold was crossed.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("立案时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    expected_restore_at = models.DateTimeField(_("预计恢复时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("批量障碍")
        verbose_name_plural = _("批量障碍")
        constraints = [
            # One open incident per area: two intakes crossing the threshold at once open one.
            models.UniqueConstraint(
                fields=["branch", "area"],
                condition=~Q(status=IncidentStatus.CLOSED),
                name="incident_one_open_per_area",
            )
        ]

    def __str__(self) -> str:
        return f"批量障碍 #{self.pk} {self.area}"


class Member(models.Model):
    """An order's time in an incident. Removing it stamps `left_at`; the row stays. The
    incident's members are its rows without `left_at` (after close too)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="members")
    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField()
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the confirmed outage suspended the order (reason `outage`): close and removal
    # resume exactly these, never an order suspended for a reason of its own.
    held_at = models.DateTimeField(null=True, blank=True)
    # False once it left or the incident closed: an order is in one active incident at most.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["incident_id", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(active=True), name="member_one_incident"
            )
        ]
        indexes = [models.Index(fields=["incident", "left_at"], name="member_incident_left")]

    def __str__(self) -> str:
        return f"#{self.incident_id} ← {self.order_id}"


class EventQuerySet(models.QuerySet["IncidentEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the incident log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        raise PermissionError("the incident log is append-only")


class IncidentEvent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=IncidentAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["incident_id", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise PermissionError("the incident log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the incident log is append-only")
