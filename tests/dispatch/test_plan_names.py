"""The plan preview names technicians by their staff name; the reassign menu adds the username."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine

from doorstep.org.models import Staff
from tests.dispatch.test_plan_jobs import MORNING, dispatcher, planned


def test_the_plan_preview_shows_staff_names_not_usernames(crew: Any) -> None:
    Staff.objects.filter(user=crew.tech).update(name="汪玉梅")
    plan, _ = planned(crew)
    with time_machine.travel(MORNING + timedelta(minutes=1), tick=False):
        page = dispatcher(crew).get(f"/dispatch/plans/{plan.pk}/").content.decode()
    headings = re.findall(
        r'<section class="card route" data-tech="(\w+)">\s*<h2[^>]*>([^<]*)<', page
    )
    assert ("tech", "汪玉梅 ") in headings
    assert '<option value="tech">汪玉梅（tech）</option>' in page or (
        '<option value="tech" selected>汪玉梅（tech）</option>' in page
    )
