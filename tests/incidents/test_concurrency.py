"""Two intakes crossing the threshold at the same moment open one incident, not two.
Real commits and real threads, on whichever database the suite runs on."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.incidents.models import Incident, Member
from tests.incidents.conftest import report
from tests.orders.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_reports_crossing_the_threshold_at_once_open_one_incident(org: Any, lead: Any) -> None:
    for n in range(1, 5):
        report(org, n)
    results = race(lambda: report(org, 5), lambda: report(org, 6))
    assert all(not isinstance(r, Exception) for r in results), results
    incident = Incident.objects.get()
    members = set(Member.objects.filter(incident=incident).values_list("order_id", flat=True))
    assert len(members) == 6 and {r.pk for r in results} <= members
