"""Scheduled scenarios laid out as a week-long capacity calendar.

Each schedule sets min and/or max when it fires, and the values stay until another
schedule changes them (Application Auto Scaling semantics). The calendar replays two weeks
of a fixed reference week and keeps the second, so that what was set late in one week
carries into the next. Times are UTC; each cron fires in its own time zone. Cost is the
time-weighted minimum (what the tier costs with no traffic) and maximum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from deepseek_cdk.cron import parse_at, parse_cron
from deepseek_cdk.spec import Schedule

# A fixed Monday, so the calendar is the same on every run (winter time in the north).
REFERENCE_MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
WEEK = timedelta(days=7)
MINUTES_PER_WEEK = 7 * 24 * 60
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ScheduleConflict(ValueError):
    """Two schedules fire at once, or a schedule leaves min above max."""


@dataclass(frozen=True)
class CapacitySegment:
    """From `start` to `end` (minutes after Monday 00:00 UTC) the bounds are min..max."""

    start: int
    end: int
    min: int
    max: int

    def describe(self) -> str:
        end = "Sun 24:00" if self.end == MINUTES_PER_WEEK else _when(self.end)
        return f"{_when(self.start)}-{end}: {self.min}-{self.max}"


@dataclass(frozen=True)
class CapacityCalendar:
    segments: tuple[CapacitySegment, ...]
    one_off: tuple[str, ...]  # schedules outside the weekly calendar (one-offs, dated crons)

    @property
    def average_min(self) -> float:
        return sum((s.end - s.start) * s.min for s in self.segments) / MINUTES_PER_WEEK

    @property
    def average_max(self) -> float:
        return sum((s.end - s.start) * s.max for s in self.segments) / MINUTES_PER_WEEK

    @property
    def lowest_min(self) -> int:
        return min(s.min for s in self.segments)


def capacity_calendar(
    base_min: int, base_max: int, schedules: list[Schedule], *, at: str
) -> CapacityCalendar:
    """Replay the weekly schedules over the reference week; `at` prefixes error paths."""
    events: list[tuple[datetime, int, Schedule]] = []
    one_off: list[str] = []
    for index, schedule in enumerate(schedules):
        if schedule.cron is not None and parse_cron(schedule.cron).weekly:
            events += [(t, index, schedule) for t in _firings(schedule)]
        else:
            one_off.append(schedule.name)
    events.sort(key=lambda e: (e[0], e[1]))
    _check_simultaneous(events, at)

    current = (base_min, base_max)
    week_two = REFERENCE_MONDAY + WEEK
    at_week_start: tuple[int, int] | None = None
    boundaries: list[tuple[int, int, int]] = []  # (minute of week two, min, max) from then on
    for when, index, schedule in events:
        if when >= week_two and at_week_start is None:
            at_week_start = current
        current = (
            schedule.min if schedule.min is not None else current[0],
            schedule.max if schedule.max is not None else current[1],
        )
        if current[0] > current[1]:
            raise ScheduleConflict(
                f"{at}.schedules[{index}]: {schedule.name!r} leaves min {current[0]} above max "
                f"{current[1]} at {_when(_minute(when))} UTC; set max in the same schedule"
            )
        if when >= week_two:
            boundaries.append((_minute(when) - MINUTES_PER_WEEK, *current))
    return CapacityCalendar(_segments(at_week_start or current, boundaries), tuple(one_off))


def _firings(schedule: Schedule) -> list[datetime]:
    """UTC times the weekly cron fires in the two reference weeks."""
    cron = parse_cron(schedule.cron or "")
    zone = ZoneInfo(schedule.timezone)
    first_day: date = (REFERENCE_MONDAY - timedelta(days=1)).date()
    out = []
    for offset in range(16):
        day = first_day + timedelta(days=offset)
        for hour in sorted(cron.hours):
            for minute in sorted(cron.minutes):
                local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                when = local.astimezone(UTC)
                if cron.matches(local) and REFERENCE_MONDAY <= when < REFERENCE_MONDAY + 2 * WEEK:
                    out.append(when)
    return out


def _check_simultaneous(events: list[tuple[datetime, int, Schedule]], at: str) -> None:
    for (t1, i1, s1), (t2, i2, s2) in itertools.pairwise(events):
        if t1 == t2 and i1 != i2:
            raise ScheduleConflict(
                f"{at}.schedules[{i2}]: {s2.name!r} fires at the same time as schedules[{i1}] "
                f"{s1.name!r} ({_when(_minute(t1))} UTC); which one wins is undefined"
            )


def one_off_conflicts(schedules: list[Schedule], *, at: str) -> list[str]:
    """Schedules that fire at exactly the moment of a one-off `at` schedule."""
    moments = {
        i: parse_at(s.at).replace(tzinfo=ZoneInfo(s.timezone))
        for i, s in enumerate(schedules)
        if s.at is not None
    }
    problems = []
    for i, moment in moments.items():
        for j, other in enumerate(schedules):
            same_cron = other.cron is not None and parse_cron(other.cron).matches(
                moment.astimezone(ZoneInfo(other.timezone))
            )
            same_at = j in moments and j > i and moments[j] == moment
            if j != i and (same_cron or same_at):
                problems.append(
                    f"{at}.schedules[{j}]: {other.name!r} fires at the same time as schedules[{i}] "
                    f"{schedules[i].name!r} ({schedules[i].at} {schedules[i].timezone}); which one wins "
                    "is undefined"
                )
    return problems


def _minute(when: datetime) -> int:
    return int((when - REFERENCE_MONDAY).total_seconds() // 60)


def _when(minute: int) -> str:
    """`Mon 08:00` for a minute of the week; the week's end reads as the next Monday."""
    day, rest = divmod(minute % MINUTES_PER_WEEK, 24 * 60)
    return f"{DAYS[day]} {rest // 60:02d}:{rest % 60:02d}"


def _segments(first: tuple[int, int], boundaries: list[tuple[int, int, int]]) -> tuple[CapacitySegment, ...]:
    points = [(0, *first), *boundaries, (MINUTES_PER_WEEK, 0, 0)]
    segments: list[CapacitySegment] = []
    for (start, low, high), (end, _, _) in itertools.pairwise(points):
        if end > start:
            if segments and (segments[-1].min, segments[-1].max) == (low, high):
                segments[-1] = CapacitySegment(segments[-1].start, end, low, high)
            else:
                segments.append(CapacitySegment(start, end, low, high))
    return tuple(segments)
