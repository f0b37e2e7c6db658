"""Standard phrasing per visit step, and the pre-departure kit checklists, from the seeds.

``data/scripts.json`` holds one script per step (``call``, ``call_repair``, ``pre_visit_call``,
``greeting``, ``consent``, ``not_home``, ``closing``, ``delay``, ``reschedule``,
``unreachable_sms``): lines of template text, each with the seed wording it quotes and where
that stands. ``render_script`` fills the placeholders::

    render_script("greeting", customer_name="王女士", company="中国电信", employee_no="1024",
                  technician_name="李强")

Extra values are ignored, so a caller can pass one dict of everything it knows; a missing or
blank one raises ``MissingPlaceholder`` (a ``KeyError``) naming it. ``consent`` has one line per
situation (``move_items``, ``drill_wall``, ``enter_room``, ``disk_data``); pass ``situation=`` to
get just one, or leave it out for all of them.

``data/kit_checklists.json`` holds the checklists the seeds name: three different "五个一"
(the organisations disagree on the five), "七个一" and "四统一四携带". Nothing here imports
Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
SCRIPTS_FILE = DATA_DIR / "scripts.json"
KITS_FILE = DATA_DIR / "kit_checklists.json"

_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


class MissingPlaceholder(KeyError):
    """A script needs a value that was not given (or was blank)."""

    def __init__(self, step: str, placeholder: str, missing: tuple[str, ...] = ()) -> None:
        self.step = step
        self.placeholder = placeholder
        self.missing = missing or (placeholder,)
        super().__init__(placeholder)

    def __str__(self) -> str:
        names = ", ".join("{" + name + "}" for name in self.missing)
        return f"script {self.step!r} needs a value for {names}"


# --------------------------------------------------------------------------------------------
# Scripts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptLine:
    text: str  # the template
    seed: str  # the seed wording it quotes
    source: str  # seed and section
    situation: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Script:
    step: str
    title: str
    lines: tuple[ScriptLine, ...]
    actions: tuple[str, ...] = ()  # what to do (not say) at this step, quoted from the seeds
    notes: tuple[str, ...] = ()  # the seeds' rules for this step

    @property
    def situations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ln.situation for ln in self.lines if ln.situation))

    def lines_for(self, situation: str | None = None) -> tuple[ScriptLine, ...]:
        if situation is None:
            return self.lines
        if situation not in self.situations:
            known = ", ".join(self.situations) or "none"
            raise KeyError(
                f"script {self.step!r} has no situation {situation!r} (situations: {known})"
            )
        return tuple(ln for ln in self.lines if ln.situation in (None, situation))


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _scripts() -> dict[str, Script]:
    scripts: dict[str, Script] = {}
    for raw in _read_json(SCRIPTS_FILE)["steps"]:
        scripts[raw["step"]] = Script(
            step=raw["step"],
            title=raw["title"],
            lines=tuple(
                ScriptLine(
                    text=ln["text"],
                    seed=ln["seed"],
                    source=ln["source"],
                    situation=ln.get("situation"),
                    note=ln.get("note"),
                )
                for ln in raw["lines"]
            ),
            actions=tuple(raw.get("actions", ())),
            notes=tuple(raw.get("notes", ())),
        )
    return scripts


@lru_cache(maxsize=1)
def placeholder_descriptions() -> dict[str, str]:
    """Every placeholder a script may use, with what to put in it (Chinese examples)."""
    return dict(_read_json(SCRIPTS_FILE)["placeholders"])


def script_steps() -> tuple[str, ...]:
    """The steps, in visit order."""
    return tuple(_scripts())


def get_script(step: str) -> Script:
    try:
        return _scripts()[step]
    except KeyError:
        raise KeyError(
            f"no script for step {step!r} (steps: {', '.join(script_steps())})"
        ) from None


def placeholders(step: str, situation: str | None = None) -> tuple[str, ...]:
    """The placeholders ``render_script(step, situation)`` needs, in order of appearance."""
    names: dict[str, None] = {}
    for line in get_script(step).lines_for(situation):
        names.update(dict.fromkeys(_PLACEHOLDER_RE.findall(line.text)))
    return tuple(names)


def _given(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def render_lines(step: str, situation: str | None = None, **values: object) -> list[str]:
    """The script's lines with the placeholders filled; see ``render_script``."""
    script = get_script(step)
    lines = script.lines_for(situation)
    missing = tuple(name for name in placeholders(step, situation) if not _given(values.get(name)))
    if missing:
        raise MissingPlaceholder(step, missing[0], missing)
    return [
        _PLACEHOLDER_RE.sub(lambda m: str(values[m.group(1)]).strip(), line.text) for line in lines
    ]


def render_script(step: str, situation: str | None = None, **values: object) -> str:
    """The script for ``step`` with placeholders filled, one utterance per line.

    Raises ``MissingPlaceholder`` (a ``KeyError`` whose message names the placeholder) for a
    value that is missing, ``None`` or blank, and ``KeyError`` for an unknown step/situation.
    """
    return "\n".join(render_lines(step, situation, **values))


# --------------------------------------------------------------------------------------------
# Kit checklists
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KitItem:
    code: str  # stable, shared between checklists: shoe_covers is 鞋套 everywhere
    label: str  # Chinese name of the item
    quote: str  # the seed's words for it
    kind: str = "item"  # "item" (carry/wear) or "action" (do)
    group: str | None = None  # the seed's grouping, e.g. 统一/携带
    contents: tuple[str, ...] = ()  # what a container item holds (文件袋)


@dataclass(frozen=True)
class KitChecklist:
    code: str
    name: str  # the seed's name: 五个一, 七个一, 四统一四携带
    organisation: str
    source: str
    quote: str
    items: tuple[KitItem, ...]

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)


@lru_cache(maxsize=1)
def kit_checklists() -> tuple[KitChecklist, ...]:
    """The checklists from the seeds, in the order 五个一 (×3), 七个一, 四统一四携带."""
    return tuple(
        KitChecklist(
            code=raw["code"],
            name=raw["name"],
            organisation=raw["organisation"],
            source=raw["source"],
            quote=raw["quote"],
            items=tuple(
                KitItem(
                    code=item["code"],
                    label=item["label"],
                    quote=item["quote"],
                    kind=item.get("kind", "item"),
                    group=item.get("group"),
                    contents=tuple(item.get("contents", ())),
                )
                for item in raw["items"]
            ),
        )
        for raw in _read_json(KITS_FILE)["checklists"]
    )


def kit_checklist(code: str) -> KitChecklist:
    for checklist in kit_checklists():
        if checklist.code == code:
            return checklist
    codes = ", ".join(c.code for c in kit_checklists())
    raise KeyError(f"no kit checklist {code!r} (checklists: {codes})")
