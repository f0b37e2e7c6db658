"""The background worker: `loop` runs the duties, `sweep` is the clock sweep."""

from doorstep.worker.loop import Worker, run

__all__ = ["Worker", "run"]
