"""The customer's evaluation form: answered once, on the technician's phone at close-out or
through the customer's link; a "no" opens a complaint case; a low rating flags the order."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from doorstep.evaluation.models import Evaluation, EvaluationItem
from doorstep.evaluation.services import evaluation_summary
from doorstep.orders.actions import perform
from doorstep.orders.attachments import store_attachment
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.quality.models import CallbackTask, Complaint
from tests.conftest import bearer, walk_to

pytestmark = pytest.mark.django_db

CONDUCT = [
    "on_time",
    "badge_shown",
    "shoe_covers",
    "tools_on_pad",
    "consent_asked",
    "site_cleaned",
    "usage_explained",
    "no_phone_or_toilet",
    "no_smoking",
    "no_gifts_or_meals",
    "no_extra_charge",
]


def answers(overall: int = 5, **noes: str) -> dict[str, str]:
    data = {code: "yes" for code in CONDUCT}
    data.update(noes)
    data["overall"] = str(overall)
    return data


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buf, "PNG")
    return buf.getvalue()


def complete(org: Any, order: Any) -> None:
    from doorstep.quality.policy import ensure_default

    ensure_default()
    walk_to(order.pk, org, "on_site")
    store_attachment(order.pk, org.tech, kind="photo", data=png(), filename="a.png")
    perform(
        order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫，恢复上网", "no_signature_reason": "客户不便签字", "rating": 5},
    )


def link_path(order_id: int) -> str:
    resp = Client().post(f"/api/v1/orders/{order_id}/customer-link", headers=bearer("dispatcher"))
    assert resp.status_code == 200, resp.content
    return "/" + resp.json()["url"].split("/", 3)[3]


def tech_client(org: Any) -> Client:
    c = Client()
    c.force_login(org.tech)
    return c


def test_the_link_page_shows_the_empty_form_once_completed_and_takes_the_answers(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "on_site")
    path = link_path(repair_order.pk)
    assert 'id="evaluation-form"' not in Client().get(path).content.decode()
    assert "服务完成后才能填写评价" in Client().get(path + "/evaluation").content.decode()

    store_attachment(repair_order.pk, org.tech, kind="photo", data=png(), filename="a.png")
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "no_signature_reason": "客户不便签字", "rating": 5},
    )
    page = Client().get(path).content.decode()
    assert 'id="evaluation-form"' in page and "师傅进门时是否穿上了鞋套？" in page
    assert "checked" not in page  # nothing answered for the customer

    resp = Client().post(path + "/evaluation", answers(4))
    assert resp.status_code == 302
    form = Evaluation.objects.get(order=repair_order)
    assert (form.via, form.overall, form.flagged) == ("link", 4, False)
    assert form.answers.count() == 12 and form.complaint_event is None
    page = Client().get(path).content.decode()
    assert 'id="evaluation-form"' not in page and "您已提交服务评价" in page


def test_an_unanswered_item_is_refused_naming_it(org: Any, repair_order: Any) -> None:
    complete(org, repair_order)
    data = answers()
    del data["no_smoking"]
    resp = Client().post(link_path(repair_order.pk) + "/evaluation", data)
    assert resp.status_code == 422
    assert "请回答：师傅是否没有在您家中吸烟？" in resp.content.decode()
    assert not Evaluation.objects.exists()


def test_the_handover_page_is_the_technicians_own_starts_empty_and_records_via_phone(
    org: Any, repair_order: Any
) -> None:
    complete(org, repair_order)
    order_page = tech_client(org).get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert "请客户填写评价" in order_page
    url = f"/m/orders/{repair_order.pk}/evaluation/"
    other = Client()
    other.force_login(org.other_tech)
    assert other.get(url).status_code == 404

    # Query parameters do not prefill anything: the customer answers every item themselves.
    page = tech_client(org).get(url + "?overall=5&on_time=yes").content.decode()
    assert "请将手机交给客户，由客户本人填写" in page and "checked" not in page
    assert tech_client(org).post(url, answers(5)).status_code == 302
    assert Evaluation.objects.get(order=repair_order).via == "phone_handover"
    assert (
        "客户已填写评价" in tech_client(org).get(f"/m/orders/{repair_order.pk}/").content.decode()
    )


def test_a_no_on_a_conduct_item_opens_one_complaint_case(org: Any, repair_order: Any) -> None:
    complete(org, repair_order)
    url = f"/m/orders/{repair_order.pk}/evaluation/"
    resp = tech_client(org).post(url, answers(4, shoe_covers="no", no_smoking="no"))
    assert resp.status_code == 302
    case = Complaint.objects.get(order=repair_order)
    assert case.channel == "evaluation" and case.finding == ""
    assert "师傅进门时是否穿上了鞋套？——否" in case.note and "吸烟" in case.note
    event = OrderEvent.objects.get(order=repair_order, action="complain")
    assert Evaluation.objects.get(order=repair_order).complaint_event == event
    assert "您反映的问题已转质检人员核查" in tech_client(org).get(url).content.decode()


def test_a_rating_of_1_or_2_on_site_asks_to_put_it_right_and_flags_the_order(
    org: Any, repair_order: Any
) -> None:
    complete(org, repair_order)
    task = CallbackTask.objects.get(order=repair_order)
    CallbackTask.objects.filter(pk=task.pk).update(audit=False)
    url = f"/m/orders/{repair_order.pk}/evaluation/"
    resp = tech_client(org).post(url, answers(2), follow=True)
    assert "请当场为客户解决问题，直至满意" in resp.content.decode()
    assert Evaluation.objects.get(order=repair_order).flagged
    assert CallbackTask.objects.get(pk=task.pk).audit  # on the callback desk's audit list
    page = tech_client(org).get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert "请当场为客户解决问题，直至满意" in page
    assert not Complaint.objects.filter(order=repair_order).exists()


def test_a_rating_of_3_does_not_flag(org: Any, repair_order: Any) -> None:
    complete(org, repair_order)
    CallbackTask.objects.filter(order=repair_order).update(audit=False)
    tech_client(org).post(f"/m/orders/{repair_order.pk}/evaluation/", answers(3))
    assert not Evaluation.objects.get(order=repair_order).flagged
    assert not CallbackTask.objects.get(order=repair_order).audit


def test_a_second_submission_is_refused_and_the_first_stands(org: Any, repair_order: Any) -> None:
    complete(org, repair_order)
    assert (
        tech_client(org).post(f"/m/orders/{repair_order.pk}/evaluation/", answers(5)).status_code
        == 302
    )
    resp = Client().post(link_path(repair_order.pk) + "/evaluation", answers(1, on_time="no"))
    assert resp.status_code == 422
    assert "这张工单已经评价过" in resp.content.decode()
    form = Evaluation.objects.get(order=repair_order)
    assert (form.via, form.overall) == ("phone_handover", 5)
    assert not Complaint.objects.filter(order=repair_order).exists()
    with pytest.raises(ValueError):
        form.save()


def test_an_admin_edits_the_items_and_the_form_follows(org: Any, repair_order: Any) -> None:
    admin = Client()
    admin.force_login(org.admin)
    item = EvaluationItem.objects.get(code="no_smoking")
    change = admin.get(f"/admin/evaluation/evaluationitem/{item.pk}/change/")
    assert change.status_code == 200
    resp = admin.post(
        f"/admin/evaluation/evaluationitem/{item.pk}/change/",
        {
            "code": "no_smoking",
            "question": "师傅是否全程未吸烟？",
            "kind": "conduct",
            "position": 90,
        },  # active unticked: no longer asked
    )
    assert resp.status_code == 302, resp.content
    added = admin.post(
        "/admin/evaluation/evaluationitem/add/",
        {
            "code": "wore_uniform",
            "question": "师傅是否穿着统一工作服？",
            "kind": "conduct",
            "active": "on",
            "position": 15,
        },
    )
    assert added.status_code == 302, added.content

    complete(org, repair_order)
    page = tech_client(org).get(f"/m/orders/{repair_order.pk}/evaluation/").content.decode()
    assert "师傅是否穿着统一工作服？" in page and "吸烟" not in page
    data = answers(5, wore_uniform="no")
    del data["no_smoking"]
    assert (
        tech_client(org).post(f"/m/orders/{repair_order.pk}/evaluation/", data).status_code == 302
    )
    assert "统一工作服" in Complaint.objects.get(order=repair_order).note


def test_evaluation_summary_counts_forms_ratings_and_noes(org: Any) -> None:
    from doorstep.orders.actions import create_order
    from tests.conftest import repair_data

    orders = []
    for n in range(3):
        order, _ = create_order(
            org.operator,
            repair_data(
                customer={"name": "张三", "phone": f"1381234567{n}", "address": f"大关小区{n}室"}
            ),
        )
        complete(org, order)
        orders.append(order)
    tech = tech_client(org)
    tech.post(f"/m/orders/{orders[0].pk}/evaluation/", answers(5))
    tech.post(f"/m/orders/{orders[1].pk}/evaluation/", answers(2, shoe_covers="no"))
    tech.post(f"/m/orders/{orders[2].pk}/evaluation/", answers(1, shoe_covers="no", on_time="no"))
    every = evaluation_summary()
    assert (every.forms, every.low_ratings) == (3, 2)
    assert every.mean_overall == pytest.approx(8 / 3)
    assert every.noes == {"shoe_covers": 2, "on_time": 1}
    two = evaluation_summary(WorkOrder.objects.filter(pk__in=[orders[0].pk, orders[1].pk]))
    assert (two.forms, two.mean_overall, two.noes) == (2, 3.5, {"shoe_covers": 1})
