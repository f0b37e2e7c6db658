"""Settings come only from environment variables (Healthchecks' envbool/envint style)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return int(value)


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def secret_key_file(path: Path) -> str:
    """Without SECRET_KEY in the environment, keep a random one beside the data (0600), so
    a self-hosted install is secure without a setup step and sessions survive restarts."""
    try:
        key = path.read_text().strip()
        if len(key) >= 50:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        # link() fails if another process won the race; then everyone uses its key.
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        os.unlink(tmp)
    return key
