"""`doorstep backup` / `doorstep restore` round-trip a database with orders, events, a ledger entry
and an uploaded photo into a separate scratch database, through the real command line."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from PIL import Image

from doorstep.ops.backup import BackupError, backup, read_manifest, restore
from doorstep.orders.actions import create_order, perform
from doorstep.orders.attachments import store_attachment
from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
from doorstep.standards.models import Penalty
from doorstep.worker import Worker
from tests.conftest import repair_data


def _at(when: str) -> Any:
    return time_machine.travel(f"{when} +0800", tick=False)


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def history(org: Any, transactional_db: Any, settings: Any, tmp_path: Path) -> Attachment:
    """Two orders; one accepted, photographed and breached by the worker (a ledger entry)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with _at("2026-11-19 08:00"):
        order, _ = create_order(org.operator, repair_data())
        create_order(org.operator, repair_data(symptom="网速慢"))
    with _at("2026-11-19 08:05"):
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
        perform(order.pk, "accept", org.tech, {})
        photo = store_attachment(order.pk, org.tech, kind="photo", data=_photo(), filename="a.png")
    with _at("2026-11-20 14:00"):
        Worker().tick()
    assert Penalty.raw.filter(order=order).exists()
    return photo


@pytest.fixture
def scratch(transactional_db: Any, tmp_path: Path) -> Any:
    """A separate database (and media folder) for the restore, on this test run's vendor."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        yield url
        return
    name = f"{db['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    yield f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _doorstep(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DOORSTEP_HOME": str(home),
        "MEDIA_ROOT": str(home / "media"),
        "DJANGO_SETTINGS_MODULE": "doorstep.settings",
    }
    return subprocess.run(
        [sys.executable, "-m", "doorstep.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_backup_restores_into_another_database_whole(
    history: Attachment, scratch: str, tmp_path: Path
) -> None:
    archive, manifest = backup(tmp_path / "nightly.tar.gz")
    assert archive == tmp_path / "nightly.tar.gz" and archive.is_file()
    assert manifest.vendor == connection.vendor
    assert (manifest.orders, manifest.events, manifest.attachments, manifest.media_files) == (
        2,
        OrderEvent.objects.count(),
        1,
        1,
    )
    assert manifest.ledger_entries == Penalty.raw.count() >= 1
    assert read_manifest(archive) == manifest

    home = tmp_path / "restored"
    home.mkdir()
    done = _doorstep(scratch, home, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    check = _doorstep(scratch, home, "verify-history")
    assert check.returncode == 0, check.stderr
    assert (
        f"{WorkOrder.objects.count()} orders, {OrderEvent.objects.count()} events, "
        f"{Penalty.raw.count()} ledger entries"
    ) in check.stdout
    photo = home / "media" / history.file.name
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == history.sha256

    # A second restore would overwrite what is there now: refused unless forced.
    again = _doorstep(scratch, home, "restore", str(archive))
    assert again.returncode == 1 and "--force" in again.stderr
    forced = _doorstep(scratch, home, "restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    # The media folder it replaced is kept aside, not deleted.
    aside = [p for p in home.iterdir() if p.name.startswith("media.before-restore-")]
    assert len(aside) == 1 and (aside[0] / history.file.name).is_file()
    assert (home / "media" / history.file.name).is_file()


def test_restore_refuses_the_live_database_and_the_other_vendors_archive(
    history: Attachment, tmp_path: Path
) -> None:
    archive, manifest = backup(tmp_path)
    assert archive.parent == tmp_path and archive.name.startswith("doorstep-backup-")
    with pytest.raises(BackupError, match="--force"):
        restore(archive)
    other = "postgresql" if manifest.vendor == "sqlite" else "sqlite"
    forged = tmp_path / "other.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(forged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            if member.name == "manifest.json" and data is not None:
                body = json.dumps({**json.loads(data.read()), "vendor": other}).encode()
                member.size = len(body)
                dst.addfile(member, io.BytesIO(body))
            else:
                dst.addfile(member, data)
    with pytest.raises(BackupError, match="restore it into a"):
        restore(forged, force=True)
    not_a_backup = tmp_path / "photo.tar.gz"
    not_a_backup.write_bytes(_photo())
    with pytest.raises(BackupError, match="not a doorstep backup"):
        restore(not_a_backup, force=True)
    # Nothing was touched by the refusals.
    assert WorkOrder.objects.count() == 2 and Attachment.objects.count() == 1
    assert (Path(settings.MEDIA_ROOT) / history.file.name).is_file()
