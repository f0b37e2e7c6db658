"""Pages for breaches, the penalty ledger, report-backs, policies and calendars.
(Placeholder views: replaced by the full pages.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def breaches(request: HttpRequest) -> HttpResponse:
    return HttpResponse("breaches")


@login_required
def penalties(request: HttpRequest) -> HttpResponse:
    return HttpResponse("penalties")


@login_required
def report_backs(request: HttpRequest) -> HttpResponse:
    return HttpResponse("report backs")


@login_required
def policies_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("policies")


@login_required
def calendars(request: HttpRequest) -> HttpResponse:
    return HttpResponse("calendars")
