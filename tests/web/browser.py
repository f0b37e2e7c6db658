"""Debian's Chromium driven by Playwright (its own browser download does not work here)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DOORSTEP_ARTIFACTS", "artifacts/screenshots"))
# The README tour's pictures: a test writes over them only when asked to
# (DOORSTEP_DOCS_SCREENSHOTS=1), so an ordinary run leaves the work tree as it was.
TOUR = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("DOORSTEP_DOCS_SCREENSHOTS")
    else ARTIFACTS
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def need_chromium() -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing on CI: `make test` installs it (apt-get install chromium)"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-wqy-microhei)")


@contextmanager
def browser_page(viewport: dict[str, int] = DESKTOP) -> Iterator[Any]:
    need_chromium()
    # Playwright's sync API runs an event loop in this thread; Django's ORM then refuses to
    # run here unless told the test knows what it is doing.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with _playwright_page(sync_playwright, viewport) as page:
            yield page
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@contextmanager
def _playwright_page(sync_playwright: Any, viewport: dict[str, int]) -> Iterator[Any]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
