"""When a spec's schedule first fires: never (a one-off in the past or in a daylight saving
jump, a cron naming no date ahead) and too far ahead are refused, each as one line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from deepseek_cdk.cron import parse_at, parse_cron
from deepseek_cdk.spec.models import Schedule
from deepseek_cdk.spec.wording import shown

MAX_YEARS_AHEAD = 5


def never_fires(where: str, sched: Schedule) -> list[str]:
    """A schedule that cannot fire as written: a one-off time in the past or at a local time
    its time zone skips, a cron whose dates do not exist (30 February) or lie in past years,
    or a first firing more than MAX_YEARS_AHEAD years from today."""
    zone = ZoneInfo(sched.timezone)
    now = datetime.now(zone)
    horizon = _years_later(now.date(), MAX_YEARS_AHEAD)
    far = f"more than {MAX_YEARS_AHEAD} years ahead (after {horizon}); a schedule plans a scenario"
    if sched.at is not None:
        local = parse_at(sched.at)
        if (jump := _skipped(local, zone)) is not None:
            return [
                f"{where}.at: {sched.at} does not exist in {sched.timezone}: the clocks jump forward "
                f"{jump.seconds // 60} minutes over it that night (daylight saving time), and AWS does "
                "not document when such an action fires; give a time outside the jump"
            ]
        if local.replace(tzinfo=zone) <= now:
            return [f"{where}.at: {sched.at} in {sched.timezone} is in the past, so it would never fire"]
        if local.date() > horizon:
            return [f"{where}.at: {sched.at} is {far} you know of; check the year"]
    if sched.cron is not None:
        first = parse_cron(sched.cron).first_day_from(now.date())
        if first is None:
            return [
                f"{where}.cron: never fires from today on: its days, months and years name no date "
                f"ahead (got {shown(sched.cron)})"
            ]
        if first > horizon:
            return [f"{where}.cron: first fires on {first.isoformat()}, {far} you know of; check the year"]
    return []


def _years_later(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29th that year lacks)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _skipped(local: datetime, zone: ZoneInfo) -> timedelta | None:
    """How far the clocks jump forward over `local` (naive) in `zone` when that wall-clock
    time does not exist there (daylight saving time starting), else None. A time that
    exists comes back unchanged from a round trip through UTC; one in the jump does not."""
    back = local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return None if back == local else back - local
