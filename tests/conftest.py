from __future__ import annotations

import os

os.environ.setdefault("DOORSTEP_FAST_HASHER", "1")
os.environ.setdefault("DOORSTEP_HTTPS", "0")
