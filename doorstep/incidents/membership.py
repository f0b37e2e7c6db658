"""Which incident an order belongs to, for the order's JSON (SPEC §5 `incident`)."""

from __future__ import annotations

from doorstep.incidents.models import Member


def incident_id_of(order_id: int) -> int | None:
    """The newest incident the order is a member of (a closed one too: it stays the record
    of why the order was held and how it ended); None when it never was or was removed."""
    return (
        Member.objects.filter(order_id=order_id, left_at__isnull=True)
        .order_by("-joined_at", "-id")
        .values_list("incident_id", flat=True)
        .first()
    )
