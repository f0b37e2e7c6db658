"""R18 damage claims with their 48 h compensation clock, and R19 first-ask questions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from doorstep.care import services
from doorstep.care.models import DamageClaim, Question
from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.orders.actions import create_order, perform
from doorstep.standards.models import Breach, Penalty
from doorstep.worker import Worker
from tests.care.helpers import to_on_site
from tests.conftest import repair_data
from tests.standards.conftest import clock

D = "2026-11-20"
CLAIM = {"what": "木地板", "customer_words": "师傅搬梯子把我家地板划了一道", "apologized": True}


def _on_site(org: Any, at: Any) -> Any:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, repair_data())
        to_on_site(order, org, org.tech)
    return order


def _claim(org: Any, at: Any, order: Any, when: str) -> DamageClaim:
    with at(when):
        perform(order.pk, "claim_damage", org.tech, CLAIM)
    return DamageClaim.objects.get(order=order)


def test_a_claim_opens_a_48_hour_compensation_clock(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    claim = _claim(org, at, order, f"{D} 10:00")
    c = clock(order.pk, "compensation")
    assert claim.clock == c and c.status == "running"
    assert c.deadline.isoformat() == "2026-11-22T02:00:00+00:00"  # 10:00 Shanghai + 48 h
    assert claim.apologized_at is not None and claim.is_open


def test_a_claim_not_settled_in_48_hours_is_breached_and_charged_as_r18(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    _claim(org, at, order, f"{D} 10:00")
    with at("2026-11-22 09:59"):
        Worker().tick()
    assert clock(order.pk, "compensation").status == "running"
    with at("2026-11-22 10:01"):
        Worker().tick()
    c = clock(order.pk, "compensation")
    assert c.status == "breached"
    (breach,) = Breach.objects.filter(clock=c)
    assert breach.rule == "R18"
    entry = Penalty.objects.get(breach=breach)
    assert (entry.rule, entry.technician, entry.amount) == ("R18", org.tech, Decimal("10"))


def test_settling_in_time_meets_the_clock_and_records_amount_and_how(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    claim = _claim(org, at, order, f"{D} 10:00")
    with at("2026-11-21 16:00"):
        perform(
            order.pk,
            "settle_damage",
            org.dispatcher,
            {"claim": claim.pk, "amount": "200", "paid_via": "transfer", "apologized": True},
        )
    claim.refresh_from_db()
    assert (claim.amount, claim.paid_via, claim.is_open) == (Decimal("200"), "transfer", False)
    assert clock(order.pk, "compensation").status == "met"
    assert not Penalty.objects.filter(order=order, rule="R18").exists()


def test_settling_late_is_breached_through_the_one_breach_path(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    claim = _claim(org, at, order, f"{D} 10:00")
    with at("2026-11-23 10:00"):
        perform(
            order.pk,
            "settle_damage",
            org.dispatcher,
            {"claim": claim.pk, "amount": "200", "paid_via": "cash", "apologized": True},
        )
    assert clock(order.pk, "compensation").status == "breached"
    assert Penalty.objects.filter(order=order, rule="R18").count() == 1


def test_settling_needs_the_apology_and_a_claim_of_this_order(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    claim = _claim(org, at, order, f"{D} 10:00")
    with at(f"{D} 11:00"), pytest.raises(InvalidInput) as err:
        perform(
            order.pk,
            "settle_damage",
            org.dispatcher,
            {"claim": claim.pk, "amount": "1", "paid_via": "cash", "apologized": False},
        )
    assert "apologized" in err.value.fields
    with at(f"{D} 11:00"), pytest.raises(InvalidInput) as err:
        perform(
            order.pk,
            "settle_damage",
            org.dispatcher,
            {"claim": claim.pk + 99, "amount": "1", "paid_via": "cash", "apologized": True},
        )
    assert "claim" in err.value.fields


def test_a_claim_names_only_photos_of_its_order(org: Any, at: Any) -> None:
    order = _on_site(org, at)
    with at(f"{D} 10:00"), pytest.raises(InvalidInput) as err:
        perform(order.pk, "claim_damage", org.tech, {**CLAIM, "photos": [12345]})
    assert "photos" in err.value.fields


# -- R19 ------------------------------------------------------------------------------------


def test_a_hand_off_keeps_the_first_owner_answerable(org: Any, at: Any) -> None:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, repair_data())
        q = services.ask(
            org.operator, question="宽带到期后怎么续费？", asked_via="phone", order=order
        )
    with at(f"{D} 09:10"):
        services.hand_off(q.pk, org.operator, "dispatcher", "请调度确认资费")
    q.refresh_from_db()
    assert (q.owner, q.handled_by) == (org.operator, org.dispatcher)
    assert list(services.questions_of(org.operator)) == [q]  # still on the owner's page
    assert list(services.questions_of(org.dispatcher)) == [q]
    with at(f"{D} 12:00"):
        rows = services.unanswered_by_owner()
    assert rows[0]["owner"] == org.operator
    assert rows[0]["questions"][0]["age"].total_seconds() == 3 * 3600
    with at(f"{D} 12:05"):
        services.answer(q.pk, org.dispatcher, "按月续费，营业厅或APP均可")
    q.refresh_from_db()
    assert q.answered_by == org.dispatcher and q.owner == org.operator
    assert services.unanswered_by_owner() == []


def test_only_the_owner_or_the_handler_may_pass_on_or_answer(org: Any, at: Any) -> None:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, repair_data())
        q = services.ask(
            org.operator, question="能改到周末上门吗？", asked_via="phone", order=order
        )
    with pytest.raises(Forbidden):
        services.answer(q.pk, org.quality, "可以")
    with pytest.raises(InvalidInput) as err:
        services.hand_off(q.pk, org.operator, "nobody")
    assert "to" in err.value.fields
    assert Question.objects.get(pk=q.pk).handoffs.count() == 0


def test_the_care_policy_rows_come_with_a_history_that_verifies(db: Any) -> None:
    from doorstep.standards.integrity import verify_policy_history
    from doorstep.standards.models import Policy, PolicyChange

    for key in ("clock.compensation", "escalation.chase", "care.engineering"):
        row = Policy.objects.get(key=key)
        assert PolicyChange.objects.filter(policy=row, via="migration").exists()
    assert list(verify_policy_history()) == []
