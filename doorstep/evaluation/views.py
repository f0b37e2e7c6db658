"""The two pages that take the form: the customer's link, and the hand-over page on the
technician's phone. Both render the same empty form and call `services.submit`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from doorstep.core.errors import DoorstepError, NotFound
from doorstep.customers.conf import conf
from doorstep.customers.links import LinkGone, open_link
from doorstep.customers.throttle import TooManyRequests, throttle
from doorstep.evaluation import services
from doorstep.evaluation.choices import Via
from doorstep.evaluation.models import Evaluation
from doorstep.orders.access import visible_orders
from doorstep.orders.models import WorkOrder


def _refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(
        request, "customers/refused.html", {"message": message, "status": status}, status=status
    )


def _first_error(exc: DoorstepError) -> str:
    fields: dict[str, list[str]] = getattr(exc, "fields", {})
    return next(iter(fields.values()))[0] if fields else exc.message


def _form_page(request: HttpRequest, order: WorkOrder, via: str, back: str) -> HttpResponse:
    """GET: the empty form (nothing is ever prefilled, whoever opens it). POST: submit it."""
    error = ""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.submit(order, via, request.POST)
        except DoorstepError as exc:
            error = _first_error(exc)
            errors = getattr(exc, "fields", {})
        else:
            return HttpResponseRedirect(request.path)
    done = Evaluation.objects.filter(order=order).first()
    context = {
        "order": order,
        "via": via,
        "back": back,
        "items": services.active_items(),
        "done": done,
        "answers": services.answers_of(done) if done else [],
        "open": services.may_answer(order),
        "put_it_right": (
            services.PUT_IT_RIGHT if done and done.flagged and via == Via.PHONE_HANDOVER else ""
        ),
        "error": error,
        "errors": errors,
    }
    return render(request, "evaluation/form.html", context, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
def link_form(request: HttpRequest, token: str) -> HttpResponse:
    try:
        throttle(request, "public", conf("DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE"))
        order = open_link(token)
    except TooManyRequests as exc:
        return _refused(request, 429, exc.message)
    except NotFound:
        return _refused(request, 404, "链接无效，请核对短信中的链接")
    except LinkGone:
        return _refused(request, 410, "链接已过期，如需帮助请拨打客服热线")
    return _form_page(request, order, Via.LINK, back=request.path.rsplit("/", 1)[0])


@login_required
@require_http_methods(["GET", "POST"])
def handover_form(request: HttpRequest, order_id: int) -> HttpResponse:
    """At close-out the technician hands the phone to the customer. Only the technician whose
    order it is opens this page; the form starts empty and the page keeps no draft."""
    order = visible_orders(request.user).filter(pk=order_id).first()
    if order is None or order.technician_id != request.user.pk:
        raise Http404("不是您名下的工单")
    return _form_page(
        request, order, Via.PHONE_HANDOVER, back=reverse("field:order", args=[order.pk])
    )
