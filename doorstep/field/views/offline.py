"""What keeps the phone pages working without signal: the service worker."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.http import require_GET

# -- the service worker -----------------------------------------------------------------------


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /m/ so that its scope covers the phone pages (a worker's scope is the
    folder it is served from): the pages and their assets stay readable without signal."""
    assets = [
        static("web/doorstep.css"),
        static("web/clocks.js"),
        static("vendor/htmx-2.0.11.min.js"),
        static("field/phone.css"),
        static("field/phone/base.js"),
        static("field/phone/queue.js"),
        static("field/phone/forms.js"),
        static("field/phone/live.js"),
        static("field/phone.js"),
        static("field/signature.js"),
    ]
    body = render_to_string("field/sw.js", {"assets": json.dumps(assets)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
