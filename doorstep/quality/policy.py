"""The audit-sampling policy row as code, for tests that flush the tables (the migration keeps
its own frozen copy)."""

from __future__ import annotations

from typing import Any

from doorstep.quality.choices import AUDIT_POLICY

DEFAULT: dict[str, Any] = {
    "key": AUDIT_POLICY,
    "label": "回单抽检比例（回访时按比例随机抽取回单稽核）",
    "params": {"share": 0.1},
    "source": "000 ch.1 §21, 003",
}


def ensure_default() -> None:
    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    if not Policy.objects.filter(key=AUDIT_POLICY).exists():
        Policy.objects.create(**DEFAULT)
        policies.clear_cache()
