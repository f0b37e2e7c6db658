"""The quality desk's records: callback tasks (R17), false close-out flags and complaint cases.

Each row is written by an after-event hook of the order action that caused it (services.py),
inside that action's transaction; the order's history stays the record of what happened.
A task's claim and a case's finding are set once, by conditional UPDATEs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from doorstep.quality.choices import CallbackOutcome, Contradiction, Finding


class CallbackTask(models.Model):
    """One close-out waiting for its callback. An order re-opened by an unsatisfied callback
    and completed again gets a new task."""

    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, related_name="callback_tasks"
    )
    completed_event = models.OneToOneField(
        "orders.OrderEvent", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()
    # The end of the callback window (the R17 clock's deadline when the task was made); null
    # when the callback policy is switched off for the order: no window, no auto-close.
    due_at = models.DateTimeField(null=True, blank=True)
    # Audit sampling, decided once at close-out and kept: the share in force and the draw.
    audit = models.BooleanField(default=False)
    audit_share = models.DecimalField(max_digits=4, decimal_places=3, default=0)
    audit_draw = models.FloatField(default=1.0)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result_event = models.OneToOneField(
        "orders.OrderEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=CallbackOutcome.choices, blank=True)

    class Meta:
        indexes = [
            # The queue and the worker read only the waiting tasks, oldest first.
            models.Index(
                fields=["completed_at"],
                name="quality_task_waiting",
                condition=models.Q(done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"回访 {self.order_id} ({self.completed_at:%Y-%m-%d %H:%M})"


class FalseCloseFlag(models.Model):
    """A callback contradicted the close-out: the evidence, frozen when it was flagged."""

    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, related_name="false_close_flags"
    )
    callback_event = models.OneToOneField(
        "orders.OrderEvent", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Contradiction.choices)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"疑似虚假回单 {self.order_id}"


class Complaint(models.Model):
    """A complaint case (SPEC §5): opened by `complain`, decided by `verify_complaint`."""

    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, related_name="complaints"
    )
    event = models.OneToOneField("orders.OrderEvent", on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("org.Customer", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=24)
    note = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    finding = models.CharField(max_length=16, choices=Finding.choices, blank=True)
    finding_note = models.TextField(blank=True)
    decided_event = models.OneToOneField(
        "orders.OrderEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who the upheld complaint was charged to (the technician, or none: the branch).
    charged_technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["finding", "opened_at"], name="quality_complaint_finding")]

    def __str__(self) -> str:
        return f"投诉 #{self.pk}"

    @property
    def is_open(self) -> bool:
        return not self.finding
