"""Which incident an order belongs to, for the order's JSON (SPEC §5 `incident`)."""

from __future__ import annotations

from typing import Any

from doorstep.incidents.models import Member

# Set on the order object by the intake hook, which has just decided it: intake's answer then
# costs no extra query (intake is the hottest write path).
KNOWN = "_doorstep_incident_id"


def incident_id_of(order: Any) -> int | None:
    """The newest incident the order is a member of (a closed one too: it stays the record
    of why the order was held and how it ended); None when it never was or was removed."""
    if KNOWN in order.__dict__:
        return order.__dict__[KNOWN]  # type: ignore[no-any-return]
    return (
        Member.objects.filter(order_id=order.pk, left_at__isnull=True)
        .order_by("-joined_at", "-id")
        .values_list("incident_id", flat=True)
        .first()
    )
