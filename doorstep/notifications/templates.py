"""Placeholder; filled in step 3."""

from __future__ import annotations

from typing import Any


def check_template(body: str, params: Any) -> None:
    return None
