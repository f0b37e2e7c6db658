"""docs/screenshots/dashboard.png and technician.png from a running demo (not a test):

DOORSTEP_HOME=/tmp/demo doorstep demo --no-serve
DOORSTEP_HOME=/tmp/demo doorstep serve --port 8765 &
.venv/bin/python -m tests.dashboards.demo_screenshots http://127.0.0.1:8765
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from tests.web.browser import DESKTOP, PHONE, browser_page, login

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo1234"  # doorstep/demo/org.py


def main(base: str) -> None:
    # Last full week: the current one may have started this morning.
    last_week = (date.today() - timedelta(days=7)).isoformat()
    query = f"period=week&date={last_week}"
    with browser_page(DESKTOP) as page:
        login(page, base, "manager", PASSWORD)
        page.goto(f"{base}/dashboards/?{query}")
        page.wait_for_selector("#chart-trend svg")
        page.screenshot(path=str(DOCS / "dashboard.png"), full_page=True)
        # The technician with most to improve that week, as their team lead would pick them.
        advice = {}
        for n in range(1, 13):
            page.goto(f"{base}/dashboards/technicians/tech{n:02d}/?{query}")
            advice[f"tech{n:02d}"] = page.locator("#improve li").count()
    username = max(advice, key=lambda k: advice[k])
    with browser_page(PHONE) as page:
        login(page, base, username, PASSWORD)
        page.goto(f"{base}/dashboards/technicians/{username}/?{query}")
        page.wait_for_selector("#chart-trend svg")
        page.screenshot(path=str(DOCS / "technician.png"), full_page=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765")
