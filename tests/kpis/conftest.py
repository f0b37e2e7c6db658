"""A small hand-built November 2026 for the KPI tests (Shanghai wall times throughout).

The week under test is Monday 16 – Sunday 22 November. Every order is driven through the
action layer with the clock frozen at the time written beside it; the worker never runs, so a
clock stops only when the technician's own action stops it. The figures each test expects are
worked out by hand from the list below, not by the code under test.

tech (GS, team 一班)
  R1 repair  Mon 16 09:00 reported · 09:15 reached (contact met, first reply met)
             booked 14:00–15:00 · arrived 13:50 (on time, 10 min early) · completed 14:30,
             rating 5 (restore met) · callback Tue 17 10:00 score 9
  R2 repair  Tue 17 09:00 reported · 09:50 reached (contact breached at 09:35: R1 ¥10;
             first reply met) · booked Wed 18 14:00–15:00 · arrived 14:07 without notice
             (arrival breached: R6 ¥10; R8 ¥10, exempted on appeal) · completed 15:10,
             rating 3 (restore breached at Wed 09:00: R4 ¥10) · callback Thu 19 10:00 score 6
  I1 install Sat 21 10:00 reported · 10:15 reached (contact met) · booked Sun 22 20:00–21:00,
             moved by the crew at 15:00 to 22:30–23:00 (R7 notice 5 h: fine) · called 22:15
             (R3 fine) · arrived 22:29 (on time, 1 min early: not early) · completed
             Sun 22 23:30, rating 4 (install due Sun 10:00: breached, R5 ¥10) ·
             callback Mon 23 00:30 score 10 (next week; still November)
  R1 is repeated by R3 (below) on Fri 20: R13 ¥20 against tech, who closed R1.
  R6 repair  Mon 2 09:00 reported, never called (contact never stops) · booked Tue 3
             08:30–09:30 · arrived 08:20 (on time, early) · completed Tue 3 10:00, rating 2
             (restore breached at 09:00: R4 ¥10; first reply breached at Mon 2 17:00: R2 ¥10)
  R5 repair  Mon 30 09:00 reported · 09:15 reached (met, met) · booked 10:00–11:00 ·
             arrived 09:58 (on time, 2 min early: not early) · completed 10:30, rating 4
             (restore met) · callback Tue 1 Dec 00:30 score 2 (December)
other_tech (GS, team 一班)
  R4 repair  Thu 19 09:00 reported · 09:20 reached (met, met) · booked 14:00–15:00 ·
             arrived 13:56 (on time, 4 min early: not early) · completed 14:40, rating 4
             (restore met) · callback Fri 20 10:00 score 8
  R3 repair  Fri 20 09:00 reported by R1's customer (repeat of R1) · assigned to other_tech
             09:05 · reached 09:10 (contact met, first reply met) · left open
township_tech (TL, no team)
  T1 repair  Wed 18 09:00 reported · 09:20 reached (met, met) · left open
Subscribers: GS November 8,000; TL none entered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine

from doorstep.orders.actions import create_order, perform
from doorstep.orders.attachments import store_attachment
from tests.conftest import install_data, make_user, repair_data

WEEK = date(2026, 11, 18)  # any day of Mon 16 – Sun 22 November 2026
MONTH = date(2026, 11, 1)


def customer(n: int) -> dict[str, str]:
    return {"name": f"客户{n}", "phone": f"1381234{n:04d}", "address": f"杭州市拱墅区大关小区{n}幢"}


def png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Month:
    org: Any
    team: Any
    orders: dict[str, Any]


@pytest.fixture
def at() -> Any:
    """`with at("2026-11-20 09:05"):` — Shanghai wall time, clock frozen."""

    def travel(when: str) -> Any:
        return time_machine.travel(f"{when} +0800", tick=False)

    return travel


class Driver:
    def __init__(self, travel: Any) -> None:
        self.at = travel

    def create(self, when: str, actor: Any, data: dict[str, Any]) -> Any:
        with self.at(when):
            order, _ = create_order(actor, data)
        return order

    def do(self, when: str, order: Any, action: str, actor: Any, **payload: Any) -> Any:
        with self.at(when):
            return perform(order.pk, action, actor, payload)[0]


def _repair(
    d: Driver,
    org: Any,
    tech: Any,
    dispatcher: Any,
    n: int,
    day: str,
    *,
    reported: str = "09:00",
    reached: str | None,
    booked: tuple[str, str, str, str] | None = None,  # when booked, day, start, end
    arrived: str | None = None,
    completed: str | None = None,
    rating: int = 5,
    branch: str = "GS",
) -> Any:
    o = d.create(
        f"{day} {reported}", org.operator, repair_data(customer=customer(n), branch=branch)
    )
    d.do(f"{day} 09:05", o, "assign", dispatcher, technician=tech.username)
    d.do(f"{day} 09:08", o, "accept", tech)
    if reached:
        d.do(f"{day} {reached}", o, "contact", tech, outcome="reached")
    if booked:
        when, bday, start, end = booked
        d.do(
            f"{day} {when}",
            o,
            "schedule",
            tech,
            start=f"{bday}T{start}:00+08:00",
            end=f"{bday}T{end}:00+08:00",
        )
    if arrived:
        d.do(arrived, o, "arrive", tech)
    if completed:
        d.do(
            completed,
            o,
            "complete",
            tech,
            resolution="更换尾纤",
            no_signature_reason="客户外出",
            rating=rating,
        )
    return o


@pytest.fixture
def month(org: Any, at: Any) -> Month:
    from doorstep.kpis.models import SubscriberCount
    from doorstep.org.models import Staff, Team
    from doorstep.standards import ledger
    from doorstep.standards.models import Penalty

    d = Driver(at)
    team = Team.objects.create(branch=org.gs, name="一班")
    Staff.objects.filter(user__in=[org.tech, org.other_tech]).update(team=team)
    tl_dispatcher = make_user("tl_dispatcher", ["dispatcher"], org.tl)
    SubscriberCount.objects.create(branch=org.gs, month=date(2026, 11, 1), count=8000)
    o: dict[str, Any] = {}

    o["R6"] = _repair(
        d, org, org.tech, org.dispatcher, 6, "2026-11-02",
        reached=None,
        booked=("09:20", "2026-11-03", "08:30", "09:30"),
        arrived="2026-11-03 08:20",
        completed="2026-11-03 10:00",
        rating=2,
    )  # fmt: skip
    o["R1"] = _repair(
        d, org, org.tech, org.dispatcher, 1, "2026-11-16",
        reached="09:15",
        booked=("09:20", "2026-11-16", "14:00", "15:00"),
        arrived="2026-11-16 13:50",
        completed="2026-11-16 14:30",
        rating=5,
    )  # fmt: skip
    d.do("2026-11-17 10:00", o["R1"], "callback", org.quality, score=9, satisfied=True)
    o["R2"] = _repair(
        d, org, org.tech, org.dispatcher, 2, "2026-11-17",
        reached="09:50",
        booked=("09:55", "2026-11-18", "14:00", "15:00"),
        arrived="2026-11-18 14:07",
        completed="2026-11-18 15:10",
        rating=3,
    )  # fmt: skip
    d.do("2026-11-19 10:00", o["R2"], "callback", org.quality, score=6, satisfied=True)
    r8 = Penalty.objects.get(order=o["R2"], rule="R8")
    with at("2026-11-19 11:00"):
        ledger.decide(r8.pk, org.manager, uphold=False, note="客户临时改地址")
    o["T1"] = _repair(
        d, org, org.township_tech, tl_dispatcher, 7, "2026-11-18", reached="09:20", branch="TL"
    )
    o["R4"] = _repair(
        d, org, org.other_tech, org.dispatcher, 4, "2026-11-19",
        reached="09:20",
        booked=("09:25", "2026-11-19", "14:00", "15:00"),
        arrived="2026-11-19 13:56",
        completed="2026-11-19 14:40",
        rating=4,
    )  # fmt: skip
    d.do("2026-11-20 10:00", o["R4"], "callback", org.quality, score=8, satisfied=True)
    # R1's customer reports again four days after R1 was closed out: a repeat (R13).
    o["R3"] = _repair(d, org, org.other_tech, org.dispatcher, 1, "2026-11-20", reached="09:10")
    assert o["R3"].repeat_of_id == o["R1"].pk

    i1 = d.create("2026-11-21 10:00", org.operator, install_data(customer=customer(5)))
    d.do("2026-11-21 10:05", i1, "assign", org.dispatcher, technician="tech")
    d.do("2026-11-21 10:10", i1, "accept", org.tech)
    d.do("2026-11-21 10:15", i1, "contact", org.tech, outcome="reached")
    d.do(
        "2026-11-21 10:20", i1, "schedule", org.tech,
        start="2026-11-22T20:00:00+08:00", end="2026-11-22T21:00:00+08:00",
    )  # fmt: skip
    d.do(
        "2026-11-22 15:00", i1, "reschedule", org.tech,
        start="2026-11-22T22:30:00+08:00", end="2026-11-22T23:00:00+08:00",
        reason="前一单延误", requested_by="crew",
    )  # fmt: skip
    d.do("2026-11-22 22:15", i1, "contact", org.tech, outcome="reached")
    d.do("2026-11-22 22:29", i1, "arrive", org.tech)
    with at("2026-11-22 23:20"):
        store_attachment(i1.pk, org.tech, kind="photo", data=png(), filename="p.png")
        store_attachment(
            i1.pk, org.tech, kind="speed_test", data=png(), filename="s.png",
            down_mbps=500, up_mbps=50,
        )  # fmt: skip
    d.do(
        "2026-11-22 23:30", i1, "complete", org.tech,
        resolution="已开通", no_signature_reason="客户手受伤", rating=4,
    )  # fmt: skip
    d.do("2026-11-23 00:30", i1, "callback", org.quality, score=10, satisfied=True)
    o["I1"] = i1

    o["R5"] = _repair(
        d, org, org.tech, org.dispatcher, 9, "2026-11-30",
        reached="09:15",
        booked=("09:20", "2026-11-30", "10:00", "11:00"),
        arrived="2026-11-30 09:58",
        completed="2026-11-30 10:30",
        rating=4,
    )  # fmt: skip
    d.do("2026-12-01 00:30", o["R5"], "callback", org.quality, score=2, satisfied=True)
    return Month(org, team, o)
