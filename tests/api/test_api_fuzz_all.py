"""schemathesis against every operation of /api/v1/openapi.json, in process, as every role and
with no token at all (issue 12): whatever it sends, no answer is a 5xx, every status is one the
document declares, every refusal is the SPEC error shape and every answer matches its schema.

Path parameters point at real rows (an order of the caller's branch and one of the other
branch, a real incident, penalty, report-back, damage claim, question, site report, attachment
and technician), so the generated bodies reach the code behind the gate, not only its 404s.

The same against a live server (`doorstep serve`), once per role's token:
`schemathesis run http://HOST/api/v1/openapi.json -H "Authorization: Bearer TOKEN"
-c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance`
(schemathesis's other default checks also hold the server to what the document does not say,
such as cross-field rules and the branch codes that exist)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from doorstep.api.api import api
from tests.conftest import install_data, make_user, repair_data, walk_to

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Every role of doorstep.org.choices.Role, the urban technician the orders are assigned to and
# a township one, and a caller with no token (None).
CALLERS = ("admin", "manager", "dispatcher", "operator", "quality", "tech", "township_tech", None)


@dataclass
class World:
    headers: list[dict[str, str]]
    # Path parameter name -> the real values it takes in turn.
    targets: dict[str, list[Any]]
    calls: int = field(default=0)

    def aim(self, case: Any, generated: dict[str, Any], caller: int) -> None:
        """Point the case's path parameters at real rows, a different one per caller and per
        case; one turn in each cycle keeps the generated value (a hostile id)."""
        for name, value in generated.items():
            values = [*self.targets.get(name, []), value]
            case.path_parameters[name] = values[(self.calls + caller) % len(values)]


def _build_world(org: Any) -> dict[str, list[Any]]:
    from doorstep.care import services as care
    from doorstep.care.models import DamageClaim, SiteReport
    from doorstep.incidents import services as incidents
    from doorstep.orders.actions import create_order, perform
    from doorstep.orders.attachments import store_attachment
    from doorstep.standards.models import Penalty, ReportBack

    # The urban technician's order, on site.
    ours, _ = create_order(org.operator, repair_data())
    walk_to(ours.pk, org, "on_site")
    document = store_attachment(
        ours.pk, org.tech, kind="document", data=b"%PDF-1.4\n%%EOF\n", filename="work.pdf"
    )
    # The other branch's order, assigned to the township technician.
    theirs, _ = create_order(
        org.operator,
        repair_data(
            branch="TL",
            customer={"name": "王五", "phone": "13800001111", "address": "杭州市桐庐县城南街道1号"},
        ),
    )
    perform(
        theirs.pk,
        "assign",
        make_user("tl_dispatcher", ["dispatcher"], org.tl),
        {"technician": "township_tech"},
    )
    # An install on site with a damage claim, then sent back as a site not ready.
    install, _ = create_order(org.operator, install_data())
    walk_to(install.pk, org, "on_site")
    perform(
        install.pk,
        "claim_damage",
        org.tech,
        {"what": "木地板", "customer_words": "划了一道", "apologized": True},
    )
    perform(install.pk, "site_not_ready", org.tech, {"reason": "no_port", "customer_consent": True})
    # A report-back the record contradicts (a penalty), and one that waits for a manager.
    told, _ = create_order(
        org.operator,
        repair_data(customer={"name": "赵六", "phone": "13800002222", "address": "拱墅区大关5幢"}),
    )
    perform(told.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(told.pk, "accept", org.tech, {})
    perform(told.pk, "report_back", org.tech, {"reason": "客户联系不上", "note": "无人接听"})
    waiting, _ = create_order(
        org.operator,
        repair_data(customer={"name": "钱七", "phone": "13800003333", "address": "拱墅区大关6幢"}),
    )
    perform(waiting.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(waiting.pk, "accept", org.tech, {})
    perform(waiting.pk, "contact", org.tech, {"outcome": "no_answer"})
    perform(waiting.pk, "report_back", org.tech, {"reason": "客户联系不上", "note": "三次未接"})
    incident = incidents.open_by_hand(org.dispatcher, "GS", "GS-DG-01", [told.pk], "光交箱告警")
    question = care.ask(org.quality, question="什么时候上门？", asked_via="phone", order=ours)
    return {
        "order_id": [ours.pk, theirs.pk, install.pk],
        "attachment_id": [document.pk],
        "incident_id": [incident.pk],
        "penalty_id": list(Penalty.objects.values_list("pk", flat=True)),
        "rb_id": list(ReportBack.objects.order_by("status").values_list("pk", flat=True)),
        "claim_id": list(DamageClaim.objects.values_list("pk", flat=True)),
        "report_id": list(SiteReport.objects.values_list("pk", flat=True)),
        "question_id": [question.pk],
        "username": ["tech", "township_tech", "dispatcher"],
    }


@pytest.fixture
def world(org: Any) -> Iterator[World]:
    """The rows the fuzzed paths point at, and one Authorization header per caller.

    While the fuzzed requests run, the WSGI handler must not close the test's database
    connection after each request (Django's own test client keeps it open the same way)."""
    from doorstep.api.models import ApiToken

    org.township_tech = org.user("township_tech")
    targets = _build_world(org)
    headers = [
        {"Authorization": f"Bearer {ApiToken.issue(org.user(name))[1]}"} if name else {}
        for name in CALLERS
    ]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield World(headers=headers, targets=targets)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document the server serves (built in process), its requests sent to the WSGI app.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_every_caller_what_it_documents(case: Any, world: World) -> None:
    callers = list(enumerate(world.headers))
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE:
        # The coverage phase's tens of boundary cases per operation go to one caller each, in
        # turn (every caller still gets several); the generated cases go to every caller.
        callers = [callers[world.calls % len(callers)]]
    generated = dict(case.path_parameters or {})
    for caller, auth in callers:
        world.aim(case, generated, caller)
        case.call_and_validate(headers=auth, checks=CHECKS)
    world.calls += 1


def test_every_path_parameter_of_the_document_points_at_real_rows(world: World) -> None:
    """A new endpoint whose path names a parameter the world has no rows for would be fuzzed
    against 404s only."""
    names = {
        p["name"]
        for op in (o for ops in api.get_openapi_schema()["paths"].values() for o in ops.values())
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    assert names and all(world.targets.get(name) for name in names), names - set(world.targets)
