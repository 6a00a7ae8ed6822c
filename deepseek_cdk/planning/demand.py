"""Expected demand: a tier's `traffic` laid over the capacity calendar's week, and the
instances it keeps busy.

Demand at each moment = peak_rps x the daily pattern's share of the peak, in the traffic's
time zone. The patterns are assumptions, and the plan prints them as such:
- flat: the peak all week;
- business-hours: the peak Monday to Friday 09:00-18:00, a tenth of it otherwise;
- nightly-batch: the peak every day 00:00-06:00, a twentieth of it otherwise.

Target tracking keeps each instance near its target; the plan gives the requests per second
one instance serves there (`rate`). The instances the demand needs, ceil(demand / rate), held
within the calendar's min and max at that moment, averaged over the week, give the expected
cost. Where the calendar's max is below the need, requests queue: the plan counts those hours.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, REFERENCE_MONDAY, CapacityCalendar
from deepseek_cdk.spec import TrafficProfile

MINUTES_PER_DAY = 24 * 60

# Each pattern: (days of the week at peak, 0 = Monday; local hours at peak [from, to); the
# share of the peak outside them).
PATTERNS: dict[str, tuple[range, range, float]] = {
    "flat": (range(7), range(24), 1.0),
    "business-hours": (range(5), range(9, 18), 0.1),
    "nightly-batch": (range(7), range(6), 0.05),
}


@dataclass(frozen=True)
class DemandPlan:
    """What the tier's traffic keeps busy over the reference week (an estimate)."""

    peak_rps: float
    pattern: str
    timezone: str
    rate_per_instance: float  # requests/s one instance (copy) serves at the scaling target
    rate_basis: str
    needed_at_peak: int
    average_rps: float  # the pattern's requests/s averaged over the week
    average_instances: float  # expected, time-weighted, within the calendar's bounds
    hours_short: float  # hours a week the calendar's max is below what demand needs
    assumption: str


def share_of_peak(pattern: str, local_minute_of_week: int) -> float:
    """The pattern's share of the peak at a minute of the week (0 = Monday 00:00 local)."""
    days, hours, otherwise = PATTERNS[pattern]
    day, minute = divmod(local_minute_of_week % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    return 1.0 if day in days and minute // 60 in hours else otherwise


@dataclass(frozen=True)
class DemandStep:
    """From `start` to `end` (minutes after Monday 00:00 UTC): the requests/s, the instances
    (copies) they need, and those held within the capacity calendar's bounds."""

    start: int
    end: int
    rps: float
    needed: int
    held: int


def demand_steps(traffic: TrafficProfile, calendar: CapacityCalendar, *, rate: float) -> list[DemandStep]:
    """The week in steps: between every change of the pattern's share (hour boundaries,
    local) and of the calendar's bounds (segment boundaries, UTC), the requests/s and the
    instances (copies) the demand needs, held within the bounds."""
    offset = REFERENCE_MONDAY.astimezone(ZoneInfo(traffic.timezone)).utcoffset() or timedelta()
    offset_minutes = int(offset.total_seconds() // 60)
    boundaries = sorted(
        {(hour * 60 - offset_minutes) % MINUTES_PER_WEEK for hour in range(7 * 24)}
        | {segment.start for segment in calendar.segments}
        | {0, MINUTES_PER_WEEK}
    )
    steps = []
    for start, end in itertools.pairwise(boundaries):
        segment = next(s for s in calendar.segments if s.start <= start < s.end)
        demand = traffic.peak_rps * share_of_peak(traffic.daily_pattern, start + offset_minutes)
        needed = math.ceil(demand / rate)
        steps.append(DemandStep(start, end, demand, needed, min(max(needed, segment.min), segment.max)))
    return steps


def demand_plan(
    traffic: TrafficProfile, calendar: CapacityCalendar, *, rate: float, rate_basis: str
) -> DemandPlan:
    """Replay the week (demand_steps) and hold the instances the demand needs within the
    calendar's bounds; sum what that keeps busy, and when the max binds."""
    steps = demand_steps(traffic, calendar, rate=rate)
    request_minutes = sum((s.end - s.start) * s.rps for s in steps)
    instance_minutes = sum((s.end - s.start) * s.held for s in steps)
    short_minutes = sum(s.end - s.start for s in steps if s.needed > s.held)
    days, hours, otherwise = PATTERNS[traffic.daily_pattern]
    assumption = (
        "the peak all week"
        if otherwise == 1.0
        else (
            f"the peak {_days(days)} {hours.start:02d}:00-{hours.stop:02d}:00 {traffic.timezone}, "
            f"{otherwise:.0%} of it otherwise"
        )
    )
    return DemandPlan(
        peak_rps=traffic.peak_rps,
        pattern=traffic.daily_pattern,
        timezone=traffic.timezone,
        rate_per_instance=rate,
        rate_basis=rate_basis,
        needed_at_peak=math.ceil(traffic.peak_rps / rate),
        average_rps=request_minutes / MINUTES_PER_WEEK,
        average_instances=instance_minutes / MINUTES_PER_WEEK,
        hours_short=short_minutes / 60,
        assumption=assumption,
    )


def _days(days: range) -> str:
    return "every day" if len(days) == 7 else "Monday-Friday"
