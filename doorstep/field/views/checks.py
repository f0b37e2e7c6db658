"""Live checks while the technician types: banned phrases (R23) before a text reaches a customer."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from doorstep.field.language import explain, problems

# -- banned phrases, as the technician types --------------------------------------------------


@login_required
@require_POST
def phrase_check(request: HttpRequest) -> JsonResponse:
    """R23 before sending: the hits in a customer-facing text and the reworded text."""
    text = ""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        text = str(body.get("text", "")) if isinstance(body, dict) else ""
    else:
        text = str(request.POST.get("text", ""))
    text = text[:2000]
    hits, better = problems(text) if text.strip() else ([], None)
    return JsonResponse(
        {
            "ok": not hits,
            "hits": [
                {
                    "matched": h.matched or h.phrase,
                    "start": h.start,
                    "end": h.end,
                    "suggestion": h.suggestion,
                    "kind": h.kind,
                    "source": h.source,
                }
                for h in hits
            ],
            "suggestion": better,
            "message": explain(hits, better) if hits else "",
        }
    )
