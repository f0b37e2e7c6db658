"""Weeks of work replayed in time order, as if they had happened live.

Each order is a story: a generator that does one step of the order's life through the action
layer and then yields the moment it wants to do the next one. `Replay` keeps every story on a
heap by that moment and runs the earliest, with the application clock set to it
(`doorstep.core.clock.frozen_at`), so every event, clock, breach and notice carries the time it
would have carried live. Between steps the worker's own round (clock sweep, outbox, planning
jobs) and the branches' hand-overs run on the hour of replayed time (every quarter hour over
the last day), so warnings, breaches and escalations fall when a running worker would have
raised them, and the messages of past weeks left the outbox when they were due.

Nothing is replayed at or after `now`: a story whose next step lies in the future simply stays
where it is, which is how today's orders end up spread over today's states.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Generator
from datetime import datetime, timedelta

from doorstep.core import clock
from doorstep.core.errors import DoorstepError

log = logging.getLogger("doorstep.demo")

# A story yields when it wants to go on; it is resumed with the clock set to that moment.
Story = Generator[datetime, None, None]
# The worker's round: hourly over past weeks (a round costs as much as a few actions), every
# quarter hour over the last day, so what the newcomer sees was swept as a live worker would.
TICK_PAST = timedelta(hours=1)
TICK_RECENT = timedelta(minutes=15)
RECENT = timedelta(days=1)


class Replay:
    def __init__(self, now: datetime, duties: Callable[[datetime], None]) -> None:
        self.now = now
        self.duties = duties
        self.failures: list[str] = []
        self.steps = 0
        self._heap: list[tuple[datetime, int, str, Story]] = []
        self._seq = itertools.count()
        self._next_tick: datetime | None = None

    def spawn(self, when: datetime, story: Story, label: str = "") -> None:
        """Start `story` at `when` (its code up to the first `yield` runs at that moment)."""
        heapq.heappush(self._heap, (when, next(self._seq), label, story))
        if self._next_tick is None or when < self._next_tick:
            # Ticks fall on the hour, like a worker that has been running all along.
            self._next_tick = when.replace(minute=0, second=0, microsecond=0)

    def run(self) -> None:
        while self._heap and self._heap[0][0] < self.now:
            when, _, label, story = heapq.heappop(self._heap)
            self._tick_until(when)
            with clock.frozen_at(when):
                try:
                    wanted = next(story)
                except StopIteration:
                    continue
                except DoorstepError as exc:
                    # A demo step the rules refused: keep the rest of the demo, say so at the end.
                    self.failures.append(f"{label} at {when.isoformat()}: {exc}")
                    log.warning("demo step of %s refused at %s: %s", label, when.isoformat(), exc)
                    continue
            self.steps += 1
            # Steps of one order never go back in time, whatever the story computed.
            heapq.heappush(
                self._heap,
                (max(wanted, when + timedelta(seconds=1)), next(self._seq), label, story),
            )
        self._tick_until(self.now)

    def _tick_until(self, moment: datetime) -> None:
        while self._next_tick is not None and self._next_tick <= moment:
            with clock.frozen_at(self._next_tick):
                self.duties(self._next_tick)
            recent = self._next_tick >= self.now - RECENT
            self._next_tick += TICK_RECENT if recent else TICK_PAST
