"""The README tour's screenshots (docs/screenshots/) from a running demo; not a test.

    DOORSTEP_HOME=/tmp/tour .venv/bin/doorstep demo --no-serve --weeks 2 --scale 0.5
    DOORSTEP_HOME=/tmp/tour .venv/bin/doorstep serve --port 8765 --workers 1 &
    DOORSTEP_HOME=/tmp/tour .venv/bin/python scripts/tour_screenshots.py http://127.0.0.1:8765

It writes intake.png, order.png, orders.png, board.png, ledger.png, plan.png, phone-my-day.png
and phone-order.png. Pages are driven as their users would drive them (log in, type, press);
the database is only read, through the ORM, to pick what is worth showing (a customer with a
repeat fault, an open order with a long history, the technician with most visits today).

It changes the demo: one technician appeals their latest ledger entry, and a day plan is
queued from the board and computed with `doorstep worker --once` (the worker owns planning).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "screenshots"
PASSWORD = "demo1234"  # doorstep/demo/org.py
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
APPEAL_REASONS = (
    "回单时小区地下室没有信号，离开后才传上去，现场照片的拍摄时间可以证明。",
    "客户临时改约到下午，我按新约时间上门，客户在回访时也确认了。",
)
EXEMPT_NOTE = "已核对回访录音，客户确认改约，免责。"


def _django() -> None:
    if "DOORSTEP_HOME" not in os.environ:
        sys.exit("set DOORSTEP_HOME to the demo's home, the same one the server runs with")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doorstep.settings")
    import django

    django.setup()


@contextmanager
def browser(viewport: ViewportSize) -> Iterator[Any]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = chromium.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        page.set_default_timeout(20000)
        try:
            yield page
        finally:
            context.close()
            chromium.close()


def login(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def save(page: Any, name: str, height: int = 0) -> None:
    """The whole page, or its top `height` pixels where the rest only repeats rows."""
    page.wait_for_load_state("networkidle")
    if height:
        page.set_viewport_size({"width": DESKTOP["width"], "height": height})
        page.screenshot(path=str(DOCS / name))
        page.set_viewport_size(DESKTOP)
    else:
        page.screenshot(path=str(DOCS / name), full_page=True)
    print(f"docs/screenshots/{name}")


# -- what to show (read-only) --------------------------------------------------------------------


def repeat_customer_phone() -> str:
    """The customer whose repair was finished most recently: typing their number at the intake
    desk shows the repeat-fault hint (R13) beside their orders."""
    from doorstep.orders.models import WorkOrder

    order = (
        WorkOrder.objects.filter(kind="repair", completed_at__isnull=False)
        .select_related("customer")
        .order_by("-completed_at")
        .first()
    )
    assert order is not None, "the demo has no finished repair"
    return str(order.customer.phone)


def rich_open_order() -> int:
    """An order still in progress with the longest history: its clocks are still running."""
    from django.db.models import Count, Q

    from doorstep.orders.models import WorkOrder

    order = (
        WorkOrder.objects.exclude(status__in=["closed", "cancelled"])
        .annotate(running=Count("clocks", filter=Q(clocks__status="running")))
        .filter(running__gt=0)
        .order_by("-event_count", "-pk")
        .first()
    )
    assert order is not None, "the demo has no order in progress"
    return int(order.pk)


def penalties_to_appeal() -> list[tuple[int, str]]:
    """The two newest ledger entries with a technician, and who may appeal them; none when an
    earlier run (or anybody) has appealed already."""
    from doorstep.standards.models import ChangeKind, Penalty, PenaltyChange, PenaltyStatus

    if PenaltyChange.objects.filter(kind=ChangeKind.APPEAL).exists():
        return []
    newest = (
        Penalty.objects.filter(technician__isnull=False)
        .select_related("technician")
        .order_by("-created_at", "-id")[:2]
    )
    return [
        (int(p.pk), p.technician.get_username())
        for p in newest
        if p.technician is not None and p.status == PenaltyStatus.OPEN
    ]


def busiest_technician_today() -> str:
    from django.db.models import Count
    from django.utils import timezone

    from doorstep.core import clock
    from doorstep.orders.models import WorkOrder

    today = timezone.localtime(clock.now()).date()
    row = (
        WorkOrder.objects.filter(appointment_start__date=today, technician__isnull=False)
        .exclude(status__in=["closed", "cancelled"])
        .values("technician__username")
        .annotate(n=Count("id"))
        .order_by("-n", "technician__username")
        .first()
    )
    return str(row["technician__username"]) if row else "tech01"


# -- the pages ---------------------------------------------------------------------------------


def intake(page: Any, base: str) -> None:
    login(page, base, "operator")
    page.goto(f"{base}/intake/")
    page.fill("#f-customer_phone", repeat_customer_phone())  # htmx looks the number up
    page.wait_for_selector("#lookup .lookup-customer")
    page.locator("#lookup .lookup-customer button").first.click()  # 带入此客户
    page.select_option("#f-kind", "repair")
    page.select_option("#f-fault_class", index=1)
    page.fill("#f-symptom", "光猫 LOS 灯又红了，上不了网，昨天刚修过")
    save(page, "intake.png")


def order_pages(page: Any, base: str) -> None:
    login(page, base, "manager")
    page.goto(f"{base}/orders/{rich_open_order()}/")
    save(page, "order.png")
    page.goto(f"{base}/orders/")
    save(page, "orders.png", height=1300)


def ledger(page: Any, base: str) -> None:
    """Both newest entries appealed by their technicians; the manager exempts the older one,
    so the page shows an appeal waiting for a decision above one decided."""
    entries = penalties_to_appeal()
    for (penalty_id, technician), reason in zip(entries, APPEAL_REASONS, strict=False):
        login(page, base, technician)
        page.goto(f"{base}/standards/penalties/")
        page.locator(f"details:has(#appeal-{penalty_id}) summary").click()
        form = page.locator(f"#appeal-{penalty_id}")
        form.locator("textarea").fill(reason)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    login(page, base, "manager")
    if len(entries) > 1:
        page.goto(f"{base}/standards/penalties/")
        form = page.locator(f"#decide-{entries[-1][0]}")
        form.locator("textarea").fill(EXEMPT_NOTE)
        form.locator("button[value=exempt]").click()
        page.wait_for_load_state("networkidle")
    page.goto(f"{base}/standards/penalties/")
    save(page, "ledger.png", height=1500)


def board_and_plan(page: Any, base: str) -> None:
    login(page, base, "dispatcher")
    page.goto(f"{base}/dispatch/")
    save(page, "board.png")
    page.click("#make-plan")
    page.wait_for_load_state("networkidle")
    plan_url = page.url
    subprocess.run([str(ROOT / ".venv/bin/doorstep"), "worker", "--once"], check=True)
    page.goto(plan_url)
    save(page, "plan.png")


def phone(page: Any, base: str) -> None:
    login(page, base, busiest_technician_today())
    page.goto(f"{base}/m/")
    save(page, "phone-my-day.png")
    page.locator("#visits a[href*='/m/orders/']").first.click()
    page.wait_for_load_state("networkidle")
    save(page, "phone-order.png")


def main(base: str) -> None:
    _django()
    # Playwright's sync API runs an event loop in this thread; the ORM reads above are plain.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    DOCS.mkdir(parents=True, exist_ok=True)
    with browser(DESKTOP) as page:
        intake(page, base)
        order_pages(page, base)
        ledger(page, base)
        board_and_plan(page, base)
    with browser(PHONE) as page:
        phone(page, base)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8765")
