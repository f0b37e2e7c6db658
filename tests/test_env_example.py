"""Every environment variable the code reads is documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# env("X"), envint("X", …), envbool, envlist, os.environ.get("X"), os.environ["X"], os.getenv("X")
READ = re.compile(
    r"""(?:\benv(?:int|bool|list)?\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*"""
    r"""["']([A-Z][A-Z0-9_]*)["']"""
)


def names_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "doorstep").rglob("*.py"):
        found |= set(READ.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_environment_variable_the_code_reads_is_in_env_example() -> None:
    names = names_read_by_the_code()
    # The scan must see the settings of this round, or it proves nothing.
    assert {"REDIS_URL", "DOORSTEP_SMS_URL", "DOORSTEP_AUDIT_SEED", "DATABASE_URL"} <= names
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert sorted(names - documented) == []
