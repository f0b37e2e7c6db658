"""One archive holds the whole installation: the database and the uploaded files.

`backup` takes the database first — SQLite through the online backup API, PostgreSQL through
`pg_dump` in its custom format inside a repeatable-read snapshot — and the files under
MEDIA_ROOT after it. An upload's file is written before its row commits and files are never
removed afterwards, so every attachment the database snapshot names is in the archive, also
while the server is running. The manifest records what was taken and from which vendor.

`restore` refuses an archive from the other vendor and a database that already holds users or
orders (unless forced), then replaces the database and the media folder. An older archive is
brought up to date afterwards with `doorstep migrate`.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class Manifest:
    format: int
    doorstep: str
    created_at: str
    vendor: str
    database: str
    orders: int
    events: int
    attachments: int
    ledger_entries: int
    media_files: int
    media_bytes: int


def _tables() -> dict[str, str]:
    from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
    from doorstep.standards.models import Penalty

    return {
        "orders": WorkOrder._meta.db_table,
        "events": OrderEvent._meta.db_table,
        "attachments": Attachment._meta.db_table,
        "ledger_entries": Penalty._meta.db_table,
    }


def _count(cursor: Any) -> dict[str, int]:
    counts = {}
    for key, table in _tables().items():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our own table names
        counts[key] = int(cursor.fetchone()[0])
    return counts


def _pg_command(binary: str) -> tuple[list[str], dict[str, str]]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    if shutil.which(binary) is None:
        raise BackupError(f"{binary} not found: install the PostgreSQL client tools")
    args = [binary, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()}")


def _dump_sqlite(target: Path) -> dict[str, int]:
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    copy = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent snapshot while others read and write.
        source.backup(copy)
        return _count(copy.cursor())
    finally:
        copy.close()
        source.close()


def _dump_postgresql(target: Path) -> dict[str, int]:
    args, env = _pg_command("pg_dump")
    # Count and dump the same snapshot: the transaction holds it open while pg_dump reads it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count(cursor)
        name = settings.DATABASES["default"]["NAME"]
        _run([*args, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", name], env)
    return counts


def vendor() -> str:
    if connection.vendor not in DUMPS:
        raise BackupError(f"backup does not support the {connection.vendor} database")
    return connection.vendor


def default_path(now: datetime | None = None) -> Path:
    from doorstep.core import clock

    stamp = (now or clock.now()).strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / f"doorstep-backup-{stamp}.tar.gz"


def backup(path: Path | None = None) -> tuple[Path, Manifest]:
    """Write the archive (a directory gets a dated file name in it) and return its manifest."""
    import doorstep
    from doorstep.core import clock

    kind = vendor()
    target = Path(path) if path else default_path()
    if target.is_dir():
        target = target / default_path().name
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="doorstep-backup-") as work:
        dump = Path(work) / DUMPS[kind]
        created = clock.now()
        counts = _dump_sqlite(dump) if kind == "sqlite" else _dump_postgresql(dump)
        files = (
            sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.is_dir() else []
        )
        manifest = Manifest(
            format=FORMAT,
            doorstep=doorstep.__version__,
            created_at=created.isoformat(),
            vendor=kind,
            database=DUMPS[kind],
            media_files=len(files),
            media_bytes=sum(p.stat().st_size for p in files),
            **counts,
        )
        (Path(work) / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(work) / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=DUMPS[kind])
            for file in files:
                tar.add(file, arcname=f"{MEDIA}/{file.relative_to(media_root).as_posix()}")
        partial.replace(target)  # a reader never sees half an archive
    return target, manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            raw = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as e:
        raise BackupError(f"{path} is not a doorstep backup archive ({e})") from None
    if raw.get("format") != FORMAT:
        raise BackupError(f"{path}: archive format {raw.get('format')} is not {FORMAT}")
    return Manifest(**raw)


def holds_data() -> bool:
    """Whether the database has anything a restore would destroy: users or orders."""
    from django.contrib.auth.models import User

    from doorstep.orders.models import WorkOrder

    try:
        return User.objects.exists() or WorkOrder.objects.exists()
    except Exception:  # noqa: BLE001 - no tables yet: nothing to lose
        return False


def restore(path: Path, *, force: bool = False) -> Manifest:
    manifest = read_manifest(path)
    kind = vendor()
    if manifest.vendor != kind:
        theirs, ours = VENDOR_NAMES[manifest.vendor], VENDOR_NAMES[kind]
        raise BackupError(
            f"{path} is a {theirs} backup and this installation uses {ours} (DATABASE_URL): "
            f"restore it into a {theirs} database"
        )
    if not force and holds_data():
        raise BackupError(
            "the database already holds users or orders: restore would replace them. "
            "Take a backup of it first, then run restore again with --force"
        )
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="doorstep-restore-") as work:
        with tarfile.open(path, "r:gz") as tar:
            # The "data" filter refuses absolute names, `..`, links out of the folder, devices.
            tar.extractall(work, filter="data")
        dump = Path(work) / manifest.database
        connections.close_all()
        if kind == "sqlite":
            _load_sqlite(dump)
        else:
            _load_postgresql(dump)
        _replace_media(Path(work) / MEDIA, media_root)
    return manifest


def _load_sqlite(dump: Path) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    try:
        source.backup(target)  # page by page into the live file; WAL readers see it whole
    finally:
        target.close()
        source.close()


def _load_postgresql(dump: Path) -> None:
    with connection.cursor() as cursor:
        # Whatever the database held goes, so no table of a newer schema is left beside the
        # restored ones.
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connections.close_all()
    args, env = _pg_command("pg_restore")
    name = settings.DATABASES["default"]["NAME"]
    _run([*args, "--no-owner", "--exit-on-error", f"--dbname={name}", str(dump)], env)


def _replace_media(restored: Path, media_root: Path) -> None:
    """The archive's files become MEDIA_ROOT; files already there are kept aside, not lost."""
    if media_root.is_dir() and any(media_root.iterdir()):
        from doorstep.core import clock

        aside = media_root.with_name(
            f"{media_root.name}.before-restore-{clock.now():%Y%m%d-%H%M%S}"
        )
        media_root.rename(aside)
    elif media_root.is_dir():
        media_root.rmdir()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    if restored.is_dir():
        shutil.move(str(restored), media_root)
    else:
        media_root.mkdir()
