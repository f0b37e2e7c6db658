"""At 1280 px an hour's visit on the board's time line shows its start time and order number
whole (not "10:00 00"), with the full label in its title."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from doorstep.orders.actions import perform
from tests.dispatch.test_board import DAY, order_at
from tests.web.browser import browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each line of each visit label: its text and whether it is cut (wider than its box).
LABELS = """() => [...document.querySelectorAll('.tl .visit')].map(v => ({
  title: v.title,
  lines: [...v.children].map(c => ({text: c.textContent, cut: c.scrollWidth > c.clientWidth,
                                    bottom: c.getBoundingClientRect().bottom})),
  bottom: v.getBoundingClientRect().bottom,
}))"""


def test_an_hours_visit_label_is_readable_at_1280_px(live_server: Any, crew: Any) -> None:
    order = order_at(crew, 30.31, 120.14)
    with time_machine.travel(f"{DAY} 08:20 +0800", tick=False):
        perform(order.pk, "assign", crew.dispatcher, {"technician": "tech"})
        perform(order.pk, "accept", crew.tech, {})
        start = datetime.fromisoformat(f"{DAY}T10:00:00+08:00")
        end = datetime.fromisoformat(f"{DAY}T11:00:00+08:00")
        perform(
            order.pk, "schedule", crew.tech, {"start": start.isoformat(), "end": end.isoformat()}
        )
    with browser_page({"width": 1280, "height": 900}) as page:
        login(page, live_server.url, "dispatcher", "pw-dispatcher")
        page.goto(f"{live_server.url}/dispatch/?day={DAY}")
        shot(page, "board-1280")
        (label,) = page.evaluate(LABELS)
        assert label["title"] == f"{order.number} 10:00–11:00"
        texts = [line["text"] for line in label["lines"]]
        assert texts == ["10:00", order.number[-4:]]
        assert not any(line["cut"] for line in label["lines"]), label
        assert all(line["bottom"] <= label["bottom"] for line in label["lines"]), label
