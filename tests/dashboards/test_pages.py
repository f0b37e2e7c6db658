"""The dashboard, a technician's page and the drill-down on the hand-built November of
tests/kpis/conftest.py (week Mon 16 – Sun 22 November 2026, branch GS). The figures expected
are worked out by hand from that file's list, not by the code under test:

GS that week — arrivals: R1 13:50 met, R2 14:07 late, I1 22:29 met, R4 13:56 met → 3 of 4;
restores: R1 met, R2 breached, R4 met → 2 of 3; tech alone: restores 1 of 2, arrivals 2 of 3.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from doorstep.org.models import Team
from tests.conftest import make_user

WEEK = "period=week&date=2026-11-18"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cell(html: str, section: str, metric: str) -> str:
    """The text a user reads in one figure of one section (the page's id'd <section>)."""
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    found = re.search(rf'data-metric="{metric}"[^>]*>(.*?)</a>', part, re.S)
    assert found, f"{metric} not in {section}"
    return re.sub(r"<[^>]+>", " ", found.group(1)).split()[-1]


@pytest.fixture
def gs_manager(month: Any) -> Any:
    return make_user("gs_manager", ["manager"], month.org.gs)


def test_the_dashboard_shows_the_branch_figures_of_the_week(gs_manager: Any) -> None:
    html = login(gs_manager).get(f"/dashboards/?{WEEK}").content.decode()
    assert "指标看板 · 拱墅营维中心" in html
    assert cell(html, "headline", "on_time_arrival_rate") == "75.0%"
    assert cell(html, "headline", "restore_on_time_rate") == "66.7%"
    assert cell(html, "headline", "orders") == "4"  # R1, R2, I1, R4
    # The ranking table, technician by technician.
    ranking = html.split('id="rank-technicians"', 1)[1].split("</section>", 1)[0]
    tech_row = ranking.split(">Tech</a>", 1)[1].split("</tr>", 1)[0]
    assert "66.7%" in tech_row and "50.0%" in tech_row  # arrivals 2 of 3, restores 1 of 2
    # Every metric's definition is on the page.
    assert "期内停止（签到）的准时上门时限（R6）中达标的比例。" in html
    # The charts read their data from the page itself.
    embedded = html.split('id="dashboard-data" type="application/json">', 1)[1]
    data = json.loads(embedded.split("<", 1)[0])
    arrival = next(s for s in data["trend"]["series"] if s["name"] == "上门准时率")
    assert arrival["data"][-1]["value"] == 75.0
    assert "/dashboards/orders/?metric=on_time_arrival_rate" in arrival["data"][-1]["url"]
    # The Excel export carries the active filters.
    assert "/api/v1/kpis?level=technician&amp;period=week&amp;date=2026-11-18&amp;branch=GS" in html


def test_the_breakdown_by_fault_class_counts_only_that_class(gs_manager: Any) -> None:
    html = login(gs_manager).get(f"/dashboards/?{WEEK}").content.decode()
    by_fault = html.split('id="by-fault"', 1)[1].split("</section>", 1)[0]
    line = by_fault.split("用户线路故障", 1)[1].split("</tr>", 1)[0]
    # The test repairs are all line faults: R1, R2, R4 completed; I1 is an install.
    assert ">3<" in line and "66.7%" in line


def test_a_central_manager_picks_the_branch(month: Any) -> None:
    client = login(month.org.manager)
    html = client.get(f"/dashboards/?{WEEK}&branch=TL").content.decode()
    assert "指标看板 · 桐庐营维中心" in html
    # The branches side by side: GS arrivals 3 of 4; TL measured none.
    compare = html.split('id="rank-branches"', 1)[1].split("</section>", 1)[0]
    gs = compare.split("拱墅营维中心", 1)[1].split("</tr>", 1)[0]
    assert "75.0%" in gs
    assert "/api/v1/kpis?level=branch&amp;period=week&amp;date=2026-11-18&amp;format=xlsx" in html
    bad = client.get(f"/dashboards/?{WEEK}&branch=XX")
    assert bad.status_code == 400 and "分公司 XX 不存在" in bad.content.decode()


def test_a_bad_date_is_refused_naming_the_field(gs_manager: Any) -> None:
    response = login(gs_manager).get("/dashboards/?period=week&date=2026-13-01")
    assert response.status_code == 400
    assert 'data-field="date"' in response.content.decode()


def test_the_dashboard_is_for_managers(month: Any) -> None:
    assert login(month.org.tech).get("/dashboards/").status_code == 403
    assert login(month.org.dispatcher).get("/dashboards/").status_code == 403


def test_a_managers_home_page_is_the_dashboard(gs_manager: Any, month: Any) -> None:
    assert login(gs_manager).get("/").headers["Location"] == "/dashboards/"
    assert login(month.org.tech).get("/").headers["Location"] == "/m/"


def test_a_technician_sees_their_own_figures_and_how_to_improve(month: Any) -> None:
    html = login(month.org.tech).get(f"/dashboards/technicians/tech/?{WEEK}").content.decode()
    mine = html.split('id="mine"', 1)[1].split("</table>", 1)[0]
    restore = mine.split('data-metric="restore_on_time_rate"', 1)[1].split("</tr>", 1)[0]
    assert "50.0%" in restore and "66.7%" in restore  # tech 1 of 2; team 一班 2 of 3
    improve = html.split('id="improve"', 1)[1].split("</section>", 1)[0]
    assert "修障及时率" in improve and "接单后约最早能到的时段" in improve
    assert "上门准时率" in improve and "发延误通知" in improve  # 2 of 3 against 3 of 4
    assert "一次修复率" in improve  # 1 of 2 against the team's 2 of 3
    assert "8小时首次回复率" not in improve  # 100% like the team


def test_a_technicians_page_is_forbidden_to_another_technician(month: Any) -> None:
    org = month.org
    assert login(org.other_tech).get("/dashboards/technicians/tech/").status_code == 403
    assert (
        login(org.other_tech).get(f"/dashboards/orders/?metric=orders&level=technician"
                                  f"&key=tech&{WEEK}").status_code
        == 403
    )  # fmt: skip
    lead = make_user("lead", ["technician"], org.gs)
    Team.objects.filter(pk=month.team.pk).update(lead=lead)
    assert login(lead).get("/dashboards/technicians/tech/").status_code == 200
    assert login(org.manager).get("/dashboards/technicians/tech/").status_code == 200
    tl_manager = make_user("tl_manager", ["manager"], org.tl)
    assert login(tl_manager).get("/dashboards/technicians/tech/").status_code == 403


def test_the_drill_down_lists_exactly_the_orders_behind_a_figure(
    gs_manager: Any, month: Any
) -> None:
    o = month.orders
    html = (
        login(gs_manager)
        .get(f"/dashboards/orders/?metric=on_time_arrival_rate&level=branch&key=GS&{WEEK}")
        .content.decode()
    )
    table = html.split('id="behind"', 1)[1]
    numbers = {x.number for x in o.values()}
    shown = {n for n in numbers if n in table}
    assert shown == {o["R1"].number, o["R2"].number, o["I1"].number, o["R4"].number}
    assert "共 4 条，其中未达标 1 条" in html
    late = table.split(o["R2"].number, 1)[1].split("</tr>", 1)[0]
    assert "未达标" in late
    # Each order is a link the manager may open.
    assert f'href="/orders/{o["R1"].pk}/"' in table


def test_a_technicians_drill_down_links_only_orders_they_may_open(month: Any) -> None:
    o = month.orders
    html = (
        login(month.org.tech)
        .get(f"/dashboards/orders/?metric=repeat_fault_rate&level=technician&key=tech&{WEEK}")
        .content.decode()
    )
    table = html.split('id="behind"', 1)[1]
    assert "共 3 条，其中重复报障 1 条" in html  # R1 (repeated), R2, I1
    assert f'href="/orders/{o["R1"].pk}/"' in table


def test_a_breakdown_figure_drills_down_to_that_class_only(gs_manager: Any, month: Any) -> None:
    o = month.orders
    client = login(gs_manager)
    url = f"/dashboards/orders/?metric=orders&level=branch&key=GS&{WEEK}"
    line = client.get(f"{url}&fault_class=line").content.decode().split('id="behind"', 1)[1]
    assert {n for n in (x.number for x in o.values()) if n in line} == {
        o["R1"].number,
        o["R2"].number,
        o["R4"].number,
    }  # I1, an install, has no fault class
    network = client.get(f"{url}&fault_class=network").content.decode()
    assert "共 0 条" in network
