"""The business-day calendar: England and Wales working days, working hours, and deadlines across DST."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lantern.core import calendar
from lantern.core.calendar import AROUND_THE_CLOCK, LONDON, OFFICE_HOURS, WorkingCalendar

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
counts = st.integers(min_value=0, max_value=80)
# Aware datetimes, some given in London time and some in UTC, as callers will pass both.
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2060, 12, 31),
    timezones=st.sampled_from([LONDON, UTC]),
    allow_imaginary=False,
)
# Whole minutes keep the round trip exact; up to three working weeks.
durations = st.integers(min_value=0, max_value=15 * 8 * 60).map(lambda minutes: timedelta(minutes=minutes))
calendars = st.sampled_from(
    [
        OFFICE_HOURS,
        AROUND_THE_CLOCK,
        WorkingCalendar(hours=(time(8, 30), time(16, 45))),
        WorkingCalendar(hours=(0, 24)),
    ]
)


def london(*args) -> datetime:
    """A Europe/London wall-clock time."""
    return datetime(*args, tzinfo=LONDON)


# Known bank holidays
@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),  # Boxing Day 2026 is a Saturday
        (date(2027, 3, 26), "Good Friday"),
        (date(2027, 3, 29), "Easter Monday"),
        (date(2027, 5, 3), "May Day"),
        (date(2027, 5, 31), "Spring Bank Holiday"),
        (date(2027, 8, 30), "Late Summer Bank Holiday"),
        (date(2027, 12, 27), "Christmas Day (observed)"),  # Christmas 2027 is a Saturday
        (date(2027, 12, 28), "Boxing Day (observed)"),  # and Boxing Day a Sunday
        (date(2028, 1, 3), "New Year's Day (observed)"),
        (date(2023, 5, 8), "Coronation of Charles III"),
    ],
)
def test_bank_holidays_include_substitute_days(day, name):
    """England and Wales bank holidays, with substitute days for those at a weekend, are not working days."""
    assert calendar.bank_holidays(day.year)[day] == name
    assert not calendar.is_working_day(day)


def test_ordinary_days():
    """Weekdays are working days and weekends are not."""
    assert calendar.is_working_day(date(2026, 12, 29))  # Tuesday
    assert not calendar.is_working_day(date(2026, 12, 26))  # Saturday
    assert not calendar.is_working_day(date(2026, 12, 27))  # Sunday
    assert calendar.is_working_day(date(2026, 12, 24))  # Christmas Eve is not a bank holiday


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # over Christmas, a weekend and substitute Boxing Day
        (date(2027, 12, 24), 1, date(2027, 12, 29)),  # over two substitute days
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # over Easter
        (date(2027, 4, 30), 1, date(2027, 5, 4)),  # over the early May bank holiday
        (date(2027, 5, 28), 1, date(2027, 6, 1)),  # over the spring bank holiday
        (date(2027, 8, 27), 1, date(2027, 8, 31)),  # over the summer bank holiday
        (date(2026, 6, 5), 1, date(2026, 6, 8)),  # Friday to Monday
        (date(2026, 6, 6), 1, date(2026, 6, 8)),  # received Saturday: due Monday
        (date(2026, 6, 6), 0, date(2026, 6, 8)),  # day 0 is the next working day
        (date(2026, 6, 8), 0, date(2026, 6, 8)),
        (date(2026, 6, 1), 45, date(2026, 8, 3)),  # a 45-working-day assessment over no bank holidays
        (date(2026, 12, 1), 15, date(2026, 12, 22)),
        (date(2026, 12, 14), 15, date(2027, 1, 7)),  # over Christmas and New Year
    ],
)
def test_add_working_days_known_cases(start, n, due):
    """Deadlines in working days skip weekends and England and Wales bank holidays."""
    assert calendar.add_working_days(start, n) == due
    assert calendar.working_days_between(start, due) == (n if calendar.is_working_day(start) or n else 1)


def test_datetime_deadline_keeps_the_time_of_day():
    """Received Friday 16:00 with 1 working day: due Monday 16:00. Received Saturday: due end of Monday."""
    assert calendar.add_working_days(london(2026, 6, 5, 16, 0), 1) == london(2026, 6, 8, 16, 0)
    assert calendar.add_working_days(london(2026, 6, 6, 10, 0), 1) == london(2026, 6, 8, 23, 59, 59, 999999)
    assert calendar.add_working_days(london(2026, 6, 6, 10, 0), 0) == london(2026, 6, 8, 0, 0)
    assert calendar.add_working_days(london(2026, 12, 24, 11, 30), 1) == london(2026, 12, 29, 11, 30)


def test_datetime_deadline_across_clock_changes():
    """Across a clock change the deadline keeps its wall-clock time, in the new offset."""
    spring = calendar.add_working_days(london(2026, 3, 27, 16, 0), 1)  # clocks go forward on Sunday 29 March
    assert spring == london(2026, 3, 30, 16, 0)
    assert spring.astimezone(LONDON).utcoffset() == timedelta(hours=1)
    autumn = calendar.add_working_days(datetime(2026, 10, 23, 15, 0, tzinfo=UTC), 1)  # 16:00 BST
    assert autumn == london(2026, 10, 26, 16, 0)
    assert autumn.astimezone(LONDON).utcoffset() == timedelta(0)


def test_working_hours_known_cases():
    """RAG acknowledgement times stop the clock outside 09:00–17:00 on working days, except for the police."""
    friday_four = london(2026, 6, 5, 16, 0)
    assert calendar.add_working_hours(friday_four, 2) == london(2026, 6, 8, 10, 0)  # red
    assert calendar.add_working_hours(london(2026, 6, 5, 15, 0), 6) == london(2026, 6, 8, 13, 0)  # amber
    assert calendar.add_working_hours(london(2026, 6, 8, 10, 0), 24) == london(2026, 6, 11, 10, 0)  # green
    # Due exactly at closing time; and started out of hours.
    assert calendar.add_working_hours(london(2026, 6, 5, 15, 0), 2) == london(2026, 6, 5, 17, 0)
    assert calendar.add_working_hours(london(2026, 6, 6, 12, 0), 1) == london(2026, 6, 8, 10, 0)
    assert calendar.add_working_hours(london(2026, 12, 24, 16, 0), 2) == london(2026, 12, 29, 10, 0)
    assert calendar.add_working_hours(friday_four, timedelta(minutes=90)) == london(2026, 6, 8, 9, 30)
    assert AROUND_THE_CLOCK.add_working_hours(friday_four, 2) == london(2026, 6, 5, 18, 0)
    assert AROUND_THE_CLOCK.add_working_hours(london(2026, 6, 6, 23, 0), 2) == london(2026, 6, 7, 1, 0)


def test_working_hours_across_clock_changes():
    """Office-hours deadlines keep wall-clock hours; around-the-clock deadlines count real elapsed time."""
    monday = calendar.add_working_hours(london(2026, 3, 27, 16, 0), 2)
    assert monday == london(2026, 3, 30, 10, 0)
    assert monday - london(2026, 3, 27, 16, 0) == timedelta(hours=65)  # an hour is lost overnight on Sunday
    # 00:30 GMT on 29 March 2026 plus one hour is 02:30 BST: the hour from 01:00 to 02:00 does not exist.
    early = AROUND_THE_CLOCK.add_working_hours(london(2026, 3, 29, 0, 30), 1)
    assert early == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert early.astimezone(LONDON).hour == 2
    # 00:30 BST on 25 October 2026 plus two hours is 01:30 GMT: the hour from 01:00 to 02:00 happens twice.
    late = AROUND_THE_CLOCK.add_working_hours(london(2026, 10, 25, 0, 30), 2)
    assert late == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    local = late.astimezone(LONDON)
    assert (local.hour, local.fold, local.utcoffset()) == (1, 1, timedelta(0))
    # Ordered correctly across the repeated hour (on London's wall clock, 01:15 BST would sort after it).
    assert AROUND_THE_CLOCK.add_working_hours(london(2026, 10, 25, 0, 30), timedelta(minutes=45)) < late
    long_day = AROUND_THE_CLOCK.working_hours_between(london(2026, 10, 25, 0, 0), london(2026, 10, 26, 0, 0))
    assert long_day == timedelta(hours=25)


def test_configurable_hours():
    """An agency's own working hours are honoured, and nonsensical hours are refused."""
    early = WorkingCalendar(hours=(time(8, 30), time(16, 30)))
    assert early.add_working_hours(london(2026, 6, 5, 16, 0), 1) == london(2026, 6, 8, 9, 0)
    assert early.is_working_time(london(2026, 6, 5, 8, 30))
    assert not early.is_working_time(london(2026, 6, 5, 8, 29))
    # Every hour of a working day, but no weekend or bank holiday hours.
    all_day = WorkingCalendar(hours=(0, 24))
    assert all_day.add_working_hours(london(2026, 6, 5, 23, 0), 2) == london(2026, 6, 8, 1, 0)
    assert all_day.add_working_hours(london(2026, 6, 5, 23, 0), 1) == london(2026, 6, 6, 0, 0)  # Friday's end
    assert all_day.is_working_time(london(2026, 6, 6, 0, 0))
    assert not all_day.is_working_time(london(2026, 6, 6, 0, 1))
    with pytest.raises(ValueError, match="open before they close"):
        WorkingCalendar(hours=(17, 9))
    with pytest.raises(ValueError, match="from 0 to 24"):
        WorkingCalendar(hours=(9, 25))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: calendar.add_working_days(datetime(2026, 6, 5, 16, 0), 1), "timezone-aware"),
        (lambda: calendar.add_working_hours(datetime(2026, 6, 5, 16, 0), 1), "timezone-aware"),
        (lambda: calendar.add_working_days(date(2026, 6, 5), -1), "cannot be negative"),
        (lambda: calendar.add_working_days(date(2026, 6, 5), 1.5), "whole number"),
        (lambda: calendar.add_working_hours(london(2026, 6, 5, 16, 0), "2"), "number of hours"),
        (lambda: calendar.add_working_hours(london(2026, 6, 5, 16, 0), -2), "cannot be negative"),
        (lambda: calendar.add_working_hours(london(2026, 6, 5, 16, 0), float("nan")), "finite"),
    ],
)
def test_bad_input_is_refused(call, message):
    """Naive datetimes, negative or fractional day counts, and negative or infinite hours are refused."""
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# Properties of working days
@given(day=dates, n=counts)
def test_deadline_is_a_working_day(day, n):
    """Every deadline in working days falls on a working day."""
    assert calendar.is_working_day(calendar.add_working_days(day, n))


@given(day=dates, n=counts)
def test_deadline_is_monotonic_in_n(day, n):
    """One more working day never gives an earlier deadline, and gives a later one once counting has begun."""
    this, following = calendar.add_working_days(day, n), calendar.add_working_days(day, n + 1)
    assert this <= following
    if n >= 1 or calendar.is_working_day(day):
        assert this < following


@given(first=dates, second=dates, n=counts)
def test_deadline_is_monotonic_in_start(first, second, n):
    """A later start never gives an earlier deadline."""
    first, second = sorted([first, second])
    assert calendar.add_working_days(first, n) <= calendar.add_working_days(second, n)


@given(day=dates, n=counts)
def test_working_days_between_inverts_add(day, n):
    """Counting the working days to a deadline gives back n (n = 0 only from a working day)."""
    assume(n >= 1 or calendar.is_working_day(day))
    assert calendar.working_days_between(day, calendar.add_working_days(day, n)) == n


@given(low=dates, span=st.integers(min_value=0, max_value=800))
def test_working_days_between_counts_each_working_day(low, span):
    """The fast count equals counting day by day, and swapping the ends changes only the sign."""
    high = low + timedelta(days=span)
    slow = sum(calendar.is_working_day(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))
    assert calendar.working_days_between(low, high) == slow
    assert calendar.working_days_between(high, low) == -slow


@given(day=dates, n=st.integers(min_value=1, max_value=80))
def test_deadline_skips_every_non_working_day(day, n):
    """The n days counted are the working days after the start: weekends and bank holidays are skipped."""
    due = calendar.add_working_days(day, n)
    between = [day + timedelta(days=i) for i in range(1, (due - day).days + 1)]
    assert sum(calendar.is_working_day(d) for d in between) == n


@given(start=moments, n=counts)
def test_datetime_deadline_matches_date_deadline(start, n):
    """A datetime deadline falls on its London date's deadline, at the same time if begun on a working day."""
    due = calendar.add_working_days(start, n).astimezone(LONDON)
    local = start.astimezone(LONDON)
    assert due.date() == calendar.add_working_days(local.date(), n)
    assert calendar.is_working_day(due)
    if calendar.is_working_day(local):
        assert due.time() == local.time()


@given(first=moments, second=moments, n=counts)
def test_datetime_deadline_is_monotonic(first, second, n):
    """A later start, or more days, never gives an earlier datetime deadline."""
    first, second = sorted([first, second])
    assert calendar.add_working_days(first, n) <= calendar.add_working_days(second, n)
    assert calendar.add_working_days(first, n) <= calendar.add_working_days(first, n + 1)


# Properties of working hours
@given(cal=calendars, start=moments, amount=durations)
def test_working_hours_deadline_is_working_time(cal, start, amount):
    """Every working-hours deadline is within working hours, and given in UTC."""
    due = cal.add_working_hours(start, amount)
    assert cal.is_working_time(due)
    assert due.tzinfo == UTC
    assert due >= start


@given(cal=calendars, start=moments, amount=durations, extra=durations)
def test_working_hours_deadline_is_monotonic(cal, start, amount, extra):
    """More hours never give an earlier deadline."""
    assert cal.add_working_hours(start, amount) <= cal.add_working_hours(start, amount + extra)


@given(cal=calendars, first=moments, second=moments, amount=durations)
def test_working_hours_deadline_is_monotonic_in_start(cal, first, second, amount):
    """A later start never gives an earlier deadline."""
    first, second = sorted([first, second])
    assert cal.add_working_hours(first, amount) <= cal.add_working_hours(second, amount)


@given(cal=calendars, start=moments, amount=durations)
def test_working_hours_between_inverts_add(cal, start, amount):
    """The working time from a start to its deadline is exactly the time added."""
    due = cal.add_working_hours(start, amount)
    assert cal.working_hours_between(start, due) == amount
    assert cal.working_hours_between(due, start) == -amount


@given(start=moments, amount=durations)
def test_office_hours_never_count_a_closed_day(start, amount):
    """No working time accrues on a weekend or bank holiday."""
    due = OFFICE_HOURS.add_working_hours(start, amount)
    day = start.astimezone(LONDON).date()
    while day <= due.date():
        if not calendar.is_working_day(day):
            opens, closes = datetime.combine(day, time.min, LONDON), datetime.combine(day, time.max, LONDON)
            assert calendar.working_hours_between(opens, closes) == timedelta(0)
        day += timedelta(days=1)
