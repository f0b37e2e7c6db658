"""我的导出: the user's own exports, their progress and the download (only the owner's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.exports.models import Export, ExportStatus
from doorstep.exports.services import XLSX, download_name


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    exports = list(
        Export.objects.filter(owner_id=request.user.pk).order_by("-created_at", "-id")[:50]
    )
    waiting = any(e.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for e in exports)
    partial = bool(request.headers.get("HX-Request"))
    template = "exports/_rows.html" if partial else "exports/mine.html"
    return render(request, template, {"exports": exports, "waiting": waiting})


@login_required
def download(request: HttpRequest, export_id: int) -> FileResponse:
    job = Export.objects.filter(
        pk=export_id, owner_id=request.user.pk, status=ExportStatus.DONE
    ).first()
    if job is None or not job.file or not default_storage.exists(job.file):
        raise Http404("导出文件不存在")
    return FileResponse(
        default_storage.open(job.file, "rb"),
        as_attachment=True,
        filename=download_name(job.kind, job.finished_at),
        content_type=XLSX,
    )
