from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_user
from tests.standards.conftest import at  # noqa: F401  (the clock-moving fixture)


@pytest.fixture
def lead(org: Any) -> Any:
    """The team lead (班长) of the team `tech` and `other_tech` work in."""
    from doorstep.org.models import Staff, Team

    user = make_user("lead", ["dispatcher"], org.gs)
    team = Team.objects.create(branch=org.gs, name="一班", lead=user)
    Staff.objects.filter(user__in=[org.tech, org.other_tech]).update(team=team)
    return user
