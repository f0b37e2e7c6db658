"""Excel exports of the penalty ledger and the order list (issue 10).

`export_response` is the one door: it counts the rows the page's filters select; up to
`DOORSTEP_EXPORT_INLINE_ROWS` it answers the workbook at once, above that it queues an `Export`
job for the worker (`doorstep.exports.jobs.run_due`) and sends the user to 我的导出. Both paths
build the file with `workbook()` from the same `Table`, so an inline file and a queued one of
the same filters hold the same rows.

A `Table` comes from the page that owns the data (`table()` below): the active filters as the
user sees them, the header, the row count and the rows. The rows are made as the file is
written, and the customer columns go through the R22 gate (`doorstep.orders.privacy`) there.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from doorstep.core import clock
from doorstep.exports.models import Export, ExportKind
from doorstep.ui.exports import safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Query parameters that steer the page, not the rows.
NOT_FILTERS = {"export", "page"}


@dataclass
class Table:
    title: str
    filters: list[tuple[str, str]]  # (label, value as shown on the page), the active ones only
    header: list[str]
    count: int
    rows: Callable[[], Iterable[Sequence[Any]]]


def table(kind: str, user: Any, params: QueryDict) -> Table:
    """The rows `user` would export from the `kind` page with these query parameters."""
    if kind == ExportKind.PENALTIES:
        from doorstep.standards.views.ledger import penalty_table

        return penalty_table(user, params)
    if kind == ExportKind.ORDERS:
        from doorstep.web.views import order_table

        return order_table(user, params)
    raise ValueError(f"unknown export kind {kind!r}")


def filters_of(params: QueryDict) -> dict[str, list[str]]:
    return {k: v for k, v in params.lists() if k not in NOT_FILTERS and any(v)}


def params_of(filters: dict[str, list[str]]) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in filters.items():
        params.setlist(key, values)
    return params


def workbook(t: Table) -> tuple[bytes, int]:
    """The table as an .xlsx file: the title, 筛选条件 (the active filters, or 全部), a blank
    line, the header, the rows. Returns the file and how many rows it holds."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t.title[:31])
    bold = Font(bold=True)

    def strong(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = bold
        return cell

    stamp = timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")
    ws.append([strong(t.title), f"导出时间 {stamp}"])
    ws.append([strong("筛选条件")] + ([] if t.filters else ["全部"]))
    for label, value in t.filters:
        ws.append([label, safe_cell(value)])
    ws.append([])
    ws.append([strong(h) for h in t.header])
    count = 0
    for row in t.rows():
        ws.append([safe_cell(v) for v in row])
        count += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count


def download_name(kind: str, moment: Any = None) -> str:
    stamp = timezone.localtime(moment or clock.now()).strftime("%Y%m%d-%H%M")
    return f"{kind}-{stamp}.xlsx"


def xlsx_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_response(request: HttpRequest, kind: str) -> HttpResponse:
    """The page's Excel export: the file at once when small, else a queued job and a redirect
    to 我的导出 saying it is being prepared."""
    user: Any = request.user  # the pages that call this require a login
    filters = filters_of(request.GET)
    t = table(kind, user, params_of(filters))
    if t.count <= settings.DOORSTEP_EXPORT_INLINE_ROWS:
        data, _ = workbook(t)
        return xlsx_response(data, download_name(kind))
    job = Export.objects.create(
        owner_id=user.pk, kind=kind, filters=filters, created_at=clock.now()
    )
    messages.info(
        request,
        f"{t.title}共 {t.count} 行，正在后台生成（#{job.pk}），完成后可在「我的导出」下载。",
    )
    return HttpResponseRedirect(reverse("exports:mine"))
