"""Importing each branch's monthly subscriber counts from CSV or Excel.

Columns (Chinese or English headers): 分公司 / branch (code), 月份 / month (YYYY-MM),
用户数 / count. A file with any bad row changes nothing; every error names its row and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from openpyxl import load_workbook

from doorstep.core.errors import InvalidInput
from doorstep.kpis.models import SubscriberCount
from doorstep.org.models import Branch

HEADERS = {
    "branch": {"branch", "分公司", "分公司编码"},
    "month": {"month", "月份"},
    "count": {"count", "用户数"},
}
LABELS = {"branch": "分公司", "month": "月份", "count": "用户数"}
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2}日?)?$")


@dataclass(frozen=True)
class Entry:
    branch: Branch
    month: date
    count: int


def _rows(filename: str, data: bytes) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx"):
        try:
            ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
            raise InvalidInput({"file": f"无法读取 Excel 文件：{exc}"}) from exc
        assert ws is not None
        return [list(r) for r in ws.iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _month(value: Any) -> date | None:
    if isinstance(value, date):
        return value.replace(day=1)
    found = _MONTH.match(str(value or "").strip())
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    return date(year, month, 1) if 1 <= month <= 12 else None


def parse(filename: str, data: bytes) -> list[Entry]:
    rows = [r for r in _rows(filename, data) if any(c not in (None, "") for c in r)]
    if not rows:
        raise InvalidInput({"file": "文件是空的"})
    header = [str(c or "").strip().lower() for c in rows[0]]
    columns: dict[str, int] = {}
    for field, names in HEADERS.items():
        matches = [i for i, h in enumerate(header) if h in names]
        if not matches:
            raise InvalidInput({"file": f"缺少“{LABELS[field]}”列（表头：分公司, 月份, 用户数）"})
        columns[field] = matches[0]
    branches = {b.code: b for b in Branch.objects.all()}
    errors: list[str] = []
    entries: list[Entry] = []
    seen: set[tuple[str, date]] = set()
    for number, row in enumerate(rows[1:], start=2):
        cell = {f: (row[i] if i < len(row) else None) for f, i in columns.items()}
        code = str(cell["branch"] or "").strip()
        branch = branches.get(code)
        month = _month(cell["month"])
        raw = str(cell["count"] if cell["count"] is not None else "").strip().replace(",", "")
        count = int(float(raw)) if re.fullmatch(r"\d+(\.0+)?", raw) else None
        if branch is None:
            errors.append(f"第 {number} 行“分公司”：没有编码为 {code or '（空）'} 的分公司")
        if month is None:
            errors.append(f"第 {number} 行“月份”：{cell['month']!r} 不是 YYYY-MM 格式的月份")
        if not count:
            errors.append(f"第 {number} 行“用户数”：{cell['count']!r} 不是正整数")
        if branch is None or month is None or not count:
            continue
        if (code, month) in seen:
            errors.append(f"第 {number} 行：{code} {month:%Y-%m} 在文件中重复")
            continue
        seen.add((code, month))
        entries.append(Entry(branch, month, count))
    if errors:
        raise InvalidInput({"file": errors}, message=errors[0])
    return entries


def import_counts(filename: str, data: bytes, user: Any = None) -> int:
    """Create or replace each (branch, month) count of the file; all rows or none."""
    entries = parse(filename, data)
    with transaction.atomic():
        for e in entries:
            SubscriberCount.objects.update_or_create(
                branch=e.branch, month=e.month, defaults={"count": e.count, "entered_by": user}
            )
    return len(entries)
