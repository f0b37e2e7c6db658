"""Loaded with `-p tests._env` before pytest-django reads the settings."""

import os

os.environ.setdefault("DOORSTEP_FAST_HASHER", "1")
os.environ.setdefault("DOORSTEP_HTTPS", "0")
os.environ.setdefault("DOORSTEP_MANIFEST_STATIC", "0")
os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")
# Tests change tokens and roles under a running process; the one test of the token cache
# turns it on itself.
os.environ.setdefault("DOORSTEP_TOKEN_CACHE_SECONDS", "0")

# A real file, not Django's shared-cache in-memory database: concurrency tests need SQLite's
# real locking (WAL, busy timeout), which shared-cache memory databases do not have.
if not os.environ.get("DOORSTEP_TEST_SQLITE"):
    import tempfile

    os.environ["DOORSTEP_TEST_SQLITE"] = os.path.join(
        tempfile.gettempdir(), f"doorstep-test-{os.getpid()}.sqlite3"
    )
