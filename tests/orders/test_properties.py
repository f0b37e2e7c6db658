"""Random sequences of actions by random people: the state table is the only law."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.core.errors import DoorstepError
from doorstep.orders.actions import create_order, perform
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.states import TRANSITIONS, possible_targets
from tests.conftest import install_data, iso, repair_data

ACTORS = ["operator", "dispatcher", "quality", "manager", "tech", "other_tech", "township_tech"]
ACTIONS = sorted(a for a in TRANSITIONS if a not in ("create", "attach"))


def payload_for(action: str, valid: bool) -> dict[str, Any]:
    now = timezone.now()
    start = now + timedelta(hours=2)
    good: dict[str, dict[str, Any]] = {
        "assign": {"technician": "tech"},
        "accept": {},
        "contact": {"outcome": "reached"},
        "schedule": {"start": iso(start), "end": iso(start + timedelta(hours=1))},
        "reschedule": {
            "start": iso(start),
            "end": iso(start + timedelta(hours=1)),
            "reason": "客户改时间",
            "requested_by": "customer",
        },
        "notify_delay": {"eta": iso(now + timedelta(minutes=30)), "reason": "堵车"},
        "depart": {"checklist": ["鞋套", "垫布"]},
        "arrive": {"lat": 30.3, "lng": 120.1},
        "absent": {
            "arrived_at": iso(now - timedelta(minutes=12)),
            "left_at": iso(now),
            "note": "无人在家",
            "contact_phone": "13800001111",
            "contact_person": "邻居",
        },
        "consent": {"subject": "drill_wall", "granted": True},
        "complete": {"resolution": "已修复", "rating": 5, "no_signature_reason": "客户外出"},
        "suspend": {"reason": "customer_request"},
        "resume": {},
        "return": {"reason": "无端口"},
        "reply": {"message": "您好，师傅将尽快联系您"},
        "chase": {"by": "customer"},
        "report_back": {"reason": "customer_unreachable", "note": "多次联系不上"},
        "callback": {"score": 9, "satisfied": True},
        "complain": {"channel": "hotline"},
        "cancel": {"reason": "客户取消"},
        "close": {},
        "claim_damage": {"what": "木地板", "customer_words": "地板被划了", "apologized": True},
        "settle_damage": {"claim": 1, "amount": "50", "paid_via": "cash", "apologized": True},
        "site_not_ready": {"reason": "no_port", "customer_consent": True},
        "escalate_engineering": {
            "kind": "cutover",
            "team": "割接工程队",
            "team_phone": "13800002222",
            "customer_reached": True,
        },
        "verify_complaint": {"complaint": 1, "finding": "rejected", "note": "核查不属实"},
    }
    body = dict(good[action])
    if not valid:
        body["bogus_field"] = 1 if body else "x"
        body.pop(next(iter(good[action]), "bogus_field"), None)
    return body


def state(order_id: int) -> tuple[Any, ...]:
    o = WorkOrder.objects.get(pk=order_id)
    return (
        o.status,
        o.version,
        o.technician_id,
        o.appointment_start,
        o.event_count,
        o.history_head,
        OrderEvent.objects.filter(order_id=o.pk).count(),
    )


FORWARD = {
    "received": "assign",
    "dispatched": "accept",
    "accepted": "schedule",
    "scheduled": "depart",
    "en_route": "arrive",
    "on_site": "complete",
    "completed": "callback",
    "suspended": "resume",
    "returned": "assign",
}
ROLE_OF = {
    "operator": "operator",
    "dispatcher": "dispatcher",
    "quality": "quality",
    "manager": "manager",
    "tech": "technician",
    "other_tech": "technician",
    "township_tech": "technician",
}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_actions_never_break_the_state_table_or_the_history(org: Any, data: Any) -> None:
    reached: set[str] = set()
    with transaction.atomic():
        orders = [
            create_order(org.operator, repair_data())[0].pk,
            create_order(org.operator, install_data())[0].pk,
        ]
        for _ in range(data.draw(st.integers(1, 40), label="steps")):
            oid = orders[data.draw(st.integers(0, 1), label="order")]
            before = state(oid)
            # Mostly actions the state allows, by someone whose role may take them, so that
            # sequences get deep; the rest are anything by anyone, which must be refused cleanly.
            fitting = [a for a in ACTIONS if before[0] in TRANSITIONS[a].sources]
            # The normal path first: hypothesis favours early choices, so walks go deep.
            fitting.sort(key=lambda a: a != FORWARD.get(before[0]))
            if fitting and data.draw(st.integers(0, 3), label="bias") < 3:
                action = data.draw(st.sampled_from(fitting), label="action")
                able = [n for n in ACTORS if ROLE_OF[n] in TRANSITIONS[action].roles] or ACTORS
                actor_name = data.draw(st.sampled_from(able), label="actor")
            else:
                action = data.draw(st.sampled_from(ACTIONS), label="action")
                actor_name = data.draw(st.sampled_from(ACTORS), label="actor")
            valid = data.draw(st.integers(0, 5), label="valid") < 5
            try:
                perform(oid, action, org.user(actor_name), payload_for(action, valid))
            except DoorstepError as exc:
                if os.environ.get("DEBUG_WALK"):
                    print(action, actor_name, before[0], exc.message)
                assert state(oid) == before, f"refused {action} changed the order"
                continue
            after = state(oid)
            reached.add(after[0])
            assert after[0] in possible_targets(action, before[0]), (action, before[0], after[0])
            assert after[1] == before[1] + 1 and after[4] == before[4] + 1
        assert list(verify_history()) == []
        # …and the check is not blind: alter one event by SQL and it must notice.
        victim = OrderEvent.objects.filter(order_id=orders[0]).order_by("-seq").first()
        assert victim is not None
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {OrderEvent._meta.db_table} SET actor_role = 'admin' WHERE id = %s",
                [victim.pk],
            )
        assert [p.event_id for p in verify_history()] == [victim.pk]
        transaction.set_rollback(True)
    REACHED.update(reached)


REACHED: set[str] = set()


def test_the_random_walks_above_reach_deep_states() -> None:
    # Runs after the property test in file order: the walks must not stay at the surface.
    assert {"on_site", "completed"} & REACHED, sorted(REACHED)
