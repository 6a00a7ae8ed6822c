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

from deepseek_cdk.cron import Cron, parse_at, parse_cron
from deepseek_cdk.spec import Schedule

# A fixed Monday, so the calendar is the same on every run (winter time in the north).
REFERENCE_MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
WEEK = timedelta(days=7)
MINUTES_PER_WEEK = 7 * 24 * 60
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ScheduleConflict(ValueError):
    """A schedule leaves min above max."""


@dataclass(frozen=True)
class CapacitySegment:
    """From `start` to `end` (minutes after Monday 00:00 UTC) the bounds are min..max."""

    start: int
    end: int
    min: int
    max: int

    def describe(self) -> str:
        end = "Sun 24:00" if self.end == MINUTES_PER_WEEK else week_time(self.end)
        return f"{week_time(self.start)}-{end}: {self.min}-{self.max}"


@dataclass(frozen=True)
class CapacityCalendar:
    """A tier's capacity over the week: its min and max in each segment, and the one-offs."""

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
                f"{current[1]} at {week_time(_minute(when))} UTC; set max in the same schedule"
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


def simultaneous_firings(schedules: list[Schedule], *, at: str, start: datetime) -> list[str]:
    """Schedules that fire at the same instant, where which one wins is undefined: crons
    over the year after `start` (every daylight-saving change, every date a dated cron
    names), and one-off times against every other schedule whenever they fall."""
    crons = {i: parse_cron(s.cron) for i, s in enumerate(schedules) if s.cron is not None}
    first: dict[datetime, int] = {}
    clashes: dict[tuple[int, int], datetime] = {}
    for j, schedule in enumerate(schedules):
        for when in sorted(_instants(schedule, crons.get(j), start)):
            i = first.setdefault(when, j)
            if i != j:
                clashes.setdefault((i, j), when)
    for j, schedule in enumerate(schedules):
        if schedule.at is None:
            continue
        moment = parse_at(schedule.at).replace(tzinfo=ZoneInfo(schedule.timezone))
        for i, cron in crons.items():
            if cron.matches(moment.astimezone(ZoneInfo(schedules[i].timezone))):
                clashes.setdefault((min(i, j), max(i, j)), moment.astimezone(UTC))
    return [
        f"{at}.schedules[{j}]: {schedules[j].name!r} fires at the same time as schedules[{i}] "
        f"{schedules[i].name!r} ({when:%a %Y-%m-%d %H:%M} UTC); which one wins is undefined"
        for (i, j), when in sorted(clashes.items())
    ]


def _instants(schedule: Schedule, cron: Cron | None, start: datetime) -> set[datetime]:
    """UTC instants a schedule fires: its one-off time, or a cron's over the year ahead."""
    zone = ZoneInfo(schedule.timezone)
    if cron is None:
        return {parse_at(schedule.at or "").replace(tzinfo=zone).astimezone(UTC)}
    out = set()
    day = start.astimezone(zone).date()
    for _ in range(367):
        if cron.fires_on(day):
            for hour in cron.hours:
                out |= {
                    datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)
                    for minute in cron.minutes
                }
        day += timedelta(days=1)
    return out


def _minute(when: datetime) -> int:
    return int((when - REFERENCE_MONDAY).total_seconds() // 60)


def week_time(minute: int) -> str:
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
