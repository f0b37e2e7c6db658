"""The customer's evaluation form: the one way an answer is recorded, and what it sets off.

`submit` is called by both pages that take the form — the hand-over page on the technician's
phone at close-out (`via=phone_handover`) and the customer's link (`via=link`). It writes the
answers once (a second form for the order is refused), opens one complaint case through the
order action layer's `complain` (channel `evaluation`) when any conduct item is answered "no",
and flags the order for the quality desk when the overall rating is LOW_RATING or less: the
waiting callback task is marked for audit, so the callback desk calls this customer back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet

from doorstep.core import clock
from doorstep.core.errors import Conflict, InvalidInput
from doorstep.evaluation.choices import COMPLAINT_CHANNEL, LOW_RATING, ItemKind
from doorstep.evaluation.models import Answer, Evaluation, EvaluationItem
from doorstep.orders.actions import perform
from doorstep.orders.choices import Status
from doorstep.orders.models import WorkOrder

# The form is answered once the work is done: at close-out on site, or later by the link.
OPEN_FOR_ANSWERS = {Status.COMPLETED, Status.CLOSED}
# What the phone shows the technician after a low overall rating (000: 直至用户满意).
PUT_IT_RIGHT = "请当场为客户解决问题，直至满意"


def active_items() -> list[EvaluationItem]:
    return list(EvaluationItem.objects.filter(active=True).order_by("position", "id"))


def may_answer(order: WorkOrder) -> bool:
    return order.status in OPEN_FOR_ANSWERS and not Evaluation.objects.filter(order=order).exists()


def _read(
    items: list[EvaluationItem], raw: Mapping[str, str]
) -> dict[int, tuple[bool | None, int | None]]:
    """Each item's answer from the form's fields (named by item code), or InvalidInput naming
    every item left unanswered or answered out of range."""
    errors: dict[str, str] = {}
    read: dict[int, tuple[bool | None, int | None]] = {}
    for item in items:
        value = (raw.get(item.code) or "").strip()
        if item.kind == ItemKind.CONDUCT:
            if value not in ("yes", "no"):
                errors[item.code] = f"请回答：{item.question}"
                continue
            read[item.pk] = (value == "yes", None)
        else:
            if value not in {"1", "2", "3", "4", "5"}:
                errors[item.code] = f"请为“{item.question}”选择 1–5 分"
                continue
            read[item.pk] = (None, int(value))
    if errors:
        raise InvalidInput(errors)
    return read


def _refuse_second() -> Conflict:
    return Conflict("这张工单已经评价过，评价提交后不能修改", state="evaluated", allowed=[])


def submit(order: WorkOrder, via: str, raw: Mapping[str, str]) -> Evaluation:
    """Record the customer's answers to the active items (raw: item code → "yes"/"no" or
    "1".."5"). The caller has checked who may hand in the form (the link, or the technician
    whose order it is); this checks the order's state and that no form was given before."""
    if order.status not in OPEN_FOR_ANSWERS:
        raise InvalidInput({"order": "服务完成后才能填写评价"})
    items = active_items()
    answers = _read(items, raw)
    ratings = [r for _, r in answers.values() if r is not None]
    overall = min(ratings) if ratings else None
    low = overall is not None and overall <= LOW_RATING
    said_no = [i for i in items if answers[i.pk][0] is False]
    try:
        with transaction.atomic():
            WorkOrder.objects.select_for_update().filter(pk=order.pk).first()
            if Evaluation.objects.filter(order=order).exists():
                raise _refuse_second()
            evaluation = Evaluation(
                order=order,
                via=via,
                branch_id=order.branch_id,
                technician_id=order.technician_id,
                submitted_at=clock.now(),
                overall=overall,
                flagged=low,
            )
            if said_no:
                note = "客户评价表反映：" + "；".join(f"{i.question}——否" for i in said_no)
                _, event = perform(
                    order.pk, "complain", None, {"channel": COMPLAINT_CHANNEL, "note": note}
                )
                evaluation.complaint_event = event
            evaluation.save()
            Answer.objects.bulk_create(
                Answer(
                    evaluation=evaluation,
                    item=i,
                    question=i.question,
                    kind=i.kind,
                    yes=answers[i.pk][0],
                    rating=answers[i.pk][1],
                )
                for i in items
            )
            if low:
                _flag_for_desk(order)
    except IntegrityError:
        raise _refuse_second() from None
    return evaluation


def _flag_for_desk(order: WorkOrder) -> None:
    """The callback desk's queue (doorstep.quality) lists audit-marked tasks for a call."""
    from doorstep.quality.models import CallbackTask

    CallbackTask.objects.filter(order=order, done_at__isnull=True).update(audit=True)


# -- for the KPIs ----------------------------------------------------------------------------


@dataclass
class EvaluationSummary:
    forms: int = 0
    mean_overall: float | None = None
    low_ratings: int = 0
    # item code → how many forms answered "no"
    noes: dict[str, int] = field(default_factory=dict)


def evaluation_summary(
    orders: QuerySet[WorkOrder] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> EvaluationSummary:
    """The forms answered in [start, end) for `orders` (all orders when None), in two queries:
    how many, their mean overall rating, how many were low, and each conduct item's "no"s."""
    forms = Evaluation.objects.all()
    if orders is not None:
        forms = forms.filter(order__in=orders)
    if start is not None:
        forms = forms.filter(submitted_at__gte=start)
    if end is not None:
        forms = forms.filter(submitted_at__lt=end)
    totals = forms.aggregate(
        n=Count("id"), mean=Avg("overall"), low=Count("id", filter=Q(overall__lte=LOW_RATING))
    )
    noes = (
        Answer.objects.filter(evaluation__in=forms, kind=ItemKind.CONDUCT, yes=False)
        .values("item__code")
        .annotate(n=Count("id"))
    )
    mean = totals["mean"]
    return EvaluationSummary(
        forms=totals["n"],
        mean_overall=float(mean) if mean is not None else None,
        low_ratings=totals["low"],
        noes={row["item__code"]: row["n"] for row in noes},
    )


def answers_of(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {"question": a.question, "kind": a.kind, "yes": a.yes, "rating": a.rating}
        for a in evaluation.answers.order_by("id")
    ]


def evaluation_card(order: WorkOrder) -> dict[str, Any]:
    """What the customer's link page shows of the form: empty to answer, or already given."""
    done = Evaluation.objects.filter(order=order).first()
    is_open = done is None and order.status in OPEN_FOR_ANSWERS
    return {"open": is_open, "done": done, "items": active_items() if is_open else []}
