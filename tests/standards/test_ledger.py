"""One breach path, the append-only ledger, policy history and a worker that survives a bad row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from doorstep.cli import main as cli
from doorstep.orders.actions import create_order, perform
from doorstep.standards import ledger
from doorstep.standards.integrity import verify_ledger, verify_policy_history
from doorstep.standards.models import Breach, Clock, Penalty, PenaltyChange, Policy
from doorstep.worker import Worker
from tests.conftest import bearer, repair_data

NOW = "2026-11-20 14:00"  # Shanghai


def _at(when: str) -> Any:
    return time_machine.travel(f"{when} +0800", tick=False)


def iso(when: str) -> str:
    return datetime.fromisoformat(f"{when}+08:00").isoformat()


@pytest.fixture
def revived(org: Any) -> Any:
    """The reproduction of the worker that stopped for good: a repair reported 30 h ago,
    assigned and accepted, the worker marks its restore clock breached, a suspension uploaded
    late (−20 h … −19 h) un-marks it, and the clock runs out again."""

    def run(before_void: Any = None) -> Any:
        with _at("2026-11-19 08:00"):
            order, _ = create_order(org.operator, repair_data())
        with _at("2026-11-19 08:05"):
            perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
            perform(order.pk, "accept", org.tech, {})
        with _at(NOW):
            Worker().tick()
        restore = Clock.objects.get(order=order, name="restore")
        assert restore.status == "breached"
        if before_void:
            before_void(Penalty.objects.get(breach__clock=restore))
        with _at("2026-11-20 14:05"):
            perform(
                order.pk,
                "suspend",
                org.tech,
                {"reason": "customer_request", "occurred_at": iso("2026-11-19 18:00")},
            )
            perform(order.pk, "resume", org.tech, {"occurred_at": iso("2026-11-19 19:00")})
        with _at("2026-11-20 14:10"):
            Worker().tick()
            Worker().tick()
        return order, Clock.objects.get(pk=restore.pk)

    return run


def test_a_breach_voided_by_a_late_upload_and_breached_again_is_revived_not_a_crash(
    revived: Any,
) -> None:
    order, restore = revived()
    assert restore.status == "breached"
    old, new = Breach.objects.filter(clock=restore).order_by("id")
    assert (old.void, new.void, new.revives_id) == (True, False, old.pk)
    assert new.evidence["deadline"] != old.evidence["deadline"]  # fresh evidence: 1 h later
    # One evidence format, whichever path marked it (on PostgreSQL the first mark was the
    # set-based sweep, the second `mark_clocks_breached`).
    assert old.evidence.keys() == new.evidence.keys()
    assert old.evidence["deadline"].endswith("+00:00") and "." in old.evidence["deadline"]
    first, second = Penalty.objects.filter(breach__clock=restore).order_by("id")
    assert (first.status, second.status, second.revives_id) == ("void", "open", first.pk)
    # The worker keeps serving: every other order's clocks still move.
    assert Clock.objects.filter(next_check_at__isnull=False, failed_at__isnull=False).count() == 0


def test_an_upheld_decision_survives_a_void_and_a_re_breach(org: Any, revived: Any) -> None:
    def appeal_and_uphold(entry: Penalty) -> None:
        with _at(NOW):
            ledger.appeal(entry.pk, org.tech, "客户电话停机")
            ledger.decide(entry.pk, org.manager, True, "记录显示未联系客户")

    _, restore = revived(appeal_and_uphold)
    first, second = Penalty.objects.filter(breach__clock=restore).order_by("id")
    kinds = [(c.kind, c.status_after, c.note) for c in ledger.history(first)]
    assert kinds == [
        ("appeal", "appealed", "客户电话停机"),
        ("uphold", "upheld", "记录显示未联系客户"),
        ("void", "void", "迟到上传的记录表明该时限按时达标"),
    ]
    assert second.status == "upheld"
    (carried,) = ledger.history(second)
    uphold = first.changes.get(kind="uphold")
    assert (carried.kind, carried.refers_to_id) == ("carried", uphold.pk)
    assert "记录显示未联系客户" in carried.note and "manager" in carried.note


def test_ledger_rows_refuse_to_be_changed_or_removed_in_python(revived: Any) -> None:
    _, restore = revived()
    entry = Penalty.objects.filter(breach__clock=restore).first()
    assert entry is not None
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        Penalty.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(PermissionError):
        PenaltyChange.objects.filter(penalty=entry).delete()


def test_an_appeal_and_its_decision_are_readable_over_the_api_and_on_the_ledger_page(
    org: Any, revived: Any
) -> None:
    def appeal_and_exempt(entry: Penalty) -> None:
        with _at(NOW):
            ledger.appeal(entry.pk, org.tech, "光猫故障，已报备")
            ledger.decide(entry.pk, org.manager, False, "情况属实")

    order, restore = revived(appeal_and_exempt)
    first = Penalty.objects.filter(breach__clock=restore).order_by("id").first()
    assert first is not None
    resp = Client().get(f"/api/v1/penalties?order={order.pk}", headers=bearer("manager"))
    assert resp.status_code == 200, resp.content
    entry = next(r for r in resp.json()["results"] if r["id"] == first.pk)
    assert [(h["kind"], h["by"], h["note"]) for h in entry["history"]] == [
        ("appeal", "tech", "光猫故障，已报备"),
        ("exempt", "manager", "情况属实"),
        ("void", None, "迟到上传的记录表明该时限按时达标"),
    ]
    assert entry["status"] == "void" and entry["policy"] is not None
    # Filtering by the derived status still works.
    statuses = Client().get(
        f"/api/v1/penalties?order={order.pk}&status=exempted", headers=bearer("manager")
    )
    assert [r["revives"] for r in statuses.json()["results"]] == [first.pk]

    c = Client()
    c.login(username="manager", password="pw-manager")
    page = c.get("/standards/penalties/").content.decode()
    assert f'id="history-{first.pk}"' in page
    assert "光猫故障，已报备" in page and "情况属实" in page


def test_a_policy_change_is_attributed_on_the_policies_page(org: Any) -> None:
    from tests.standards.test_pages import policy_post

    row = Policy.objects.get(key="penalty.overdue")
    c = Client()
    c.login(username="admin", password="pw-admin")
    resp = c.post(
        "/standards/policies/",
        {"action": "edit", "policy": row.pk, **policy_post(row, f"p{row.pk}", amount="15")},
    )
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.version == 2
    change = row.changes.order_by("-id").first()
    assert change is not None and change.by == org.admin
    assert (change.before["amount"], change.after["amount"]) == ("10.00", "15.00")
    page = c.get("/standards/policies/").content.decode()
    section = page[page.index(f'id="policy-change-{change.pk}"') :]
    section = section[: section.index("</tr>")]
    who = org.admin.staff.name  # the page names people as their colleagues know them
    assert f"<td>{who}</td>" in section and "第 2 版" in section and "10.00 → 15.00" in section


def test_a_new_entry_names_the_policy_version_that_priced_it(org: Any, revived: Any) -> None:
    from doorstep.standards.policies import save_policy

    row = Policy.objects.get(key="penalty.overdue")
    row.amount = 12
    save_policy(row, org.admin, "page")
    _, restore = revived()
    entry = Penalty.objects.filter(breach__clock=restore).order_by("id").first()
    assert entry is not None
    assert (entry.policy_id, entry.policy_version, str(entry.amount)) == (row.pk, 2, "12.00")


def test_verify_history_names_an_edited_ledger_row_and_an_edited_policy_change(
    org: Any, revived: Any, capsys: Any
) -> None:
    _, restore = revived()
    assert list(verify_ledger()) == [] and list(verify_policy_history()) == []
    assert cli(["verify-history"]) == 0
    entry = Penalty.objects.filter(breach__clock=restore).order_by("id").first()
    assert entry is not None
    change = Policy.objects.get(key="penalty.overdue").changes.get()
    with connection.cursor() as cur:
        cur.execute("UPDATE standards_penalty SET amount = 1 WHERE id = %s", [entry.pk])
        cur.execute(
            "UPDATE standards_policychange SET after = %s WHERE id = %s",
            [json.dumps({**change.after, "amount": "0.00"}), change.pk],
        )
    ledger_problems = [str(p) for p in verify_ledger()]
    assert ledger_problems == [
        f"penalty entry #{entry.pk} (order {entry.order.number}, R4): content was altered"
    ]
    policy_problems = [str(p) for p in verify_policy_history()]
    assert policy_problems and f"policy change id {change.pk}" in policy_problems[0]
    assert cli(["verify-history"]) == 1
    err = capsys.readouterr().err
    assert f"penalty entry #{entry.pk}" in err and f"policy change id {change.pk}" in err


def test_verify_history_names_an_edited_step_of_an_appeal(org: Any, revived: Any) -> None:
    def appeal(entry: Penalty) -> None:
        with _at(NOW):
            ledger.appeal(entry.pk, org.tech, "客户电话停机")

    _, restore = revived(appeal)
    step = PenaltyChange.objects.get(kind="appeal")
    with connection.cursor() as cur:
        cur.execute("UPDATE standards_penaltychange SET note = 'x' WHERE id = %s", [step.pk])
    assert [p.problem for p in verify_ledger()] == ["content was altered"]


def test_the_worker_sets_a_bad_clock_aside_and_marks_the_others(org: Any) -> None:
    with _at("2026-11-20 09:00"):
        good, _ = create_order(org.operator, repair_data())
        bad, _ = create_order(org.operator, repair_data())
        for o in (good, bad):
            perform(o.pk, "assign", org.dispatcher, {"technician": "tech"})
    # A row no code path can handle: a clock name the rules do not know.
    Clock.objects.filter(order=bad, name="contact").update(name="bogus")
    with _at("2026-11-20 09:40"):
        Worker().tick()
        Worker().tick()  # and it does not come back to stop the next pass
    assert Clock.objects.get(order=good, name="contact").status == "breached"
    assert Breach.objects.filter(order=good, rule="R1").count() == 1
    broken = Clock.objects.get(order=bad, name="bogus")
    assert broken.next_check_at is None and broken.failed_at is not None
    assert "KeyError" in broken.failure
    assert not Breach.objects.filter(order=bad, rule="R1").exists()
    c = Client()
    c.login(username="manager", password="pw-manager")
    page = c.get("/standards/breaches/").content.decode()
    assert f'id="failed-clock-{broken.pk}"' in page and bad.number in page


def test_a_branch_specific_overdue_amount_prices_that_branchs_breaches(
    org: Any, revived: Any
) -> None:
    from doorstep.standards.policies import save_policy

    special = save_policy(
        Policy(key="penalty.overdue", label="拱墅超时", branch=org.gs, amount=25), org.admin, "page"
    )
    order, restore = revived()
    general = Policy.objects.get(key="penalty.overdue", branch=None)
    for entry in Penalty.objects.filter(order=order, breach__clock__isnull=False):
        assert (entry.policy_id, str(entry.amount)) == (special.pk, "25.00"), entry
    assert Penalty.objects.filter(policy=general).count() == 0
