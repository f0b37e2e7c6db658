"""The permission gate, as a matrix of who × which order."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.orders.access import can_see_personal_data, visible_orders
from doorstep.orders.actions import create_order, perform
from doorstep.orders.states import TRANSITIONS
from tests.conftest import make_user, repair_data

# who → (sees the GS order assigned to `tech`, sees the TL order)
MATRIX = {
    "operator": (True, True),  # central intake desk
    "quality": (True, True),
    "manager": (True, True),
    "admin": (True, True),
    "dispatcher": (True, False),  # dispatcher of GS only
    "tech": (True, False),  # their own order only
    "other_tech": (False, False),
    "township_tech": (False, True),  # registered the TL order themselves
}


@pytest.fixture
def two_orders(org: Any) -> tuple[Any, Any]:
    gs, _ = create_order(org.operator, repair_data())
    perform(gs.pk, "assign", org.dispatcher, {"technician": "tech"})
    tl, _ = create_order(org.township_tech, repair_data(branch="TL"))
    return gs, tl


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_who_sees_which_order(org: Any, two_orders: Any, who: str) -> None:
    gs, tl = two_orders
    visible = set(visible_orders(org.user(who)).values_list("pk", flat=True))
    assert (gs.pk in visible, tl.pk in visible) == MATRIX[who]


def test_a_user_with_no_role_sees_nothing(org: Any, two_orders: Any) -> None:
    nobody = make_user("nobody", [])
    assert not visible_orders(nobody).exists()


def test_full_personal_data_only_for_the_assigned_technician_while_open(
    org: Any, two_orders: Any
) -> None:
    gs, _ = two_orders
    gs.refresh_from_db()
    assert can_see_personal_data(org.tech, gs)
    assert not can_see_personal_data(org.other_tech, gs)
    assert can_see_personal_data(org.operator, gs)
    gs.status = "closed"
    assert not can_see_personal_data(org.tech, gs)


def test_every_action_names_at_least_one_role_and_only_known_states() -> None:
    from doorstep.orders.choices import Status
    from doorstep.org.choices import Role

    for name, t in TRANSITIONS.items():
        assert t.roles and t.roles <= set(Role.values), name
        assert t.sources <= set(Status.values), name


def test_a_role_taken_away_is_gone_at_once(org: Any, two_orders: Any) -> None:
    from django.contrib.auth.models import Group

    from doorstep.org.models import Staff, roles_of

    user = org.dispatcher
    assert Staff.objects.get(user=user).role_names == "dispatcher"
    user.groups.remove(Group.objects.get(name="dispatcher"))
    fresh = type(user).objects.get(pk=user.pk)
    assert roles_of(fresh) == set() and not visible_orders(fresh).exists()
    Group.objects.get(name="quality").user_set.add(fresh)
    again = type(user).objects.get(pk=user.pk)
    assert roles_of(again) == {"quality"}


def test_each_view_of_full_personal_data_is_logged(org: Any, two_orders: Any) -> None:
    from django.test import Client

    from doorstep.orders.models import PersonalDataView

    gs, _ = two_orders
    c = Client()
    c.login(username="tech", password="pw-tech")
    assert c.get(f"/orders/{gs.pk}/").status_code == 200
    c.login(username="operator", password="pw-operator")
    c.get(f"/orders/{gs.pk}/")
    views = list(PersonalDataView.objects.filter(order=gs).values_list("user__username", "via"))
    assert sorted(views) == [("operator", "web"), ("tech", "web")]
