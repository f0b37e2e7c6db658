"""`doorstep serve` collects static files only when their sources changed: a restart after a
crash no longer spends seconds re-compressing files it already has."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from doorstep.core.static import collect_if_changed


def test_static_files_are_collected_again_only_when_a_source_changes(
    settings: Any, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "extra.css").write_text("body { color: #333 }")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    collected = tmp_path / "static" / "extra.css"

    assert collect_if_changed() is True
    assert collected.read_text() == "body { color: #333 }"
    assert collect_if_changed() is False  # same sources: nothing to do

    (source / "extra.css").write_text("body { color: #c00 }")
    stat = (source / "extra.css").stat()
    os.utime(source / "extra.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert collect_if_changed() is True
    assert collected.read_text() == "body { color: #c00 }"
