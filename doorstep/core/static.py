"""Static files for `doorstep serve`: collected only when the sources changed.

`collectstatic` with WhiteNoise's compressed manifest storage hashes and compresses (gzip and
brotli) every file on every run, changed or not: about 8 s of CPU on a 2-core machine. Run at
each start, that was most of the time a crashed server took to answer again (`bench load
--crash`). A stamp in STATIC_ROOT records what was collected — every source file's name, size
and modification time and the storage backend — and a start with the same sources skips it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".doorstep-collected"


def sources_digest() -> str:
    rows = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = Path(storage.path(path)).stat()
            rows.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]).encode())
    for row in sorted(rows):
        digest.update(row.encode() + b"\n")
    return digest.hexdigest()


def collect_if_changed() -> bool:
    """Run collectstatic unless STATIC_ROOT already holds these sources; True if it ran."""
    stamp = Path(settings.STATIC_ROOT) / STAMP
    digest = sources_digest()
    if stamp.is_file() and stamp.read_text() == digest:
        return False
    call_command("collectstatic", "--no-input", verbosity=0)
    stamp.write_text(digest)
    return True
