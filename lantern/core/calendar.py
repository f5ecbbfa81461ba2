"""The business-day calendar for England and Wales: working days, working hours and deadlines built on them.

Two kinds of timescale run on it (DESIGN §2):

* **Working days** — "a decision within 1 working day of receipt", "an assessment within 45 working days". A
  working day is a weekday that is not a bank holiday in England and Wales (substitute days included). Every
  calendar counts working days the same way: statutory timescales do not change with an agency's opening
  hours.
* **Working hours** — the MASH RAG acknowledgement times (red 2 h, amber 6 h, green 24 h). An agency's working
  hours are a daily window on working days (09:00–17:00 by default), or around the clock for agencies that
  never close, such as the police, where every hour of every day counts.

Conventions, chosen to match what a practitioner reads off a calendar:

* ``add_working_days(date, n)`` is the n-th working day after the date; the day itself is not counted.
  ``n = 0`` gives the date itself if it is a working day, else the next working day.
* ``add_working_days(datetime, n)`` keeps the time of day: a referral received on Friday at 16:00 with one
  working day to decide is due on Monday at 16:00. A start on a non-working day counts from the start of the
  next working day, so one received on Saturday is due at the end of Monday (23:59:59.999999). ``n = 0`` gives
  the start itself on a working day, else 00:00 on the next working day.
* ``add_working_hours`` stops the clock outside working hours. A deadline that falls exactly at closing time
  is given as closing time (17:00 Friday), not as the next opening (09:00 Monday); the two are the same amount
  of working time away.
* Datetimes must be timezone-aware (a naive one raises ``ValueError``) and are read on London's clocks; the
  clocks change at 01:00 UTC on a Sunday, never a working day, so a working day's hours are always the hours
  on the clock, while around-the-clock arithmetic counts real elapsed time across a change. Results are aware
  datetimes in UTC, as Django keeps them: Python compares two datetimes in one zone by wall clock, which would
  misorder times in the hour that repeats when the clocks go back.
"""

import functools
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
ONE_DAY = timedelta(days=1)
END_OF_DAY = time.max


@functools.lru_cache(maxsize=256)
def bank_holidays(year: int) -> Mapping[date, str]:
    """England and Wales bank holidays in a year, substitute days included, as date → name (cached)."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=year, observed=True)
    return MappingProxyType({day: name for day, name in sorted(days.items()) if day.year == year})


def _weekdays_up_to(ordinal: int) -> int:
    """Weekdays from 1 January of year 1 (a Monday) to the day with this ordinal, inclusive."""
    weeks, days = divmod(ordinal, 7)
    return weeks * 5 + min(days, 5)


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"The number of working days must be a whole number, not {n!r}.")
    if n < 0:
        raise ValueError(f"The number of working days cannot be negative (got {n}).")


def _as_duration(hours: float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        amount = hours
    elif isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError(f"Working hours must be a number of hours or a timedelta, not {hours!r}.")
    elif not math.isfinite(hours):
        raise ValueError(f"Working hours must be finite, not {hours!r}.")
    else:
        amount = timedelta(hours=hours)
    if amount < timedelta(0):
        raise ValueError(f"Working hours cannot be negative (got {hours!r}).")
    return amount


def _as_offset(value: int | time, *, name: str) -> timedelta:
    if isinstance(value, time):
        return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24:
        raise ValueError(f"The {name} hour must be a whole number from 0 to 24 or a time, not {value!r}.")
    return timedelta(hours=value)


class WorkingCalendar:
    """Working days in England and Wales, and working-hour arithmetic over an agency's daily working hours.

    ``hours=(9, 17)`` (the default) counts 09:00 to 17:00 on working days; the ends may be whole hours or
    ``datetime.time`` values. ``hours=None`` counts every hour of every day, for agencies that work around the
    clock. Working days are the same whatever the hours.
    """

    # England and Wales only: the bank holidays are theirs, and London's clocks change on a Sunday.
    tz = LONDON

    def __init__(self, *, hours: tuple[int | time, int | time] | None = (9, 17)) -> None:
        self.hours = hours
        if hours is None:
            self._opens = self._closes = None
        else:
            opens, closes = hours
            self._opens = _as_offset(opens, name="opening")
            self._closes = _as_offset(closes, name="closing")
            if self._opens >= self._closes:
                raise ValueError(f"Working hours must open before they close (got {hours!r}).")

    def __repr__(self) -> str:
        return f"WorkingCalendar(hours={self.hours!r})"

    @property
    def around_the_clock(self) -> bool:
        """True if every hour of every day is working time."""
        return self.hours is None

    # Working days
    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"A timezone-aware datetime is needed, not the naive {moment!r}.")
        return moment.astimezone(self.tz)

    def _day(self, day: date | datetime) -> date:
        if isinstance(day, datetime):
            return self._local(day).date()
        if isinstance(day, date):
            return day
        raise TypeError(f"A date or datetime is needed, not {day!r}.")

    def is_working_day(self, day: date | datetime) -> bool:
        """True if the day (a date, or an aware datetime's London date) is a weekday, not a bank holiday."""
        day = self._day(day)
        return day.weekday() < 5 and day not in bank_holidays(day.year)

    def next_working_day(self, day: date | datetime) -> date:
        """The day itself if it is a working day, else the first working day after it."""
        day = self._day(day)
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def _nth_working_day_after(self, day: date, n: int) -> date:
        while n > 0:
            day += ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def add_working_days(self, start: date | datetime, n: int) -> date | datetime:
        """The deadline n working days after `start`: a date for a date, an aware datetime for a datetime.

        The day of `start` is not counted. A datetime keeps its time of day; a datetime on a non-working day
        counts from the start of the next working day, so its deadline is the end of the n-th working day
        counting that one as the first.
        """
        _check_count(n)
        if isinstance(start, datetime):
            local = self._local(start)
            day = local.date()
            if self.is_working_day(day):
                target = self._nth_working_day_after(day, n)
                return self._aware(datetime.combine(target, local.time()))
            first = self.next_working_day(day)
            if n == 0:
                return self._aware(datetime.combine(first, time.min))
            return self._aware(datetime.combine(self._nth_working_day_after(first, n - 1), END_OF_DAY))
        day = self._day(start)
        return self.next_working_day(day) if n == 0 else self._nth_working_day_after(day, n)

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """How many working days fall after `start` and on or before `end` (negative if `end` is earlier).

        Datetimes count by their London date. It inverts `add_working_days`:
        ``working_days_between(d, add_working_days(d, n)) == n`` for n ≥ 1, and for n = 0 when d is a
        working day.
        """
        first, last = self._day(start), self._day(end)
        if last < first:
            return -self.working_days_between(last, first)
        weekdays = _weekdays_up_to(last.toordinal()) - _weekdays_up_to(first.toordinal())
        closed = sum(
            1
            for year in range(first.year, last.year + 1)
            for day in bank_holidays(year)
            if first < day <= last and day.weekday() < 5
        )
        return weekdays - closed

    # Working hours
    def _window(self, day: date) -> tuple[datetime, datetime]:
        midnight = datetime.combine(day, time.min)
        return midnight + self._opens, midnight + self._closes

    def _aware(self, naive: datetime) -> datetime:
        """A London wall-clock time as an aware datetime in UTC."""
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def is_working_time(self, moment: datetime) -> bool:
        """True if the moment is within working hours (opening and closing times included)."""
        local = self._local(moment)
        if self.around_the_clock:
            return True
        naive = local.replace(tzinfo=None)
        # The day before too: with hours ending at 24:00, midnight is the close of the previous day.
        return any(
            self.is_working_day(day) and self._window(day)[0] <= naive <= self._window(day)[1]
            for day in (naive.date(), naive.date() - ONE_DAY)
        )

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment when `hours` of working time have passed since `start` (hours may be a timedelta).

        Outside working hours the clock is stopped, so a start out of hours counts from the next opening.
        """
        amount = _as_duration(hours)
        local = self._local(start)
        if self.around_the_clock:
            return local.astimezone(UTC) + amount
        cursor = local.replace(tzinfo=None)
        day = cursor.date()
        while True:
            if self.is_working_day(day):
                opens, closes = self._window(day)
                cursor = max(cursor, opens)
                if cursor <= closes:
                    if amount <= closes - cursor:
                        return self._aware(cursor + amount)
                    amount -= closes - cursor
            day += ONE_DAY
            cursor = datetime.combine(day, time.min)

    def working_hours_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from `start` to `end` (negative if `end` is earlier); the inverse of adding it."""
        first, last = self._local(start), self._local(end)
        if last < first:
            return -self.working_hours_between(last, first)
        if self.around_the_clock:
            return last.astimezone(UTC) - first.astimezone(UTC)
        first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
        total = timedelta(0)
        day = first.date()
        while day <= last.date():
            if self.is_working_day(day):
                opens, closes = self._window(day)
                overlap = min(closes, last) - max(opens, first)
                if overlap > timedelta(0):
                    total += overlap
            day += ONE_DAY
        return total


OFFICE_HOURS = WorkingCalendar(hours=(9, 17))
"""The default calendar: 09:00–17:00 on working days."""

AROUND_THE_CLOCK = WorkingCalendar(hours=None)
"""For agencies that work every hour of every day, such as the police."""


def is_working_day(day: date | datetime) -> bool:
    """True if the day is a weekday and not an England and Wales bank holiday."""
    return OFFICE_HOURS.is_working_day(day)


def next_working_day(day: date | datetime) -> date:
    """The day itself if it is a working day, else the first working day after it."""
    return OFFICE_HOURS.next_working_day(day)


def add_working_days(start: date | datetime, n: int) -> date | datetime:
    """The deadline n working days after `start` (see `WorkingCalendar.add_working_days`)."""
    return OFFICE_HOURS.add_working_days(start, n)


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """How many working days fall after `start` and on or before `end`."""
    return OFFICE_HOURS.working_days_between(start, end)


def is_working_time(moment: datetime) -> bool:
    """True if the moment is within 09:00–17:00 on a working day."""
    return OFFICE_HOURS.is_working_time(moment)


def add_working_hours(start: datetime, hours: float | timedelta) -> datetime:
    """The moment `hours` of 09:00–17:00 working time after `start`."""
    return OFFICE_HOURS.add_working_hours(start, hours)


def working_hours_between(start: datetime, end: datetime) -> timedelta:
    """The 09:00–17:00 working time from `start` to `end`."""
    return OFFICE_HOURS.working_hours_between(start, end)
