"""The README and docs/ stand on their own and say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_sends_the_reader_outside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "SPEC.md" not in text and "/work/" not in text
    # Nor to a specification or seed files the reader does not have: rules are named by their
    # R-id (docs/rules.md) and standards by their titles.
    outside = re.findall(r"\bSPEC\b|\bseed \d{3}\b|\b00[0-4] (?:ch\.|part|第)", text)
    assert not outside, f"{page.name} cites {sorted(set(outside))}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_opens_a_file(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)", text) + re.findall(r'src="([^"]+)"', text)
    for link in links:
        if "://" in link:
            continue
        assert (page.parent / link).exists(), f"{page.name} links to missing {link}"


def test_the_readme_promises_no_english_interface() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "English available" not in text
    assert "Simplified Chinese only" in text


def test_the_rules_page_has_each_rule_once_with_its_kind_and_source() -> None:
    rows = [
        line
        for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
        if re.match(r"\| R\d+ \|", line)
    ]
    assert [row.split("|")[1].strip() for row in rows] == [f"R{n}" for n in range(1, 25)]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 6 and all(cells), row


def test_the_orders_page_table_is_the_state_table() -> None:
    from doorstep.orders.states import TRANSITIONS

    order = ["received", "dispatched", "accepted", "scheduled", "en_route", "on_site"]
    order += ["completed", "closed", "suspended", "returned", "cancelled"]
    documented = {}
    for line in (ROOT / "docs" / "orders.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in TRANSITIONS:
            documented[cells[0]] = cells[1:]
    actual = {
        name: [
            ", ".join(s for s in order if s in t.sources) or "—",
            t.to or "(same)",
            ", ".join(sorted(t.roles)),
        ]
        for name, t in TRANSITIONS.items()
    }
    assert documented == actual


def test_the_api_page_names_every_endpoint_and_action() -> None:
    from doorstep.api.api import api

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    paths = re.findall(r"`(?:[A-Z]+ )?(/[^`?\s]*)", text)
    documented = {re.sub(r"\{\w+\}", "{}", p) for p in paths}
    action_rows = {
        name.strip()
        for row in re.findall(r"^\| ([a-z_, ]+?) (?:\(|\|)", text, re.MULTILINE)
        for name in row.split(",")
    }
    missing = []
    for path in api.get_openapi_schema()["paths"]:
        short = re.sub(r"\{\w+\}", "{}", path.removeprefix("/api/v1"))
        action = re.fullmatch(r"/(?:orders|incidents)/\{\}/actions/(\w+)", short)
        if (action and action.group(1) not in action_rows) or (
            not action and short not in documented
        ):
            missing.append(path)
    assert missing == []
