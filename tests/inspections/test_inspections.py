"""Supervision inspections: the score worked out by hand, the weekly random sample, the star
rating's inspection component, and who may do what (docs/inspections.md)."""

from __future__ import annotations

import io
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from PIL import Image

from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.inspections import services
from doorstep.inspections.models import ChecklistItem, Inspection, InspectionPhoto, PlanEntry
from doorstep.ratings.models import StarRating
from doorstep.ratings.services import recompute_branch
from doorstep.standards import policies
from doorstep.standards.models import Policy
from tests.inspections.conftest import SH, visit

# Wednesday 2 December 2026; its week runs Monday 30 November – Sunday 6 December.
WED = datetime(2026, 12, 2, 10, 0, tzinfo=SH)


def all_pass(items: dict[str, Any], **fails: bool) -> dict[int, bool]:
    return {i.pk: code not in fails for code, i in items.items()}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return out.getvalue()


def set_share(value: float) -> None:
    row = Policy.objects.get(key="inspections.sampling")
    row.params = {"share": value}
    row.save()
    policies.clear_cache()


def test_the_score_is_the_passed_weight_over_the_answered_weight(org: Any, items: Any) -> None:
    # Default weights: dress 10, badge 10, kit 10, conduct 20, wiring 15, labels 10,
    # height 15, cleanup 10 = 100. Failing conduct (20) and height (15): 65 of 100.
    with time_machine.travel(WED, tick=False):
        i = services.record(
            org.quality, answers=all_pass(items, conduct=True, height=True), technician=org.tech
        )
    assert i.score == Decimal("65.0") and i.branch == org.gs
    assert [a.passed for a in i.answers.all()].count(False) == 2
    # Weights changed later by the admin do not change a recorded score; they count next time.
    items["wiring"].weight = 30
    items["wiring"].save()
    fails = all_pass(items, wiring=True)
    again = services.record(org.quality, answers=fails, technician=org.tech)
    i.refresh_from_db()
    assert i.score == Decimal("65.0")
    # Now 115 in all; failing wiring (30): 85 ÷ 115 × 100 = 73.91… → 73.9.
    assert again.score == Decimal("73.9")
    with pytest.raises(InvalidInput) as e:
        services.record(org.quality, answers={}, technician=org.tech)
    assert "answers" in e.value.fields


def test_the_plan_draws_the_policy_share_of_this_weeks_visits_reproducibly(org: Any) -> None:
    this_week = [visit(org, n, datetime(2026, 12, 1, 9, n, tzinfo=SH)) for n in range(20)]
    visit(org, 90, datetime(2026, 11, 29, 23, 0, tzinfo=SH))  # last week (Sunday night)
    visit(org, 91, datetime(2026, 12, 1, 9, 0, tzinfo=SH), org.township_tech, "TL")  # TL
    ids = {o.pk for o in this_week}
    with time_machine.travel(WED, tick=False):
        assert services.week_visits(org.gs, WED) == sorted(ids)
        # The default share, 5 %: ceil(0.05 × 20) = 1.
        assert len(services.draw(org.gs, WED, "s1")) == 1
        set_share(0.25)  # the admin raises it to a quarter: 5 of 20
        first = services.draw(org.gs, WED, "s1")
        assert len(first) == 5 and set(first) <= ids
        assert services.draw(org.gs, WED, "s1") == first  # same seed, same visits
        assert services.draw(org.gs, WED, "s2") != first
        # 21 visits (one more): ceil(0.25 × 21) = 6.
        visit(org, 30, datetime(2026, 12, 2, 8, 0, tzinfo=SH))
        assert len(services.draw(org.gs, WED, "s1")) == math.ceil(0.25 * 21) == 6

        quality = Client()
        quality.force_login(org.quality)
        r = quality.post("/inspections/", {"branch": "GS", "seed": "s1"})
        assert r.status_code == 302
        planned = set(PlanEntry.objects.values_list("order_id", flat=True))
        assert planned == set(services.draw(org.gs, WED, "s1"))
        page = quality.get("/inspections/").content.decode()
        assert page.count("待稽核</span>") == 6
        # Recording one marks it done.
        target = PlanEntry.objects.select_related("order").first()
        assert target is not None
        services.record(
            org.quality,
            answers={i.pk: True for i in ChecklistItem.objects.all()},
            order=target.order,
        )
        page = quality.get("/inspections/").content.decode()
        assert page.count("待稽核</span>") == 5 and "已稽核 100.0 分" in page


def test_an_inspection_sets_the_technicians_rating_component(org: Any, items: Any) -> None:
    def component(user: Any) -> Any:
        row = StarRating.objects.filter(technician=user).first()
        assert row is not None
        return next(c for c in row.components if c["key"] == "inspection")

    # Two inspections of tech in November (the window on 2 December is Sep–Nov): 65.0 and
    # 90.0, mean 77.5; one in December (outside the window) scoring 0 is not counted.
    with time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=SH), tick=False):
        services.record(
            org.quality, answers=all_pass(items, conduct=True, height=True), technician=org.tech
        )
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=SH), tick=False):
        services.record(org.manager, answers=all_pass(items, labels=True), technician=org.tech)
    with time_machine.travel(datetime(2026, 12, 1, 0, 30, tzinfo=SH), tick=False):
        services.record(
            org.quality, answers={i.pk: False for i in items.values()}, technician=org.tech
        )
    recompute_branch(org.gs, WED)
    assert component(org.tech) == {
        "key": "inspection",
        "label": "稽核得分",
        "weight": 10.0,  # as shipped (migration inspections/0003)
        "score": 77.5,
    }
    row = StarRating.objects.filter(technician=org.tech).first()
    assert row is not None and row.measured["inspection_score"] == 2
    # other_tech was never inspected: the component is null and drops out.
    assert component(org.other_tech)["score"] is None
    # The admin weighs it 20 in the ratings.stars policy: the weight is the policy's.
    stars = Policy.objects.get(key="ratings.stars")
    stars.params = {**stars.params, "weights": {**stars.params["weights"], "inspection": 20}}
    stars.save()
    policies.clear_cache()
    recompute_branch(org.gs, WED)
    assert component(org.tech)["weight"] == 20.0 and component(org.tech)["score"] == 77.5


def test_a_technician_cannot_record_and_sees_only_their_own(org: Any, items: Any) -> None:
    with pytest.raises(Forbidden):
        services.record(org.tech, answers=all_pass(items), technician=org.other_tech)
    mine = services.record(org.quality, answers=all_pass(items), technician=org.tech)
    theirs = services.record(org.quality, answers=all_pass(items), technician=org.other_tech)
    tech = Client()
    tech.force_login(org.tech)
    answers = {f"item-{pk}": "pass" for pk in all_pass(items)}
    r = tech.post("/inspections/new/", {"technician": "other_tech", **answers})
    assert r.status_code == 403
    assert Inspection.objects.count() == 2
    assert tech.get("/inspections/")["Location"] == "/inspections/technicians/tech/"
    assert tech.get(f"/inspections/{mine.pk}/").status_code == 200
    assert tech.get(f"/inspections/{theirs.pk}/").status_code == 404
    assert tech.get("/inspections/technicians/other_tech/").status_code == 404
    own = tech.get("/inspections/technicians/tech/").content.decode()
    assert f"/inspections/{mine.pk}/" in own and f"/inspections/{theirs.pk}/" not in own


def test_the_form_records_with_a_photo_and_refuses_a_file_that_is_not_one(
    org: Any, items: Any
) -> None:
    quality = Client()
    quality.force_login(org.quality)
    answers = {f"item-{i.pk}": "fail" if c == "badge" else "pass" for c, i in items.items()}
    bad = io.BytesIO(b"not a picture")
    bad.name = "x.jpg"
    r = quality.post("/inspections/new/", {"technician": "tech", "photos": bad, **answers})
    assert r.status_code == 400 and "不是有效的图片" in r.content.decode()
    assert not Inspection.objects.exists()
    good = io.BytesIO(png())
    good.name = "site.png"
    r = quality.post(
        "/inspections/new/", {"technician": "tech", "photos": good, "note": "工牌未佩戴", **answers}
    )
    assert r.status_code == 302
    done = Inspection.objects.get()
    assert done.score == Decimal("90.0")  # badge (10) failed of 100
    photo = InspectionPhoto.objects.get(inspection=done)
    assert photo.content_type == "image/png"
    page = quality.get(r["Location"]).content.decode()
    assert "90.0 分" in page and "工牌未佩戴" in page
    assert quality.get(f"/inspections/photos/{photo.pk}/").status_code == 200
    tech = Client()
    tech.force_login(org.other_tech)
    assert tech.get(f"/inspections/photos/{photo.pk}/").status_code == 404


def test_a_visit_shows_the_inspectors_photos_beside_the_orders_own(org: Any, items: Any) -> None:
    from doorstep.orders.attachments import store_attachment

    order = visit(org, 1, datetime(2026, 12, 1, 9, 0, tzinfo=SH))
    theirs = store_attachment(order.pk, org.tech, kind="photo", data=png(), filename="a.png")
    quality = Client()
    quality.force_login(org.quality)
    answers = {f"item-{i.pk}": "pass" for i in items.values()}
    good = io.BytesIO(png())
    good.name = "wiring.png"
    r = quality.post("/inspections/new/", {"order": order.number, "photos": good, **answers})
    assert r.status_code == 302
    done = Inspection.objects.get()
    assert (done.order, done.technician, done.score) == (order, org.tech, Decimal("100.0"))
    mine = InspectionPhoto.objects.get(inspection=done)
    page = quality.get(r["Location"]).content.decode()
    assert f"/inspections/photos/{mine.pk}/" in page
    assert f"/orders/{order.pk}/attachments/{theirs.pk}/" in page
    r = quality.post("/inspections/new/", {"order": "NO-SUCH", **answers})
    assert r.status_code == 400 and "找不到该工单" in r.content.decode()


def test_with_a_weight_the_inspection_mean_moves_the_stars() -> None:
    from doorstep.ratings import formula

    weights = dict.fromkeys(formula.DEFAULTS["weights"], 0) | {"callback": 20, "inspection": 10}
    params = {"weights": weights, "min_orders": 20}
    # Callback mean 8.2 of 10: (8.2 − 1) ÷ 9 = 80.0. Alone: 80.0 → 4 stars.
    alone = formula.rate({"orders": 20, "callback_satisfaction": 8.2}, {}, params)
    assert (alone.score, alone.stars) == (80.0, 4)
    # Inspections averaging 70.0 weigh 10: (20 × 80 + 10 × 70) ÷ 30 = 76.67 → 76.7 → 3 stars.
    figures = {"orders": 20, "callback_satisfaction": 8.2, "inspection_score": 70.0}
    both = formula.rate(figures, {"inspection_score": 2}, params)
    assert (both.score, both.stars) == (76.7, 3)
    part = next(c for c in both.components if c["key"] == "inspection")
    assert part["score"] == 70.0 and part["lost"] == 10.0  # 10 × (100 − 70) ÷ 30
