"""The service-standards pages: breaches, the penalty ledger, report-backs, policies, calendars."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from doorstep.orders.actions import create_order
from doorstep.standards import ledger, policies
from doorstep.standards.calendar import library_has_year
from doorstep.standards.models import Breach, Calendar, HolidayDay, Penalty, Policy, ReportBack
from doorstep.worker import Worker
from tests.conftest import repair_data
from tests.standards.conftest import do, entry_in_status, fault_at

D = "2026-11-20"
PENALTIES = "/standards/penalties/"
BREACHES = "/standards/breaches/"
REPORT_BACKS = "/standards/report-backs/"
POLICIES = "/standards/policies/"
CALENDARS = "/standards/calendars/"


def client_for(username: str, **kwargs: Any) -> Client:
    c = Client(**kwargs)
    assert c.login(username=username, password="pw-" + username)
    return c


def late_contact(org: Any, at: Any, tech: str = "tech", day: str = D) -> Penalty:
    """Assigned at 09:05, first call at 09:50: the 30-minute contact rule (R1) is broken."""
    order = fault_at(org, at, f"{day} 09:00")
    do(at, f"{day} 09:05", order, "assign", org.dispatcher, {"technician": tech})
    do(at, f"{day} 09:50", order, "contact", org.user(tech), {"outcome": "reached"})
    return Penalty.objects.get(order=order, rule="R1")


def html(resp: Any) -> str:
    return str(resp.content.decode())


# -- the penalty ledger -----------------------------------------------------------------------


def test_the_pages_need_a_login(org: Any) -> None:
    for url in (BREACHES, PENALTIES, REPORT_BACKS, POLICIES, CALENDARS):
        resp = Client().get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_a_technician_sees_only_their_own_penalties_and_appeals_an_open_one(
    org: Any, at: Any
) -> None:
    mine = late_contact(org, at, "tech")
    theirs = late_contact(org, at, "other_tech")
    c = client_for("tech")
    page = html(c.get(PENALTIES))
    assert f'id="penalty-{mine.pk}"' in page and f'id="penalty-{theirs.pk}"' not in page
    assert f'id="appeal-{mine.pk}"' in page and 'name="csrfmiddlewaretoken"' in page

    resp = c.post(
        PENALTIES,
        {"action": "appeal", "penalty": mine.pk, f"a{mine.pk}-reason": "客户电话停机，已有截图"},
    )
    assert resp.status_code == 302
    mine.refresh_from_db()
    appealed, _ = ledger.appeal_and_decision(mine)
    assert mine.status == "appealed"
    assert appealed is not None
    assert (appealed.note, appealed.by) == ("客户电话停机，已有截图", org.tech)
    assert f'id="appeal-{mine.pk}"' not in html(c.get(PENALTIES))  # appealed once only


def test_an_appeal_without_a_reason_shows_the_error_beside_the_field_and_changes_nothing(
    org: Any, at: Any
) -> None:
    mine = late_contact(org, at)
    resp = client_for("tech").post(
        PENALTIES, {"action": "appeal", "penalty": mine.pk, f"a{mine.pk}-reason": "  "}
    )
    assert resp.status_code == 422
    assert f'id="err-a{mine.pk}-reason"' in html(resp) and "请填写申诉理由" in html(resp)
    assert Penalty.objects.get(pk=mine.pk).status == "open"


def test_another_technician_cannot_appeal_someone_elses_penalty(org: Any, at: Any) -> None:
    theirs = late_contact(org, at, "other_tech")
    post = {"action": "appeal", "penalty": theirs.pk, f"a{theirs.pk}-reason": "不是我的单"}
    assert client_for("tech").post(PENALTIES, post).status_code == 404
    # A manager sees the entry but may not appeal in the technician's name.
    assert client_for("manager").post(PENALTIES, post).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.status, ledger.appeal_and_decision(theirs)) == ("open", (None, None))


def test_a_post_without_the_csrf_token_is_refused(org: Any, at: Any) -> None:
    mine = late_contact(org, at)
    c = client_for("tech", enforce_csrf_checks=True)
    resp = c.post(PENALTIES, {"action": "appeal", "penalty": mine.pk, f"a{mine.pk}-reason": "x"})
    assert resp.status_code == 403
    assert Penalty.objects.get(pk=mine.pk).status == "open"


def test_a_manager_decides_an_appeal_and_a_technician_cannot(org: Any, at: Any) -> None:
    entry = late_contact(org, at)
    ledger.appeal(entry.pk, org.tech, "客户电话停机")
    decide = {"action": "decide", "penalty": entry.pk, f"d{entry.pk}-decision": "exempt",
              f"d{entry.pk}-note": "情况属实"}  # fmt: skip
    assert f'id="decide-{entry.pk}"' not in html(client_for("tech").get(PENALTIES))
    assert client_for("tech").post(PENALTIES, decide).status_code == 403
    assert Penalty.objects.get(pk=entry.pk).status == "appealed"

    c = client_for("manager")
    page = html(c.get(PENALTIES))
    assert f'id="decide-{entry.pk}"' in page and "维持" in page and "免责" in page
    assert c.post(PENALTIES + "?status=appealed", decide).status_code == 302
    entry.refresh_from_db()
    _, decision = ledger.appeal_and_decision(entry)
    assert decision is not None
    assert (entry.status, decision.by, decision.note) == ("exempted", org.manager, "情况属实")
    # Deciding twice is a conflict shown on the page, not a second decision.
    again = c.post(PENALTIES, {**decide, f"d{entry.pk}-decision": "uphold"})
    assert again.status_code == 409 and "该处罚已有结论" in html(again)
    assert Penalty.objects.get(pk=entry.pk).status == "exempted"


@pytest.fixture
def ledger_rows(org: Any, repair_order: Any) -> dict[str, Penalty]:
    def entry(
        tech: Any, rule: str, amount: str, status: str, when: str, branch: Any = None
    ) -> Penalty:
        return entry_in_status(
            order=repair_order, rule=rule, amount=Decimal(amount), technician=tech,
            branch=branch or org.gs, status=status, by=org.manager,
            created_at=datetime.fromisoformat(f"{when}+08:00"))  # fmt: skip

    return {
        # 00:30 on 1 Nov in Shanghai is still 31 Oct in UTC: the month is Shanghai's.
        "early": entry(org.tech, "R1", "10", "appealed", "2026-11-01T00:30:00"),
        "open": entry(org.tech, "R1", "10", "open", "2026-11-03T10:00:00"),
        "upheld": entry(org.tech, "R20", "100", "upheld", "2026-11-10T10:00:00"),
        "exempted": entry(org.tech, "R7", "10", "exempted", "2026-11-12T10:00:00"),
        "october": entry(org.tech, "R1", "10", "open", "2026-10-31T23:00:00"),
        "other": entry(org.other_tech, "R1", "10", "open", "2026-11-05T10:00:00"),
        "township": entry(org.township_tech, "R9", "10", "open", "2026-11-06T10:00:00", org.tl),
    }


def shown(page: str, rows: dict[str, Penalty]) -> set[str]:
    return {name for name, p in rows.items() if f'id="penalty-{p.pk}"' in page}


def test_the_ledger_filters_and_totals_the_filtered_entries(org: Any, ledger_rows: Any) -> None:
    c = client_for("manager")
    page = html(c.get(PENALTIES, {"technician": "tech", "month": "2026-11"}))
    assert shown(page, ledger_rows) == {"early", "open", "upheld", "exempted"}
    assert 'id="total-amount">¥110.00<' in page  # open 10 + upheld 100; appealed/exempted not
    for status, n in {"open": 1, "upheld": 1, "exempted": 1, "appealed": 1, "void": 0}.items():
        assert f'id="count-{status}">{n}<' in page

    page = html(c.get(PENALTIES, {"status": "open", "rule": "R1"}))
    assert shown(page, ledger_rows) == {"open", "october", "other"}
    page = html(c.get(PENALTIES, {"date_from": "2026-11-05", "date_to": "2026-11-10"}))
    assert shown(page, ledger_rows) == {"upheld", "other", "township"}
    page = html(c.get(PENALTIES, {"branch": "TL"}))
    assert shown(page, ledger_rows) == {"township"}
    assert 'id="total-amount">¥10.00<' in page
    # The GS dispatcher sees GS only; a filter error is shown beside its field.
    page = html(client_for("dispatcher").get(PENALTIES, {"month": "2026-13"}))
    assert "township" not in shown(page, ledger_rows) and 'id="err-month"' in page
    # An htmx filter change gets the rows and totals only.
    part = html(c.get(PENALTIES, {"branch": "TL"}, headers={"HX-Request": "true"}))
    assert 'id="totals"' in part and "<html" not in part


def test_the_csv_export_has_exactly_the_filtered_rows(org: Any, ledger_rows: Any) -> None:
    def export(username: str, **filters: str) -> list[list[str]]:
        resp = client_for(username).get(PENALTIES, {**filters, "export": "csv"})
        assert (
            resp["Content-Type"].startswith("text/csv")
            and "attachment" in resp["Content-Disposition"]
        )
        text = b"".join(resp.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    header, *rows = export("manager", technician="tech", month="2026-11")
    assert header[:5] == ["编号", "工单号", "规则", "规则说明", "金额（元）"]
    ids = {int(r[0]) for r in rows}
    assert ids == {ledger_rows[n].pk for n in ("early", "open", "upheld", "exempted")}
    upheld = next(r for r in rows if int(r[0]) == ledger_rows["upheld"].pk)
    assert upheld[2:5] == ["R20", "R20 投诉", "100.00"] and "维持处罚" in upheld
    assert "2026-11-01 00:30:00" in next(r for r in rows if int(r[0]) == ledger_rows["early"].pk)
    _, *own = export("other_tech")
    assert [int(r[0]) for r in own] == [ledger_rows["other"].pk]


# -- breaches ---------------------------------------------------------------------------------


def test_the_breaches_page_lists_a_breach_with_its_evidence_in_shanghai_time(
    org: Any, at: Any
) -> None:
    entry = late_contact(org, at)
    breach = Breach.objects.get(order=entry.order, rule="R1")
    page = html(client_for("tech").get(BREACHES))
    assert f'id="breach-{breach.pk}"' in page and entry.order.number in page
    assert f'href="/orders/{entry.order_id}/"' in page and "R1 30分钟内联系客户" in page
    assert "计时项目</span>：30分钟联系" in page
    assert "时限</span>：2026-11-20 09:35" in page  # 01:35 UTC, shown as Shanghai time
    assert "2026-11-20 09:35" in page and "Tech" in page
    assert f'id="breach-{breach.pk}"' not in html(client_for("tech").get(BREACHES, {"rule": "R7"}))
    assert f'id="breach-{breach.pk}"' not in html(client_for("other_tech").get(BREACHES))
    manager = client_for("manager")
    assert f'id="breach-{breach.pk}"' in html(
        manager.get(BREACHES, {"void": "no", "technician": "tech"})
    )
    assert f'id="breach-{breach.pk}"' not in html(manager.get(BREACHES, {"void": "yes"}))
    assert f'id="breach-{breach.pk}"' not in html(
        manager.get(BREACHES, {"date_from": "2026-11-21"})
    )


def test_a_technicians_ledger_and_breaches_link_only_orders_they_may_still_open(
    org: Any, at: Any
) -> None:
    kept = late_contact(org, at)
    given_away = late_contact(org, at)
    # The penalty stays the technician's; the order is now a colleague's.
    do(at, f"{D} 10:00", given_away.order, "assign", org.dispatcher, {"technician": "other_tech"})
    c = client_for("tech")
    kept_link = f'<a href="/orders/{kept.order_id}/">{kept.order.number}</a>'
    gone_link = f'href="/orders/{given_away.order_id}/"'
    gone_text = f'<span class="order-ref" title="无权查看该工单">{given_away.order.number}</span>'
    for url in (PENALTIES, BREACHES):
        page = html(c.get(url))
        assert kept_link in page, url
        assert gone_link not in page and gone_text in page, url
    # The link it withholds is one the order page itself refuses; the manager keeps both.
    assert c.get(f"/orders/{given_away.order_id}/").status_code == 404
    manager_page = html(client_for("manager").get(PENALTIES))
    assert gone_link in manager_page and f'href="/orders/{kept.order_id}/"' in manager_page


# -- report-backs -----------------------------------------------------------------------------


def reported_back(org: Any, at: Any) -> tuple[ReportBack, Penalty]:
    """Told the dispatcher before the restore deadline; the deadline then passed anyway."""
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:06", order, "accept", org.tech)
    do(at, f"{D} 09:10", order, "contact", org.tech, {"outcome": "no_answer"})
    do(
        at,
        "2026-11-21 08:00",
        order,
        "report_back",
        org.tech,
        {"reason": "客户联系不上", "note": "三次未接，已发短信"},
    )
    with at("2026-11-21 09:01"):
        Worker().tick()
    return ReportBack.objects.get(order=order), Penalty.objects.get(order=order, rule="R4")


def test_approving_a_report_back_on_the_page_exempts_the_penalty_of_the_clock_it_covered(
    org: Any, at: Any
) -> None:
    rb, penalty = reported_back(org, at)
    assert (rb.status, penalty.status) == ("pending", "open")
    post = {"report_back": rb.pk, f"rb{rb.pk}-decision": "approve", f"rb{rb.pk}-note": "属实"}
    assert client_for("tech").post(REPORT_BACKS, post).status_code == 403

    c = client_for("manager")
    page = html(c.get(REPORT_BACKS))
    assert f'id="decide-rb-{rb.pk}"' in page and "客户联系不上" in page and "修复时限" in page
    assert c.post(REPORT_BACKS, post).status_code == 302
    rb.refresh_from_db()
    penalty.refresh_from_db()
    assert (rb.status, rb.decided_by, rb.decision_note) == ("approved", org.manager, "属实")
    assert penalty.status == "exempted"
    assert c.post(REPORT_BACKS, post).status_code == 409  # already decided


def test_rejecting_a_report_back_needs_a_note_and_a_false_one_shows_the_contradiction(
    org: Any, at: Any
) -> None:
    rb, penalty = reported_back(org, at)
    c = client_for("manager")
    resp = c.post(REPORT_BACKS, {"report_back": rb.pk, f"rb{rb.pk}-decision": "reject"})
    assert resp.status_code == 422 and f'id="err-rb{rb.pk}-note"' in html(resp)
    assert ReportBack.objects.get(pk=rb.pk).status == "pending"

    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:06", order, "accept", org.tech)
    do(
        at,
        f"{D} 09:20",
        order,
        "report_back",
        org.tech,
        {"reason": "客户联系不上", "note": "多次拨打无人接听"},
    )
    false = ReportBack.objects.get(order=order)
    page = html(c.get(REPORT_BACKS))
    assert f'id="report-back-{false.pk}"' in page and "没有一次未接通" in page
    assert f'id="decide-rb-{false.pk}"' not in page


# -- policies ---------------------------------------------------------------------------------


def policy_post(p: Policy, prefix: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "key": p.key, "label": p.label, "kind": p.kind, "fault_class": p.fault_class,
        "branch": p.branch_id or "", "region_type": p.region_type, "grade": p.grade,
        "minutes": "" if p.minutes is None else p.minutes,
        "amount": "" if p.amount is None else p.amount, "calendar": p.calendar_id or "",
        "params": json.dumps(p.params, ensure_ascii=False), "source": p.source, "enabled": "on",
    }  # fmt: skip
    values.update(changes)
    return {f"{prefix}-{k}": v for k, v in values.items() if v is not None}


def line_restore() -> Policy:
    return Policy.objects.get(key="clock.restore", fault_class="line", branch=None)


def test_an_admin_edits_a_policy_and_resolve_returns_the_new_value(
    org: Any, repair_order: Any
) -> None:
    row = line_restore()
    c = client_for("admin")
    assert f'id="edit-policy-{row.pk}"' in html(c.get(POLICIES, {"edit": row.pk}))
    resp = c.post(
        POLICIES,
        {"action": "edit", "policy": row.pk, **policy_post(row, f"p{row.pk}", minutes=720)},
    )
    assert resp.status_code == 302
    assert Policy.objects.get(pk=row.pk).minutes == 720
    assert policies.resolve("clock.restore", repair_order).minutes == 720  # type: ignore[union-attr]


def test_an_admin_adds_a_township_override_that_wins_for_township_orders_only(
    org: Any, repair_order: Any
) -> None:
    base = line_restore()
    c = client_for("admin")
    page = html(c.get(POLICIES, {"add": "clock.restore"}))
    assert 'id="add-policy" open' in page
    data = policy_post(
        base, "add", branch=org.tl.pk, minutes=2880, label="乡镇线路故障48小时内修复"
    )
    assert c.post(POLICIES, {"action": "add", **data}).status_code == 302
    added = Policy.objects.get(key="clock.restore", branch=org.tl)
    township, _ = create_order(org.operator, repair_data(branch="TL"))
    assert policies.resolve("clock.restore", township).policy_id == added.pk  # type: ignore[union-attr]
    assert policies.resolve("clock.restore", repair_order).minutes == 1440  # type: ignore[union-attr]
    # The same matchers twice would make `resolve` pick silently: refused beside the form.
    again = c.post(POLICIES, {"action": "add", **data})
    assert again.status_code == 422 and f"#{added.pk}" in html(again)
    # Disabling the override takes township orders back to the general row.
    assert c.post(POLICIES, {"action": "toggle", "policy": added.pk}).status_code == 302
    assert Policy.objects.get(pk=added.pk).enabled is False
    assert policies.resolve("clock.restore", township).policy_id == base.pk  # type: ignore[union-attr]


def test_a_non_admin_post_is_refused_and_changes_nothing(org: Any) -> None:
    row = line_restore()
    edit = {"action": "edit", "policy": row.pk, **policy_post(row, f"p{row.pk}", minutes=1)}
    assert client_for("manager").post(POLICIES, edit).status_code == 403
    assert (
        client_for("manager").post(POLICIES, {"action": "toggle", "policy": row.pk}).status_code
        == 403
    )
    assert client_for("tech").post(POLICIES, edit).status_code == 403
    row.refresh_from_db()
    assert (row.minutes, row.enabled) == (1440, True)
    page = html(client_for("manager").get(POLICIES))  # managers may look
    assert row.label in page and "?edit=" not in page
    assert client_for("tech").get(POLICIES).status_code == 403
    assert client_for("dispatcher").get(CALENDARS).status_code == 403


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("params", '{"warn_pct": 80', "不是有效的 JSON"),
        ("params", "[80]", "必须是 JSON 对象"),
        ("params", '{"warn_pct": 180}', "warn_pct"),
        ("minutes", "-5", ""),
        ("amount", "-1", "金额不能为负数"),
    ],
)
def test_a_bad_value_shows_the_error_beside_its_field_and_saves_nothing(
    org: Any, field: str, value: str, message: str
) -> None:
    row = line_restore()
    before = (row.minutes, row.params, row.amount, row.label)
    data = policy_post(row, f"p{row.pk}", label="改过的说明", **{field: value})
    resp = client_for("admin").post(POLICIES, {"action": "edit", "policy": row.pk, **data})
    assert resp.status_code == 422
    page = html(resp)
    assert f'id="err-p{row.pk}-{field}"' in page and message in page
    row.refresh_from_db()
    assert (row.minutes, row.params, row.amount, row.label) == before


# -- calendars --------------------------------------------------------------------------------


def test_a_calendar_upload_with_one_bad_row_saves_nothing_and_names_the_line_and_column(
    org: Any,
) -> None:
    text = "date,type,name\n2027-01-01,休,元旦\n2027-02-30,休,春节\n2027-02-07,班,春节调休\n"
    c = client_for("admin")
    resp = c.post(
        CALENDARS, {"action": "upload", "u-file": SimpleUploadedFile("2027.csv", text.encode())}
    )
    assert resp.status_code == 422
    page = html(resp)
    assert (
        'id="upload-errors"' in page
        and "第 3 行 · 日期列（第 1 列）" in page
        and "2027-02-30" in page
    )
    assert HolidayDay.objects.count() == 0

    # Excel on Chinese Windows saves GBK: the corrected file goes in, every row at once.
    good = text.replace("2027-02-30", "2027-02-06").encode("gb18030")
    resp = c.post(CALENDARS, {"action": "upload", "u-file": SimpleUploadedFile("2027.csv", good)})
    assert resp.status_code == 302
    assert list(HolidayDay.objects.values_list("date", "is_working", "name")) == [
        (date(2027, 1, 1), False, "元旦"), (date(2027, 2, 6), False, "春节"),
        (date(2027, 2, 7), True, "春节调休")]  # fmt: skip
    assert HolidayDay.objects.first().entered_by == org.admin  # type: ignore[union-attr]


def test_an_admin_adds_and_deletes_a_holiday_and_a_duplicate_date_is_refused(org: Any) -> None:
    c = client_for("admin")
    day = {"action": "holiday_add", "h-date": "2027-10-01", "h-is_working": "0", "h-name": "国庆节"}
    assert c.post(CALENDARS, day).status_code == 302
    again = c.post(CALENDARS, day)
    assert again.status_code == 422 and 'id="err-h-date"' in html(again)
    entered = HolidayDay.objects.get()
    assert (
        client_for("manager")
        .post(CALENDARS, {"action": "holiday_delete", "holiday": entered.pk})
        .status_code
        == 403
    )
    assert c.post(CALENDARS, {"action": "holiday_delete", "holiday": entered.pk}).status_code == 302
    assert not HolidayDay.objects.exists()


@pytest.mark.parametrize(
    "text,saved,error",
    [
        ("8:30-12:00，13:30－18:00", [["08:30", "12:00"], ["13:30", "18:00"]], ""),
        ("00:00-24:00", [["00:00", "00:00"]], ""),
        ("08:30-12:00, 11:30-18:00", None, "不能重叠"),
        ("12:00-08:30", None, "结束时间必须晚于开始时间"),
        ("8点半-12:00", None, "HH:MM"),
        ("", None, "至少要有一个时段"),
    ],
)
def test_working_hours_are_checked_by_the_calendar_arithmetic_before_they_are_saved(
    org: Any, text: str, saved: Any, error: str
) -> None:
    cal = Calendar.objects.get(kind="working_hours")
    before = cal.intervals
    p = f"c{cal.pk}"
    data = {"action": "calendar_edit", "calendar": cal.pk, f"{p}-name": cal.name,
            f"{p}-kind": "working_hours", f"{p}-intervals": text,
            f"{p}-workdays": "chinese"}  # fmt: skip
    resp = client_for("admin").post(CALENDARS, data)
    cal.refresh_from_db()
    if saved is not None:
        assert resp.status_code == 302 and cal.intervals == saved
    else:
        assert resp.status_code == 422 and f'id="err-c{cal.pk}-intervals"' in html(resp)
        assert error in html(resp) and cal.intervals == before


def test_a_year_without_holiday_data_raises_a_loud_alert_until_its_days_are_entered(
    org: Any,
) -> None:
    missing = next(y for y in range(2024, 2100) if not library_has_year(y))
    alert = f"{missing} 年节假日数据缺失：目前按普通周末计算，请录入国务院公布的放假及调休安排"
    with time_machine.travel(f"{missing - 1}-12-01 10:00 +0800", tick=False):
        c = client_for("admin")
        page = html(c.get(CALENDARS))
        assert alert in page and f'id="missing-year-{missing}"' in page
        assert f'id="coverage-{missing - 1}" data-coverage="library"' in page
        assert f'id="coverage-{missing}" data-coverage="fallback"' in page

        # The policies page warns only once a working-hours calendar is really in use.
        assert alert not in html(c.get(POLICIES))
        row = line_restore()
        row.calendar = Calendar.objects.get(kind="working_hours")
        row.save()
        assert alert in html(c.get(POLICIES)) and alert in html(client_for("manager").get(POLICIES))

        HolidayDay.objects.create(date=date(missing, 1, 1), is_working=False, name="元旦")
        page = html(c.get(CALENDARS))
        assert alert not in page and f'id="coverage-{missing}" data-coverage="entered"' in page
        assert alert not in html(c.get(POLICIES))

    with time_machine.travel(f"{missing}-03-01 10:00 +0800", tick=False):
        HolidayDay.objects.all().delete()
        assert alert in html(client_for("admin").get(CALENDARS))  # "this year" is missing too
