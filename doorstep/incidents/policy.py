"""The R14 policy row as code, for tests that flush the tables (the migration keeps its own
frozen copy)."""

from __future__ import annotations

from doorstep.incidents.choices import POLICY_KEY

DEFAULT = {
    "key": POLICY_KEY,
    "label": "同一区域60分钟内5张报障视为批量障碍",
    "kind": "repair",
    "minutes": 60,
    "params": {"reports": 5, "manager_after_minutes": 15},
    "source": "003 part 3 §3.1",
}


def ensure_default() -> None:
    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    if not Policy.objects.filter(key=POLICY_KEY).exists():
        Policy.objects.create(**DEFAULT)
        policies.clear_cache()
