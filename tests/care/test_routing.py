"""Intake without a branch goes to the branch whose territory holds the report (SPEC §5)."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.core.errors import InvalidInput
from doorstep.orders.actions import create_order
from tests.conftest import bearer, repair_data

# A few hundred metres around 大关 (lat, lng), in the GS branch's territory.
DAGUAN = [[30.30, 120.13], [30.30, 120.15], [30.32, 120.15], [30.32, 120.13]]


@pytest.fixture
def territories(org: Any) -> None:
    from doorstep.dispatch.models import Territory

    Territory.objects.create(branch=org.gs, name="大关包片", area_codes=["GS-DG"], polygon=DAGUAN)
    Territory.objects.create(branch=org.tl, name="桐君街道包片", area_codes=["TL-TJ"])


def test_it_routes_by_area_code_before_anything_else(org: Any, territories: None) -> None:
    # The address names a GS compound, but the area code is TL's: the code wins.
    order, event = create_order(org.operator, repair_data(branch=None, area="TL-TJ"))
    assert order.branch == org.tl
    assert event.payload["routed_by"] == "area"


def test_it_routes_by_location_inside_a_territory_polygon(org: Any, territories: None) -> None:
    data = repair_data(branch=None, location={"lat": 30.31, "lng": 120.14})
    data["customer"]["address"] = "杭州市某路88号"
    order, event = create_order(org.operator, data)
    assert order.branch == org.gs and event.payload["routed_by"] == "location"


def test_it_routes_by_the_territory_named_in_the_address(org: Any, territories: None) -> None:
    data = repair_data(branch=None)
    data["customer"]["address"] = "桐庐县桐君街道白云路5号"
    order, event = create_order(org.operator, data)
    assert order.branch == org.tl and event.payload["routed_by"] == "address"


def test_nothing_matching_is_422_naming_branch(org: Any, territories: None) -> None:
    data = repair_data(branch=None, area="NOWHERE", location={"lat": 1.0, "lng": 1.0})
    data["customer"]["address"] = "上海市浦东新区世纪大道1号"
    with pytest.raises(InvalidInput) as err:
        create_order(org.operator, data)
    assert "branch" in err.value.fields


def test_api_answers_422_with_branch_named_when_nothing_matches(
    client: Any, org: Any, territories: None
) -> None:
    import json

    data = repair_data(branch=None)
    data.pop("branch")
    data["customer"]["address"] = "上海市浦东新区世纪大道1号"
    resp = client.post(
        "/api/v1/orders", json.dumps(data), content_type="application/json", **_h("operator")
    )
    assert resp.status_code == 422
    assert "branch" in resp.json()["error"]["fields"]
    data["area"] = "GS-DG"
    resp = client.post(
        "/api/v1/orders", json.dumps(data), content_type="application/json", **_h("operator")
    )
    assert resp.status_code == 201, resp.json()
    assert resp.json()["branch"] == "GS"


def test_a_branch_bound_caller_keeps_their_branch(org: Any, territories: None) -> None:
    order, event = create_order(org.dispatcher, repair_data(branch=None, area="TL-TJ"))
    assert order.branch == org.gs and event.payload["routed_by"] == "caller"


def _h(username: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": bearer(username)["Authorization"]}
