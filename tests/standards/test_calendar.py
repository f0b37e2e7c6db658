"""Deadline clocks follow a calendar: 24x7, or working hours on the mainland-China calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.standards.calendar import (
    AlwaysOpen,
    Calendar,
    CalendarFileError,
    DayOverride,
    WorkingHours,
    deadline,
    elapsed_working_seconds,
    library_has_year,
    overrides_by_date,
    parse_overrides_file,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
OFFICE = ((time(8, 30), time(12, 0)), (time(13, 30), time(18, 0)))  # 8 h a day, lunch gap

# The first year chinese-calendar has no data for (2027 with 1.11.0). Computed rather than
# written down so these tests keep testing "a year without data" after a library upgrade.
UNKNOWN_YEAR = max(chinese_calendar.holidays).year + 1


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def office(**kwargs: object) -> WorkingHours:
    return WorkingHours("Asia/Shanghai", OFFICE, **kwargs)  # type: ignore[arg-type]


def first(weekday: int, year: int) -> date:
    d = date(year, 1, 1)
    return d + timedelta(days=(weekday - d.weekday()) % 7)


# -- 24x7 -------------------------------------------------------------------------------------


def test_24x7_deadline_is_start_plus_duration() -> None:
    start = sh(2025, 10, 1, 9, 0)  # a holiday makes no difference to a 24x7 clock
    assert AlwaysOpen().add(start, 24 * HOUR) == sh(2025, 10, 2, 9, 0)
    assert AlwaysOpen().working_seconds(start, sh(2025, 10, 2, 9, 0)) == 24 * HOUR


def test_both_calendars_satisfy_the_protocol_and_answer_in_utc() -> None:
    for calendar in (AlwaysOpen(), office()):
        assert isinstance(calendar, Calendar)
        assert calendar.add(sh(2025, 6, 3, 9, 0), HOUR).utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        office().add(datetime(2025, 6, 3, 9, 0), HOUR)


def test_working_time_between_an_instant_and_an_earlier_one_is_zero() -> None:
    assert office().working_seconds(sh(2025, 6, 3, 10, 0), sh(2025, 6, 3, 9, 0)) == 0


# -- working hours ----------------------------------------------------------------------------


def test_working_hours_skip_lunch_gap() -> None:
    # Tuesday 11:00 + 2 h: one hour before lunch, the second after 13:30.
    assert office().add(sh(2025, 6, 3, 11, 0), 2 * HOUR) == sh(2025, 6, 3, 14, 30)
    assert office().working_seconds(sh(2025, 6, 3, 11, 0), sh(2025, 6, 3, 14, 30)) == 2 * HOUR


def test_a_clock_started_outside_working_hours_counts_from_the_next_opening() -> None:
    assert office().add(sh(2025, 6, 3, 7, 0), HOUR) == sh(2025, 6, 3, 9, 30)
    assert office().add(sh(2025, 6, 3, 12, 15), HOUR) == sh(2025, 6, 3, 14, 30)
    # Friday evening -> Monday morning.
    assert office().add(sh(2025, 6, 6, 19, 0), HOUR) == sh(2025, 6, 9, 9, 30)


def test_a_deadline_that_lands_on_closing_time_is_closing_time() -> None:
    assert office().add(sh(2025, 6, 3, 17, 0), HOUR) == sh(2025, 6, 3, 18, 0)


def test_a_deadline_that_crosses_the_national_day_holiday_resumes_after_it() -> None:
    # 2025 National Day + Mid-Autumn: 10-01..10-08 off. Tuesday 09-30 16:00 + one 8 h day:
    # 2 h on Tuesday, then nothing until Thursday 10-09 (3.5 h morning, 2.5 h afternoon).
    assert not chinese_calendar.is_workday(date(2025, 10, 8))
    assert office().add(sh(2025, 9, 30, 16, 0), 8 * HOUR) == sh(2025, 10, 9, 16, 0)
    assert office().holiday_name(date(2025, 10, 3)) == "National Day"


def test_make_up_working_saturday_counts() -> None:
    # 2025-10-11 is a Saturday worked in exchange (调休) for the National Day holiday.
    saturday = date(2025, 10, 11)
    assert saturday.weekday() == 5
    assert office().is_working_day(saturday)
    assert office().add(sh(2025, 10, 10, 17, 0), 2 * HOUR) == sh(2025, 10, 11, 9, 30)
    # The same clock on a plain Mon-Fri policy waits for Monday.
    weekdays = office(workdays="weekdays")
    assert weekdays.add(sh(2025, 10, 10, 17, 0), 2 * HOUR) == sh(2025, 10, 13, 9, 30)


def test_make_up_working_sunday_before_the_holiday_counts_too() -> None:
    assert date(2025, 9, 28).weekday() == 6
    assert office().is_working_day(date(2025, 9, 28))


def test_a_policy_open_every_day_ignores_holidays() -> None:
    assert office(workdays="all").is_working_day(date(2025, 10, 1))


def test_working_hours_follow_the_branch_time_zone_across_a_dst_change() -> None:
    berlin = WorkingHours("Europe/Berlin", ((time(8, 0), time(17, 0)),), workdays="weekdays")
    friday_4pm = datetime(2025, 3, 28, 16, 0, tzinfo=BERLIN)  # CET, UTC+1
    # 1 h on Friday, the second hour from 08:00 CEST (UTC+2) on Monday.
    due = berlin.add(friday_4pm, 2 * HOUR)
    assert due == datetime(2025, 3, 31, 9, 0, tzinfo=BERLIN)
    assert due == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)


def test_a_whole_day_is_23_or_25_hours_on_the_days_the_clocks_change() -> None:
    all_day = WorkingHours("Europe/Berlin", ((time(0), time(0)),), workdays="all")
    spring = datetime(2025, 3, 30, tzinfo=BERLIN)
    autumn = datetime(2025, 10, 26, tzinfo=BERLIN)
    assert all_day.working_seconds(spring, spring + timedelta(days=1)) == 23 * HOUR
    assert all_day.working_seconds(autumn, datetime(2025, 10, 27, tzinfo=BERLIN)) == 25 * HOUR


def test_intervals_that_overlap_or_run_backwards_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkingHours("Asia/Shanghai", ((time(9), time(12)), (time(11), time(14))))
    with pytest.raises(ValueError):
        WorkingHours("Asia/Shanghai", ((time(18), time(8)),))
    with pytest.raises(ValueError):
        WorkingHours("Asia/Shanghai", ())


# -- years the library does not know ----------------------------------------------------------


def test_year_without_library_data_falls_back_to_weekends_without_raising() -> None:
    # The library itself refuses the year...
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(UNKNOWN_YEAR, 1, 4))
    assert not library_has_year(UNKNOWN_YEAR)
    # ...but clocks keep running on plain Mon-Fri.
    calendar = office()
    saturday, monday = first(5, UNKNOWN_YEAR), first(0, UNKNOWN_YEAR)
    assert not calendar.is_working_day(saturday)
    assert calendar.is_working_day(first(2, UNKNOWN_YEAR))
    friday_evening = datetime.combine(saturday - timedelta(days=1), time(17), tzinfo=SHANGHAI)
    assert calendar.add(friday_evening, 2 * HOUR) == datetime.combine(
        monday if monday > saturday else monday + timedelta(days=7), time(9, 30), tzinfo=SHANGHAI
    )
    assert calendar.holiday_name(date(UNKNOWN_YEAR, 1, 1)) is None
    assert calendar.coverage(UNKNOWN_YEAR) == "fallback"
    assert calendar.years_without_data(range(2025, UNKNOWN_YEAR + 2)) == [
        UNKNOWN_YEAR,
        UNKNOWN_YEAR + 1,
    ]


def test_a_clock_running_from_a_known_year_into_an_unknown_one_does_not_raise() -> None:
    last_known = date(UNKNOWN_YEAR - 1, 12, 31)
    start = datetime.combine(last_known, time(9), tzinfo=SHANGHAI)
    due = office().add(start, 30 * 8 * HOUR)
    assert due.astimezone(SHANGHAI).year == UNKNOWN_YEAR


def test_years_before_the_library_range_fall_back_too() -> None:
    assert not library_has_year(2003)
    assert office().coverage(2003) == "fallback"
    assert office().is_working_day(date(2003, 10, 1))  # a Wednesday, no data: counted


def test_policies_that_never_use_holiday_data_have_no_missing_years() -> None:
    assert office(workdays="weekdays").years_without_data([UNKNOWN_YEAR]) == []


def test_entered_days_win_over_library() -> None:
    calendar = office(
        overrides=overrides_by_date(
            [
                DayOverride(date(2025, 10, 1), True, "branch on duty"),
                DayOverride(date(2025, 10, 11), False, "branch closed"),
            ]
        )
    )
    assert calendar.is_working_day(date(2025, 10, 1))
    assert not calendar.is_working_day(date(2025, 10, 11))
    assert calendar.holiday_name(date(2025, 10, 11)) == "branch closed"
    assert calendar.coverage(2025) == "library"


def test_entered_days_cover_a_year_the_library_does_not_know() -> None:
    new_year = date(UNKNOWN_YEAR, 1, 1)
    make_up = first(5, UNKNOWN_YEAR)  # some Saturday, entered as a make-up working day
    calendar = office(
        overrides=overrides_by_date(
            [DayOverride(new_year, False, "元旦"), DayOverride(make_up, True, "元旦调休")]
        )
    )
    assert not calendar.is_working_day(new_year)
    assert calendar.is_working_day(make_up)
    assert calendar.holiday_name(new_year) == "元旦"
    assert calendar.coverage(UNKNOWN_YEAR) == "entered"
    assert calendar.years_without_data([UNKNOWN_YEAR, UNKNOWN_YEAR + 1]) == [UNKNOWN_YEAR + 1]


# -- pauses -----------------------------------------------------------------------------------


def test_pause_adds_its_length_back() -> None:
    # A 24 h clock from 09:00 day 1, paused 10:00-18:00: 8 h back, due 17:00 day 2.
    start = sh(2025, 6, 3, 9, 0)
    pauses = [(sh(2025, 6, 3, 10, 0), sh(2025, 6, 3, 18, 0))]
    assert deadline(AlwaysOpen(), start, 24 * HOUR, pauses) == sh(2025, 6, 4, 17, 0)


def test_overlapping_pauses_count_once() -> None:
    start = sh(2025, 6, 3, 9, 0)
    pauses = [
        (sh(2025, 6, 3, 12, 0), sh(2025, 6, 3, 18, 0)),
        (sh(2025, 6, 3, 10, 0), sh(2025, 6, 3, 14, 0)),
        (sh(2025, 6, 3, 11, 0), sh(2025, 6, 3, 12, 0)),  # inside both
    ]
    assert deadline(AlwaysOpen(), start, 24 * HOUR, pauses) == sh(2025, 6, 4, 17, 0)


def test_a_pause_on_a_working_hours_clock_gives_back_only_working_time() -> None:
    # Paused from 17:00 to 09:00 next morning: only 17:00-18:00 and 08:30-09:00 counted.
    start = sh(2025, 6, 3, 9, 0)
    pauses = [(sh(2025, 6, 3, 17, 0), sh(2025, 6, 4, 9, 0))]
    assert deadline(office(), start, 8 * HOUR, pauses) == sh(2025, 6, 4, 10, 30)


def test_an_open_pause_holds_the_clock() -> None:
    start = sh(2025, 6, 3, 9, 0)
    assert deadline(AlwaysOpen(), start, 24 * HOUR, [(sh(2025, 6, 3, 10, 0), None)]) is None


def test_pausing_a_clock_that_already_ran_out_does_not_undo_the_breach() -> None:
    start = sh(2025, 6, 3, 9, 0)
    late_pause = [(sh(2025, 6, 5, 10, 0), None)]
    assert deadline(AlwaysOpen(), start, 24 * HOUR, late_pause) == sh(2025, 6, 4, 9, 0)


def test_pause_time_before_the_clock_started_gives_nothing_back() -> None:
    start = sh(2025, 6, 3, 9, 0)
    pauses = [(sh(2025, 6, 3, 7, 0), sh(2025, 6, 3, 10, 0)), (sh(2025, 6, 2, 0), sh(2025, 6, 2, 5))]
    assert deadline(AlwaysOpen(), start, 24 * HOUR, pauses) == sh(2025, 6, 4, 10, 0)


def test_elapsed_time_stops_during_a_pause_and_reaches_the_duration_at_the_deadline() -> None:
    start = sh(2025, 6, 3, 9, 0)
    pauses = [(sh(2025, 6, 3, 10, 0), sh(2025, 6, 3, 18, 0))]
    clock = AlwaysOpen()
    assert elapsed_working_seconds(clock, start, sh(2025, 6, 3, 15, 0), pauses) == HOUR
    assert elapsed_working_seconds(clock, start, sh(2025, 6, 4, 17, 0), pauses) == 24 * HOUR
    open_pause = [(sh(2025, 6, 3, 10, 0), None)]
    assert elapsed_working_seconds(clock, start, sh(2025, 6, 9, 0, 0), open_pause) == HOUR


# -- admin upload -----------------------------------------------------------------------------


def test_a_holiday_file_with_header_bom_comments_and_chinese_types_parses() -> None:
    text = (
        "\ufeffdate,type,name\n"
        "# 2027 from the State Council notice\n"
        "2027-01-01,休,元旦\n"
        "\n"
        "2027/2/20,班,春节调休\n"
        "2027-10-01,holiday,National Day\n"
        "2027-10-09,workday\n"
    )
    assert parse_overrides_file(text) == [
        DayOverride(date(2027, 1, 1), False, "元旦"),
        DayOverride(date(2027, 2, 20), True, "春节调休"),
        DayOverride(date(2027, 10, 1), False, "National Day"),
        DayOverride(date(2027, 10, 9), True, ""),
    ]


def test_file_errors_name_line_and_column() -> None:
    text = (
        "date,type,name\n"
        "2027-01-01,休,元旦\n"
        "2027-13-01,休,no such month\n"
        "2027-02-20,off,what is off\n"
        "2027-01-01,班,again\n"
        "2027-03-01\n"
        "2027-04-31,maybe,both wrong\n"
    )
    with pytest.raises(CalendarFileError) as raised:
        parse_overrides_file(text)
    where = [(line, column) for line, column, _ in raised.value.errors]
    assert where == [(3, "date"), (4, "type"), (5, "date"), (6, "row"), (7, "date"), (7, "type")]
    assert "line 2" in raised.value.errors[2][2]  # the duplicate names the first occurrence
    assert "line 3, column date" in str(raised.value)


# -- properties -------------------------------------------------------------------------------

CALENDARS = {
    "24x7": AlwaysOpen(),
    "shanghai office": office(),
    "berlin weekdays, whole days": WorkingHours(
        "Europe/Berlin", ((time(7, 0), time(0, 0)),), workdays="weekdays"
    ),
    "berlin split shift": WorkingHours(
        "Europe/Berlin", ((time(1, 30), time(2, 45)), (time(9), time(12)), (time(13), time(17)))
    ),
}
calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(UNKNOWN_YEAR + 1, 12, 31),
    timezones=st.just(UTC),
)
durations = st.floats(min_value=0, max_value=120 * 24 * HOUR, allow_nan=False)
FAST = settings(max_examples=150, deadline=None, database=None)


@FAST
@given(calendars, instants, durations)
def test_working_time_up_to_the_deadline_is_the_duration(
    calendar: Calendar, start: datetime, duration: float
) -> None:
    due = calendar.add(start, duration)
    assert due >= start
    assert abs(calendar.working_seconds(start, due) - duration) <= 1


@FAST
@given(calendars, instants, durations, durations)
def test_a_longer_duration_never_gives_an_earlier_deadline(
    calendar: Calendar, start: datetime, a: float, b: float
) -> None:
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@FAST
@given(
    calendars,
    instants,
    st.floats(min_value=0, max_value=30 * 24 * HOUR, allow_nan=False),
    st.lists(
        st.tuples(
            st.integers(-3 * 24 * 60, 40 * 24 * 60), st.integers(0, 5 * 24 * 60)
        ),  # (offset from start, length), in minutes
        max_size=4,
    ),
)
def test_at_the_deadline_the_unpaused_working_time_is_the_duration(
    calendar: Calendar, start: datetime, duration: float, raw: list[tuple[int, int]]
) -> None:
    pauses = [
        (start + timedelta(minutes=offset), start + timedelta(minutes=offset + length))
        for offset, length in raw
    ]
    due = deadline(calendar, start, duration, pauses)
    assert due is not None
    assert abs(elapsed_working_seconds(calendar, start, due, pauses) - duration) <= 1
    assert due >= calendar.add(start, duration)  # pauses only ever push a deadline out
