"""Every quote in the field data appears in the seed texts it names (skipped without the seeds).

The seed texts are carried in tests/data/seeds (DOORSTEP_SEEDS_DIR reads another folder); these
tests guard against paraphrase creeping into data that claims to quote them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from doorstep.field.phrases import BANNED_FILE, REWORDINGS_FILE
from doorstep.field.scripts import get_script, kit_checklists, script_steps

SEEDS_DIR = Path(
    os.environ.get("DOORSTEP_SEEDS_DIR", Path(__file__).resolve().parents[1] / "data" / "seeds")
)

pytestmark = pytest.mark.skipif(
    not list(SEEDS_DIR.glob("00[0-4]_*.txt")), reason=f"no seed texts in {SEEDS_DIR}"
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed(number: str) -> str:
    (path,) = SEEDS_DIR.glob(f"{number}_*.txt")
    return squeeze(path.read_text(encoding="utf-8"))


def any_seed() -> str:
    return "".join(seed(n) for n in ("000", "001", "002", "003", "004"))


def test_every_banned_phrase_is_quoted_verbatim_from_seed_002():
    text = seed("002")
    for category in json.loads(BANNED_FILE.read_text(encoding="utf-8"))["categories"]:
        for entry in category["entries"]:
            assert squeeze(entry["phrase"]) in text, entry["phrase"]


def test_every_rewording_is_quoted_verbatim_from_seed_002():
    text = seed("002")
    for entry in json.loads(REWORDINGS_FILE.read_text(encoding="utf-8"))["rewordings"]:
        assert squeeze(entry["avoid"]) in text, entry["avoid"]
        if not entry.get("reconstructed"):
            assert squeeze(entry["say"]) in text, entry["say"]


def test_every_script_lines_seed_fragments_are_in_the_seeds():
    text = any_seed()
    for step in script_steps():
        for line in get_script(step).lines:
            for fragment in line.seed.split(" / "):
                assert squeeze(fragment) in text, (step, fragment)


def test_every_checklist_quote_is_in_the_seed_it_names():
    for checklist in kit_checklists():
        assert squeeze(checklist.quote) in seed(checklist.source[:3]), checklist.code
