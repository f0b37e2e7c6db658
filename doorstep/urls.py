from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import include, path

from doorstep.api.api import api


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page's <link rel=icon> says."""
    return HttpResponsePermanentRedirect(staticfiles_storage.url("favicon.ico"))


urlpatterns: list[Any] = [
    path("favicon.ico", favicon),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("standards/", include("doorstep.standards.urls")),
    path("m/", include("doorstep.field.urls")),
    path("dispatch/", include("doorstep.dispatch.urls")),
    path("notifications/", include("doorstep.notifications.urls")),
    path("incidents/", include("doorstep.incidents.urls")),
    path("quality/", include("doorstep.quality.urls")),
    path("care/", include("doorstep.care.urls")),
    path("dashboards/", include("doorstep.dashboards.urls")),
    path("ratings/", include("doorstep.ratings.urls")),
    path("exports/", include("doorstep.exports.urls")),
    path("inspections/", include("doorstep.inspections.urls")),
    path("", include("doorstep.evaluation.urls")),
    path("", include("doorstep.customers.urls")),
    path("", include("doorstep.web.urls")),
]

if settings.DOORSTEP_BENCH_ENDPOINTS:
    from doorstep.bench.views import baseline_insert

    urlpatterns.insert(0, path("bench/baseline-insert", baseline_insert))
