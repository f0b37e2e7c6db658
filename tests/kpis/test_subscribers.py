"""Subscriber counts: entered in the admin site or imported from CSV / Excel."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from doorstep.core.errors import InvalidInput
from doorstep.kpis.models import SubscriberCount
from doorstep.kpis.subscribers import import_counts


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_excel_file_sets_each_branch_and_month(org: Any) -> None:
    SubscriberCount.objects.create(branch=org.gs, month=date(2026, 11, 1), count=1)
    data = xlsx([["分公司", "月份", "用户数"], ["GS", "2026-11", 8000], ["TL", "2026-11", 3200]])
    assert import_counts("counts.xlsx", data) == 2
    assert dict(SubscriberCount.objects.values_list("branch__code", "count")) == {
        "GS": 8000,  # replaced, not doubled
        "TL": 3200,
    }


def test_a_bad_file_names_every_row_and_column_and_changes_nothing(org: Any) -> None:
    data = b"branch,month,count\nGS,2026-11,8000\nXX,2026-13,-5\nTL,2026-11,abc\n"
    with pytest.raises(InvalidInput) as exc:
        import_counts("counts.csv", data)
    errors = exc.value.fields["file"]
    assert errors == [
        "第 3 行“分公司”：没有编码为 XX 的分公司",
        "第 3 行“月份”：'2026-13' 不是 YYYY-MM 格式的月份",
        "第 3 行“用户数”：'-5' 不是正整数",
        "第 4 行“用户数”：'abc' 不是正整数",
    ]
    assert not SubscriberCount.objects.exists()
    with pytest.raises(InvalidInput) as missing:
        import_counts("counts.csv", b"branch,count\nGS,1\n")
    assert "月份" in missing.value.fields["file"][0]


def test_the_admin_imports_a_file_from_the_admin_site(org: Any) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.login(username="root", password="pw-root")
    page = client.get("/admin/kpis/subscribercount/import/")
    assert page.status_code == 200 and "导入用户数" in page.content.decode()
    upload = SimpleUploadedFile("c.csv", "分公司,月份,用户数\nGS,2026年11月,8000\n".encode())
    resp = client.post("/admin/kpis/subscribercount/import/", {"file": upload})
    assert resp.status_code == 302
    assert SubscriberCount.objects.get(branch=org.gs).month == date(2026, 11, 1)
    bad = SimpleUploadedFile("c.csv", "分公司,月份,用户数\nGS,十一月,8000\n".encode())
    resp = client.post("/admin/kpis/subscribercount/import/", {"file": bad})
    assert "第 2 行“月份”" in resp.content.decode()
