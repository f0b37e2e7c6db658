"""A KPI table as an Excel workbook: the same rows and figures as the API answer."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from doorstep.kpis.choices import DEFINITIONS, RATES, Level, Metric, Period
from doorstep.kpis.compute import KpiReport

HEADER_ROWS = 3  # title, Chinese labels, metric codes; figures start on row 4


def report_xlsx(report: KpiReport, branch: str | None = None) -> bytes:
    """The table; `branch` (a branch's name), when the table was filtered to one, is written
    in the title beside the level, period and dates, so the file says what it holds."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "KPI"
    ws.append(
        [
            f"{Level(report.level).label}{Period(report.period).label}指标 "
            f"{report.start:%Y-%m-%d} 至 {report.end:%Y-%m-%d}"
            + (f" · 分公司 {branch}" if branch else "")
        ]
    )
    ws.append(["编号", "名称", *[str(m.label) for m in Metric]])
    ws.append(["key", "name", *[m.value for m in Metric]])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in report.rows:
        ws.append([row.key, row.name, *[row.metrics[m.value] for m in Metric]])
    for col, metric in enumerate(Metric, start=3):
        if metric in RATES:
            for (cell,) in ws.iter_rows(min_row=HEADER_ROWS + 1, min_col=col, max_col=col):
                cell.number_format = "0.0%"
    ws.freeze_panes = ws.cell(row=HEADER_ROWS + 1, column=3)
    defs = wb.create_sheet("指标定义")
    defs.append(["指标", "名称", "口径"])
    for metric in Metric:
        defs.append([metric.value, str(metric.label), DEFINITIONS[metric]])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(report: KpiReport) -> str:
    return f"kpi-{report.level}-{report.period}-{report.start:%Y%m%d}.xlsx"
