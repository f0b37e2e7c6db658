from __future__ import annotations

from typing import Any

import pytest

from doorstep.org.models import Staff


@pytest.fixture
def crew(org: Any) -> Any:
    """The GS branch with a depot, technicians at home positions, and a few orders with
    positions (some booked for the day)."""
    org.gs.depot_lat, org.gs.depot_lng = 30.319, 120.1415
    org.gs.handover_times = ["08:00", "13:30"]
    org.gs.save()
    for username, lat, lng, skills in [
        ("tech", 30.30, 120.14, ["broadband", "iptv"]),
        ("other_tech", 30.34, 120.12, ["broadband"]),
    ]:
        Staff.objects.filter(user__username=username).update(
            home_lat=lat, home_lng=lng, skills=skills
        )
    return org
