"""At 1280 px the penalty ledger reads: the order number, rule, branch and time cells keep to one
line instead of one character per line beside the appeal and decision forms."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.standards.conftest import entry_in_status
from tests.web.browser import browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Line boxes a cell's text takes (a Range gives one rectangle per line fragment).
LINES = """(sel) => [...document.querySelectorAll(sel)].map(td => {
  const r = document.createRange(); r.selectNodeContents(td);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size;
})"""


def test_the_ledgers_short_columns_keep_to_one_line_at_1280_px(
    live_server: Any, org: Any, repair_order: Any
) -> None:
    for status in ("appealed", "open", "upheld"):
        entry_in_status(
            order=repair_order, rule="R1", amount=Decimal("10"), technician=org.tech,
            branch=org.gs, status=status, by=org.manager,
            reason="接单后超过30分钟未联系客户，客户致电10000号投诉等待时间过长",
            created_at=datetime.fromisoformat("2026-11-03T10:00:00+08:00"),
        )  # fmt: skip
    with browser_page({"width": 1280, "height": 900}) as page:
        login(page, live_server.url, "manager", "pw-manager")
        page.goto(f"{live_server.url}/standards/penalties/")
        shot(page, "ledger-1280")
        for column in (1, 5, 7):  # 工单号, 分公司, 记录时间
            lines = page.evaluate(LINES, f"#penalty-table tbody td:nth-child({column})")
            assert lines and max(lines) == 1, (column, lines)
        rule = page.evaluate(LINES, "#penalty-table tbody td:nth-child(2)")
        assert rule and max(rule) <= 2, rule  # 「R1 30分钟内联系客户」 in at most two lines
        # The decision form is on the page, not off its right edge.
        right = page.evaluate(
            "document.querySelector('#penalty-table').getBoundingClientRect().right"
        )
        assert right <= 1280
