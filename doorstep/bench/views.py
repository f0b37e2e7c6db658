"""The intake benchmark's baseline: one INSERT of a row as wide as an order, nothing else.
Mounted only when DOORSTEP_BENCH_ENDPOINTS=1 (the benchmark's own server)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from doorstep.bench.baseline import BaselineRow


@csrf_exempt
@require_POST
def baseline_insert(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body or b"{}")
    now = timezone.now()
    row = BaselineRow.objects.create(
        number=str(body.get("number", ""))[:32],
        kind="repair",
        fault_class="line",
        status="received",
        branch_id=1,
        customer_id=1,
        symptom=str(body.get("symptom", "")),
        channel="api",
        reported_at=now,
        received_by_id=1,
        created_at=now,
        updated_at=now,
    )
    return JsonResponse({"id": row.pk}, status=201)
