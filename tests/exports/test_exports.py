"""Excel exports of the penalty ledger and the order list (issue 10): small ones answer at once,
large ones are built by the worker and downloaded from 我的导出 by their owner only."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client, override_settings
from openpyxl import load_workbook

from doorstep.exports import jobs
from doorstep.exports.models import Export
from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import PersonalDataView
from tests.conftest import install_data, repair_data
from tests.standards.conftest import do, fault_at

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def sheet(data: bytes) -> list[list[Any]]:
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def body(resp: Any) -> bytes:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content)
    return bytes(resp.content)


def data_rows(rows: list[list[Any]], first_header: str) -> tuple[list[Any], list[list[Any]]]:
    at = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return rows[at], rows[at + 1 :]


def two_orders(org: Any) -> None:
    create_order(org.operator, repair_data())
    order, _ = create_order(org.operator, install_data())
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})


def test_a_small_order_export_is_an_excel_file_at_once_masked_for_an_operator(org: Any) -> None:
    two_orders(org)
    resp = client_for(org.operator).get("/orders/", {"export": "xlsx", "kind": "repair"})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    rows = sheet(body(resp))
    assert rows[0][0] == "工单列表"
    assert ["类型", "修障"] in [r[:2] for r in rows[:5]]
    header, found = data_rows(rows, "工单号")
    assert len(found) == 1  # the install is filtered out
    record = dict(zip(header, found[0], strict=False))
    assert record["电话"] == "138****5678" and "13812345678" not in str(rows)
    assert record["地址"].endswith("****")
    assert not PersonalDataView.objects.filter(via="export").exists()


def test_a_manager_exports_customers_in_full_and_the_export_is_logged(org: Any) -> None:
    two_orders(org)
    resp = client_for(org.manager).get("/orders/", {"export": "xlsx"})
    header, found = data_rows(sheet(body(resp)), "工单号")
    phones = {dict(zip(header, r, strict=False))["电话"] for r in found}
    assert phones == {"13812345678", "0571-87654321"}
    assert PersonalDataView.objects.filter(user=org.manager, via="export").count() == 2


def test_the_order_csv_is_kept_and_masked_the_same_way(org: Any) -> None:
    two_orders(org)
    csv = body(client_for(org.operator).get("/orders/", {"export": "csv"})).decode()
    assert "138****5678" in csv and "13812345678" not in csv


def test_a_small_ledger_export_writes_the_active_filters_above_the_rows(org: Any, at: Any) -> None:
    late = fault_at(org, at, "2026-11-20 09:00")
    do(at, "2026-11-20 09:05", late, "assign", org.dispatcher, {"technician": "tech"})
    do(at, "2026-11-20 09:50", late, "contact", org.tech, {"outcome": "reached"})
    with at("2026-11-21 10:00"):
        resp = client_for(org.manager).get(
            "/standards/penalties/", {"export": "xlsx", "rule": "R1", "month": "2026-11"}
        )
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    rows = sheet(body(resp))
    assert rows[0][0] == "考核台账" and rows[1][0] == "筛选条件"
    filters = {r[0]: r[1] for r in rows[2:6] if r and r[0]}
    assert filters["月份"] == "2026-11" and filters["规则"].startswith("R1")
    header, found = data_rows(rows, "编号")
    assert [dict(zip(header, r, strict=False))["规则"] for r in found] == ["R1"]
    assert dict(zip(header, found[0], strict=False))["工单号"] == late.number


@override_settings(DOORSTEP_EXPORT_INLINE_ROWS=1)
def test_a_large_export_is_queued_built_by_the_worker_and_only_its_owner_downloads_it(
    org: Any,
) -> None:
    two_orders(org)
    manager = client_for(org.manager)
    resp = manager.get("/orders/", {"export": "xlsx", "open": "true"})
    assert resp.status_code == 302 and resp["Location"] == "/exports/"
    job = Export.objects.get()
    assert (job.owner, job.kind, job.status) == (org.manager, "orders", "queued")
    assert job.filters == {"open": ["true"]}
    page = manager.get("/exports/").content.decode()
    assert "正在后台生成" in page and "排队中" in page and "下载 Excel" not in page

    assert jobs.run_due("w1") == 1
    job.refresh_from_db()
    assert job.status == "done" and job.rows == 2 and job.file.startswith("exports/")
    assert "下载 Excel" in manager.get("/exports/").content.decode()

    download = manager.get(f"/exports/{job.pk}/download")
    assert download.status_code == 200
    rows = sheet(body(download))
    assert ["仅未完成", "是"] in [r[:2] for r in rows]
    header, found = data_rows(rows, "工单号")
    assert {dict(zip(header, r, strict=False))["电话"] for r in found} == {
        "13812345678",
        "0571-87654321",
    }
    assert client_for(org.operator).get(f"/exports/{job.pk}/download").status_code == 404
    assert f"#{job.pk}" not in client_for(org.operator).get("/exports/").content.decode()


@override_settings(DOORSTEP_EXPORT_INLINE_ROWS=1)
def test_a_queued_operator_export_is_masked_like_an_inline_one(org: Any) -> None:
    two_orders(org)
    client_for(org.operator).get("/orders/", {"export": "xlsx"})
    jobs.run_due("w1")
    job = Export.objects.get()
    rows = sheet(body(client_for(org.operator).get(f"/exports/{job.pk}/download")))
    assert "138****5678" in str(rows) and "13812345678" not in str(rows)


@override_settings(DOORSTEP_EXPORT_INLINE_ROWS=0)
def test_two_worker_rounds_build_one_job_once(org: Any, media: Any) -> None:
    create_order(org.operator, repair_data())
    client_for(org.manager).get("/orders/", {"export": "xlsx"})
    assert jobs.run_due("w1") == 1
    assert jobs.run_due("w2") == 0
    job = Export.objects.get()
    assert job.worker == "w1" and job.status == "done"
    assert [p.name for p in (media / "exports").iterdir()] == [job.file.split("/")[-1]]


@override_settings(DOORSTEP_EXPORT_INLINE_ROWS=0)
def test_a_job_that_cannot_be_built_is_marked_failed_and_the_worker_goes_on(org: Any) -> None:
    create_order(org.operator, repair_data())
    client_for(org.manager).get("/orders/", {"export": "xlsx"})
    Export.objects.update(kind="nonsense")
    assert jobs.run_due("w1") == 1
    job = Export.objects.get()
    assert job.status == "failed" and "nonsense" in job.error
    assert "失败" in client_for(org.manager).get("/exports/").content.decode()
    assert jobs.run_due("w1") == 0


def test_the_kpi_excel_names_the_branch_it_was_filtered_to(org: Any) -> None:
    from tests.conftest import bearer

    url = "/api/v1/kpis?level=technician&period=month&date=2026-11-18&format=xlsx"
    one = Client().get(url + "&branch=GS", headers=bearer("manager"))
    assert one.status_code == 200
    title = sheet(one.content)[0][0]
    assert "2026-11-01 至 2026-11-30" in title
    assert title.endswith("· 分公司 拱墅营维中心")
    every = sheet(Client().get(url, headers=bearer("manager")).content)[0][0]
    assert "分公司" not in every


@override_settings(DOORSTEP_EXPORT_INLINE_ROWS=0)
def test_a_job_left_running_by_a_dead_worker_is_taken_again_after_its_lease(org: Any) -> None:
    from datetime import UTC, datetime, timedelta

    create_order(org.operator, repair_data())
    client_for(org.manager).get("/orders/", {"export": "xlsx"})
    t0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    Export.objects.update(status="running", worker="dead", started_at=t0)
    assert jobs.run_due("w2", now=t0 + timedelta(minutes=30)) == 0
    assert Export.objects.get().status == "running"
    assert jobs.run_due("w2", now=t0 + timedelta(hours=2)) == 1
    job = Export.objects.get()
    assert (job.status, job.worker, job.rows) == ("done", "w2", 1)
