"""Calendars that service-standard clocks count in, and the deadline arithmetic on top of them.

A standard says "restore within 24 hours" or "install within 2 working days"; the clock behind
it needs to know which instants count. Two kinds exist:

* ``AlwaysOpen``: 24x7, every second counts (the default: the standard counts from the report).
* ``WorkingHours``: one or more opening intervals a day in the branch's time zone, on the days
  the mainland-China holiday calendar (with 调休 make-up working days) says are working days.

chinese-calendar only knows the years the State Council has announced and raises for any other
year. A clock, a page or a report must never crash because a year is new, so an unknown year
falls back to plain Mon-Fri, and days an admin entered (by hand or from a CSV file) win over
both the library and the fallback. ``coverage`` tells the admin page which of those applies.

Everything here takes and returns aware datetimes; results are in UTC because that is what is
stored. Nothing here imports Django, so the arithmetic can be tested and reused on its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_TIME_ZONE = "Asia/Shanghai"

Workdays = Literal["chinese", "weekdays", "all"]
Coverage = Literal["library", "entered", "fallback"]

_ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# Only reachable if every day for a decade is closed (e.g. absurd overrides); better a clear
# error than a request that never returns.
_MAX_CLOSED_DAYS = 3660


# --------------------------------------------------------------------------------------------
# Days
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayOverride:
    """A day an admin entered: it wins over the library and over the weekend fallback."""

    date: date
    is_working: bool
    name: str = ""


def overrides_by_date(items: Iterable[DayOverride]) -> dict[date, DayOverride]:
    """Index overrides for ``WorkingHours``; a later entry for the same date replaces an earlier
    one, so callers can layer "file upload" over "entered by hand" by ordering them."""
    return {item.date: item for item in items}


@lru_cache(maxsize=256)
def library_has_year(year: int) -> bool:
    """Whether chinese-calendar has the State Council's data for ``year``.

    The library raises NotImplementedError (a RuntimeError) for years outside its range, e.g.
    "no available data for year 2027, only year between [2004, 2026] supported" in 1.11.0.
    Asking once per year keeps that exception off the per-day hot path.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except (NotImplementedError, RuntimeError, KeyError, ValueError):
        return False
    return True


def _weekday_rule(d: date) -> bool:
    return d.weekday() < 5


# The library's own is_workday/get_holiday_detail recompute its year range (min/max over every
# known day) on each call, which made a year-long deadline take ~50 ms. Once library_has_year
# has vouched for the year, the same answer comes from its two tables directly: 调休 make-up
# days first, then holidays, then the weekday rule, exactly as get_holiday_detail decides.
_LIBRARY_WORKDAYS: Mapping[date, str] = chinese_calendar.workdays
_LIBRARY_HOLIDAYS: Mapping[date, str] = chinese_calendar.holidays


def _library_is_workday(d: date) -> bool:
    if d in _LIBRARY_WORKDAYS:
        return True
    if d in _LIBRARY_HOLIDAYS:
        return False
    return _weekday_rule(d)


# --------------------------------------------------------------------------------------------
# Calendars
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Calendar(Protocol):
    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` of counted time have elapsed since ``start`` (UTC)."""
        ...

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Counted time between two instants; 0 if ``end <= start``."""
        ...


def _require_aware(value: datetime, what: str) -> None:
    # A naive datetime would silently be read as server-local time and shift every deadline.
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {value!r}")


def _require_non_negative(seconds: float) -> None:
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")


def _to_micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


class AlwaysOpen:
    """24x7: every second counts."""

    def add(self, start: datetime, seconds: float) -> datetime:
        _require_aware(start, "start")
        _require_non_negative(seconds)
        return (start + timedelta(microseconds=_to_micros(seconds))).astimezone(UTC)

    def working_seconds(self, start: datetime, end: datetime) -> float:
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        return (end - start) / _MICROSECOND / 1_000_000

    def __repr__(self) -> str:
        return "AlwaysOpen()"


class WorkingHours:
    """Opening intervals per local day, on the days a workday rule says are working days.

    ``intervals`` are local wall-clock times, sorted and not overlapping; an end of 00:00 means
    midnight at the end of the day, so (00:00, 00:00) is a whole day. Intervals that cross
    midnight are not supported: split them over ``workdays="all"`` days instead.

    Each local day's intervals are converted to UTC separately, so days around a DST change
    are as long as they really are (a 00:00-24:00 day is 23 h or 25 h). A wall time that does
    not exist or is ambiguous resolves like zoneinfo's fold=0 (the earlier offset).
    """

    def __init__(
        self,
        tz: str,
        intervals: tuple[tuple[time, time], ...],
        workdays: Workdays = "chinese",
        overrides: Mapping[date, DayOverride] = MappingProxyType({}),
    ) -> None:
        if workdays not in ("chinese", "weekdays", "all"):
            raise ValueError(f"workdays must be 'chinese', 'weekdays' or 'all', got {workdays!r}")
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.intervals = self._check_intervals(intervals)
        self.workdays: Workdays = workdays
        self.overrides: Mapping[date, DayOverride] = MappingProxyType(dict(overrides))
        self._entered_years = frozenset(d.year for d in self.overrides)
        # Clocks re-ask the same few weeks over and over; converting wall times through
        # zoneinfo is the costly part, so keep recent days. Bounded to stay a small object.
        self._span_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    @staticmethod
    def _check_intervals(intervals: tuple[tuple[time, time], ...]) -> tuple[tuple[time, time], ...]:
        if not intervals:
            raise ValueError("WorkingHours needs at least one opening interval a day")
        previous_end = -1
        for opening, closing in intervals:
            if opening.tzinfo is not None or closing.tzinfo is not None:
                raise ValueError("interval times are wall-clock times; give them without tzinfo")
            start_s = _seconds_of_day(opening)
            end_s = _seconds_of_day(closing) or 86_400
            if end_s <= start_s:
                raise ValueError(f"interval {opening}-{closing} must end after it starts")
            if start_s < previous_end:
                raise ValueError("intervals must be sorted and must not overlap")
            previous_end = end_s
        return tuple(intervals)

    def __repr__(self) -> str:
        spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.intervals)
        return f"WorkingHours({self.tz!r}, [{spans}], workdays={self.workdays!r})"

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        entered = self.overrides.get(d)
        if entered is not None:
            return entered.is_working
        if self.workdays == "all":
            return True
        if self.workdays == "chinese" and library_has_year(d.year):
            return _library_is_workday(d)
        # No data for the year: plain weekends are the safe guess, and never an exception.
        return _weekday_rule(d)

    def holiday_name(self, d: date) -> str | None:
        """The name to show for a holiday or make-up working day, if it has one."""
        entered = self.overrides.get(d)
        if entered is not None:
            return entered.name or None
        if self.workdays == "chinese" and library_has_year(d.year):
            name = _LIBRARY_WORKDAYS.get(d) or _LIBRARY_HOLIDAYS.get(d)
            return str(name) if name else None
        return None

    def coverage(self, year: int) -> Coverage:
        """Where the holiday calendar for ``year`` comes from, for the admin page.

        * "library": chinese-calendar has the year (entered days still win day by day).
        * "entered": the library does not, and an admin entered at least one day in that year.
          One day is enough because the State Council announces a whole year at once, so any
          entered day means someone has transcribed that announcement; the admin page should
          show how many days were entered so a half-finished entry is visible.
        * "fallback": neither; working days are plain Mon-Fri and the page must say so loudly.

        This describes the holiday data regardless of ``workdays``, so the page can warn before
        a branch switches to the Chinese calendar.
        """
        if library_has_year(year):
            return "library"
        if year in self._entered_years:
            return "entered"
        return "fallback"

    def years_without_data(self, years: Iterable[int]) -> list[int]:
        """The years (sorted) whose clocks would run on the weekend fallback.

        Empty unless ``workdays == "chinese"``: other rules never consult holiday data, so
        nothing is missing for them.
        """
        if self.workdays != "chinese":
            return []
        return sorted({y for y in years if self.coverage(y) == "fallback"})

    # -- instants -----------------------------------------------------------------------------

    def _spans(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """Working intervals of local day ``d`` as UTC instants (empty on a closed day)."""
        cached = self._span_cache.get(d)
        if cached is not None:
            return cached
        spans: tuple[tuple[datetime, datetime], ...] = ()
        if self.is_working_day(d):
            out = []
            next_day = d + _ONE_DAY
            for opening, closing in self.intervals:
                start = datetime.combine(d, opening, tzinfo=self.zone).astimezone(UTC)
                end_day = next_day if closing == time(0) else d
                end = datetime.combine(end_day, closing, tzinfo=self.zone).astimezone(UTC)
                if end > start:  # an interval wholly inside a DST gap has no length
                    out.append((start, end))
            spans = tuple(out)
        if len(self._span_cache) >= 4096:
            self._span_cache.clear()
        self._span_cache[d] = spans
        return spans

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def add(self, start: datetime, seconds: float) -> datetime:
        _require_aware(start, "start")
        _require_non_negative(seconds)
        cursor = start.astimezone(UTC)
        # Whole microseconds keep a year of subtractions exact, so add and working_seconds
        # agree with each other to the microsecond.
        remaining = _to_micros(seconds)
        if remaining == 0:
            return cursor
        # A local day's intervals lie inside that day, so earlier days cannot contain time
        # after ``start``: begin at start's own local day.
        day = self._local_date(cursor)
        closed_run = 0
        while True:
            spans = self._spans(day)
            if not spans:
                closed_run += 1
                if closed_run > _MAX_CLOSED_DAYS:
                    raise ValueError(f"no working time for {_MAX_CLOSED_DAYS} days after {start}")
            else:
                closed_run = 0
            for opening, closing in spans:
                if closing <= cursor:
                    continue
                begin = max(opening, cursor)
                available = (closing - begin) // _MICROSECOND
                if remaining <= available:
                    return begin + timedelta(microseconds=remaining)
                remaining -= available
                cursor = closing
            day += _ONE_DAY

    def working_seconds(self, start: datetime, end: datetime) -> float:
        _require_aware(start, "start")
        _require_aware(end, "end")
        a = start.astimezone(UTC)
        b = end.astimezone(UTC)
        if b <= a:
            return 0.0
        total = 0
        day = self._local_date(a)
        last = self._local_date(b)
        while day <= last:
            for opening, closing in self._spans(day):
                lo = max(opening, a)
                hi = min(closing, b)
                if hi > lo:
                    total += (hi - lo) // _MICROSECOND
            day += _ONE_DAY
        return total / 1_000_000


def _seconds_of_day(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


# --------------------------------------------------------------------------------------------
# Pauses
# --------------------------------------------------------------------------------------------

Pause = tuple[datetime, datetime | None]


def _merged_pauses(started_at: datetime, pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses clipped to the clock's start, sorted and merged, so overlaps count once.

    An open pause (end None) runs to infinity and swallows everything after it.
    """
    clipped: list[tuple[datetime, datetime | None]] = []
    for begin, end in pauses:
        _require_aware(begin, "pause start")
        if end is not None:
            _require_aware(end, "pause end")
            if end < begin:
                raise ValueError(f"pause ends ({end}) before it starts ({begin})")
            if end <= started_at:
                continue  # paused before the clock ran: nothing to give back
        clipped.append((max(begin, started_at), end))
    clipped.sort(key=lambda p: p[0])

    merged: list[Pause] = []
    for begin, end in clipped:
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None:
                break  # already paused for good
            if begin <= last_end:
                new_end = None if end is None else max(last_end, end)
                merged[-1] = (last_begin, new_end)
                continue
        merged.append((begin, end))
    return merged


def deadline(
    calendar: Calendar,
    started_at: datetime,
    duration_seconds: float,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """When ``duration_seconds`` of counted time outside pauses have elapsed since ``started_at``.

    "Pauses add their length back" means exactly this: time inside a pause does not count, so
    the deadline moves out by the pause's *working* length under ``calendar`` (an overnight
    pause on a working-hours clock gives back nothing for the night). Overlapping pauses are
    merged first so no second is given back twice; pause time before the start is ignored.

    Returns None while an open pause (end None) holds the clock, unless the deadline fell
    before that pause began: a clock that was already breached stays breached when paused.
    """
    _require_aware(started_at, "started_at")
    _require_non_negative(duration_seconds)
    cursor = started_at
    remaining = float(duration_seconds)
    for begin, end in _merged_pauses(started_at, pauses):
        before = calendar.working_seconds(cursor, begin)
        if remaining <= before:  # due before this pause begins; later pauses cannot help
            return calendar.add(cursor, remaining)
        remaining -= before
        if end is None:
            return None
        cursor = end
    return calendar.add(cursor, remaining)


def elapsed_working_seconds(
    calendar: Calendar,
    started_at: datetime,
    at: datetime,
    pauses: Iterable[Pause] = (),
) -> float:
    """Counted time between ``started_at`` and ``at`` outside pauses (an open pause runs to
    ``at``). The inverse of ``deadline``: at the deadline this equals the duration."""
    _require_aware(started_at, "started_at")
    _require_aware(at, "at")
    total = 0.0
    cursor = started_at
    for begin, end in _merged_pauses(started_at, pauses):
        if begin >= at:
            break
        total += calendar.working_seconds(cursor, begin)
        if end is None or end >= at:
            return total
        cursor = end
    return total + calendar.working_seconds(cursor, at)


# --------------------------------------------------------------------------------------------
# Admin upload
# --------------------------------------------------------------------------------------------

_HOLIDAY_WORDS = {"holiday", "休", "假"}
_WORKDAY_WORDS = {"workday", "班"}


class CalendarFileError(ValueError):
    """A holiday file with bad rows; ``errors`` lists (line, column, message) for each one."""

    def __init__(self, errors: list[tuple[int, str, str]]) -> None:
        self.errors = errors
        lines = "; ".join(
            f"line {line}, column {column}: {message}" for line, column, message in errors
        )
        super().__init__(f"{len(errors)} error(s) in the holiday file: {lines}")


def _parse_day(raw: str) -> date | None:
    # Spreadsheets save dates as 2027/1/1 as often as 2027-01-01; accept both, nothing looser.
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_overrides_file(text: str) -> list[DayOverride]:
    """Parse an admin's CSV of ``date,type,name`` rows into overrides.

    ``type`` is ``holiday``/``休`` (also ``假``) or ``workday``/``班`` (a 调休 make-up working
    day). ``name`` may be empty. A header row starting with ``date``, blank lines and lines
    starting with ``#`` are skipped; a UTF-8 BOM (Excel's "CSV UTF-8") is ignored.
    Every bad row is reported, not just the first, so the admin fixes the file in one go.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    errors: list[tuple[int, str, str]] = []
    result: list[DayOverride] = []
    seen: dict[date, int] = {}
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if cells[0].lower() == "date" and not result and not errors:
            continue
        if len(cells) < 2 or len(cells) > 3:
            errors.append(
                (line, "row", f"expected 2 or 3 columns (date,type,name), got {len(cells)}")
            )
            continue
        raw_date, raw_type = cells[0], cells[1]
        name = cells[2] if len(cells) == 3 else ""
        row_ok = True

        day = _parse_day(raw_date)
        if day is None:
            errors.append((line, "date", f"{raw_date!r} is not a date; write it as YYYY-MM-DD"))
            row_ok = False
        elif day in seen:
            errors.append((line, "date", f"{day} is already given on line {seen[day]}"))
            row_ok = False

        kind = raw_type.lower()
        if kind in _HOLIDAY_WORDS:
            is_working = False
        elif kind in _WORKDAY_WORDS:
            is_working = True
        else:
            errors.append(
                (line, "type", f"{raw_type!r} is not a day type; use holiday/休 or workday/班")
            )
            row_ok = False

        if row_ok and day is not None:
            seen[day] = line
            result.append(DayOverride(day, is_working, name))
    if errors:
        raise CalendarFileError(errors)
    return result
