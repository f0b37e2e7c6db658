"""The transitions table of SPEC §2: which action may run from which state, by which role.

`to` is the state the action moves the order to; None keeps the state it is in. Suspend and
resume are special: resume returns to the state that suspend left (kept on the order), and
absent returns to `scheduled` when a booking is kept, else to `accepted`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.orders.choices import OPEN, Action, Status
from doorstep.org.choices import Role

S = Status
R = Role

BOOKING_STATES = frozenset({S.DISPATCHED, S.ACCEPTED, S.SCHEDULED, S.EN_ROUTE, S.ON_SITE})
ANY_OPEN = OPEN  # received … on_site, suspended, returned
ANY = frozenset(Status)
# Actions by the technician are allowed only on orders assigned to them.
TECH_OWN = frozenset({R.TECHNICIAN})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    to: str | None
    roles: frozenset[str]
    label: str = ""


def _t(
    action: Action, sources: frozenset[str] | set[str], to: Status | None, *roles: Role
) -> Transition:
    return Transition(
        action.value,
        frozenset(sources),
        to.value if to else None,
        frozenset(roles),
        str(action.label),
    )


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t(Action.CREATE, set(), S.RECEIVED, R.OPERATOR, R.DISPATCHER, R.TECHNICIAN),
        _t(
            Action.ASSIGN,
            {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.SCHEDULED, S.RETURNED},
            S.DISPATCHED,
            R.DISPATCHER,
        ),
        _t(Action.ACCEPT, {S.DISPATCHED}, S.ACCEPTED, R.TECHNICIAN),
        _t(Action.CONTACT, BOOKING_STATES, None, R.TECHNICIAN),
        _t(Action.SCHEDULE, {S.ACCEPTED}, S.SCHEDULED, R.TECHNICIAN, R.DISPATCHER),
        _t(
            Action.RESCHEDULE,
            {S.SCHEDULED, S.EN_ROUTE},
            S.SCHEDULED,
            R.TECHNICIAN,
            R.DISPATCHER,
            R.OPERATOR,
        ),
        _t(Action.NOTIFY_DELAY, {S.SCHEDULED, S.EN_ROUTE}, None, R.TECHNICIAN),
        _t(Action.DEPART, {S.SCHEDULED}, S.EN_ROUTE, R.TECHNICIAN),
        _t(Action.ARRIVE, {S.SCHEDULED, S.EN_ROUTE}, S.ON_SITE, R.TECHNICIAN),
        _t(Action.ABSENT, {S.ON_SITE}, S.ACCEPTED, R.TECHNICIAN),
        _t(Action.CONSENT, {S.ON_SITE}, None, R.TECHNICIAN),
        _t(Action.ATTACH, ANY_OPEN, None, R.TECHNICIAN),
        _t(Action.COMPLETE, {S.ON_SITE}, S.COMPLETED, R.TECHNICIAN),
        _t(Action.SUSPEND, ANY_OPEN - {S.SUSPENDED}, S.SUSPENDED, R.TECHNICIAN, R.DISPATCHER),
        _t(Action.RESUME, {S.SUSPENDED}, None, R.TECHNICIAN, R.DISPATCHER),
        _t(Action.RETURN, {S.DISPATCHED, S.ACCEPTED, S.SCHEDULED}, S.RETURNED, R.TECHNICIAN),
        _t(Action.REPLY, ANY_OPEN, None, R.TECHNICIAN, R.OPERATOR),
        _t(Action.CHASE, ANY_OPEN, None, R.OPERATOR, R.DISPATCHER),
        _t(Action.REPORT_BACK, ANY_OPEN, None, R.TECHNICIAN),
        _t(Action.CALLBACK, {S.COMPLETED}, None, R.QUALITY),
        _t(Action.COMPLAIN, ANY, None, R.OPERATOR, R.QUALITY),
        _t(
            Action.CANCEL,
            {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.SCHEDULED},
            S.CANCELLED,
            R.OPERATOR,
            R.DISPATCHER,
        ),
        _t(Action.CLOSE, {S.COMPLETED}, S.CLOSED, R.QUALITY),
        # doorstep.care's actions (doorstep/orders/actions/care.py); plain names like
        # verify_complaint, since `Action`'s choices are frozen in the orders migrations.
        Transition(
            "claim_damage",
            frozenset(ANY),
            None,
            frozenset({R.TECHNICIAN, R.OPERATOR, R.DISPATCHER, R.QUALITY, R.MANAGER}),
            "登记损坏赔偿",
        ),
        Transition(
            "settle_damage",
            frozenset(ANY),
            None,
            frozenset({R.OPERATOR, R.DISPATCHER, R.QUALITY, R.MANAGER}),
            "赔偿处理完毕",
        ),
        Transition(
            "site_not_ready",
            frozenset({S.EN_ROUTE, S.ON_SITE}),
            S.RETURNED.value,
            TECH_OWN,
            "施工条件不具备",
        ),
        Transition(
            "escalate_engineering",
            frozenset(ANY_OPEN),
            None,
            frozenset({R.TECHNICIAN, R.DISPATCHER}),
            "转派工程队",
        ),
        # Not an `Action` member (its choices are frozen in the orders migrations).
        Transition(
            "verify_complaint", frozenset(ANY), None, frozenset({R.QUALITY, R.MANAGER}), "核查投诉"
        ),
    ]
}

# Actions a technician may take only on an order that is theirs.
TECHNICIAN_OWN_ORDER_ONLY = frozenset(
    a for a, t in TRANSITIONS.items() if R.TECHNICIAN in t.roles and a != Action.CREATE
)


def allowed_actions(status: str, roles: set[str]) -> list[str]:
    """Actions the state table allows from `status` for any of `roles` (ownership aside)."""
    return [
        name
        for name, t in TRANSITIONS.items()
        if name != Action.CREATE and status in t.sources and (roles & t.roles)
    ]


# Actions whose target depends on the order: resume goes back where suspend left it, an
# unsatisfied callback re-opens the work.
_DYNAMIC_TARGETS: dict[str, frozenset[str]] = {
    Action.RESUME: frozenset(OPEN - {S.SUSPENDED}),
    Action.CALLBACK: frozenset({S.CLOSED, S.DISPATCHED, S.RECEIVED}),
}


def possible_targets(action: str, source: str) -> frozenset[str]:
    """Every state `action` may lead to from `source` (the property tests hold the code to it)."""
    t = TRANSITIONS[action]
    if source not in t.sources:
        return frozenset()
    if action in _DYNAMIC_TARGETS:
        return _DYNAMIC_TARGETS[action]
    return frozenset({t.to if t.to else source})


# The customer acts through the link sent to them (doorstep.customers), never with a login, so
# "customer" is an actor role of the history and not one of the staff roles in `Role`. Their
# actions have a table of their own: staff can never take them, and the staff table above stays
# what SPEC §2 lists. `chase` is the same action as the staff's, recorded with by=customer.
CUSTOMER = "customer"


class CustomerAction(models.TextChoices):
    CONFIRM = "confirm", _("客户确认预约")
    ASK_RESCHEDULE = "ask_reschedule", _("客户申请改约")
    CHASE = "chase", _("客户催单")
    RATE = "rate", _("客户评价")
    LODGE_COMPLAINT = "lodge_complaint", _("客户投诉")


def _c(action: CustomerAction, sources: frozenset[str] | set[str]) -> Transition:
    label = str(action.label)
    return Transition(action.value, frozenset(sources), None, frozenset({CUSTOMER}), label)


CUSTOMER_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _c(CustomerAction.CONFIRM, {S.SCHEDULED, S.EN_ROUTE}),
        _c(CustomerAction.ASK_RESCHEDULE, {S.ACCEPTED, S.SCHEDULED, S.EN_ROUTE}),
        _c(CustomerAction.CHASE, ANY_OPEN),
        _c(CustomerAction.RATE, {S.COMPLETED, S.CLOSED}),
        _c(CustomerAction.LODGE_COMPLAINT, ANY),
    ]
}


def customer_actions(status: str) -> list[str]:
    """What the customer may do from `status` (the buttons their page shows)."""
    return [name for name, t in CUSTOMER_TRANSITIONS.items() if status in t.sources]
