"""Application Auto Scaling schedule expressions: cron (six fields) and one-off `at`.

Field rules follow PutScheduledAction: `Minutes Hours Day-of-month Month Day-of-week Year`,
Day-of-week 1-7 with 1 = Sunday (or SUN-SAT), and one of Day-of-month / Day-of-week must be
`?`. Supported syntax: `*`, `?`, numbers, names, lists `a,b`, ranges `a-b`, steps `*/n` and
`a/n`. `L`, `W` and `#` are valid for AWS but not supported here, so that every schedule can
be laid out on the planner's capacity calendar; the error says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
# AWS numbering: 1 = SUN ... 7 = SAT.
DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
AT_FORMAT = "%Y-%m-%dT%H:%M:%S"
AT_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,4}")  # ASCII only: str.isdigit() also takes other scripts' digits
# Values one expression may list with ',' over all its fields: as many as a month has days, the
# longest list a scenario needs (the first and fifteenth, three shift changes, four quarters).
# A longer list is a calendar written out by hand, which a range or a step says in a few
# characters; AWS caps the whole expression at 1,600 characters (PutScheduledAction Schedule).
MAX_LISTED_VALUES = 31


@dataclass(frozen=True)
class Field:
    """One field of a cron expression: its name, its range, and the names it takes for numbers."""

    name: str
    low: int
    high: int
    names: dict[str, int]


FIELDS = (
    Field("minutes", 0, 59, {}),
    Field("hours", 0, 23, {}),
    Field("day-of-month", 1, 31, {}),
    Field("month", 1, 12, MONTHS),
    Field("day-of-week", 1, 7, DAYS),
    Field("year", 1970, 2199, {}),
)


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression. `weekly` is true when it repeats every week (no specific
    day of month, month or year), which is what the capacity calendar can lay out."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: any
    months: frozenset[int] | None
    days_of_week: frozenset[int] | None  # AWS numbering, 1 = Sunday; None: any
    years: frozenset[int] | None

    @property
    def weekly(self) -> bool:
        return self.days_of_month is None and self.months is None and self.years is None

    def matches(self, local: datetime) -> bool:
        """Whether the expression fires at `local` (a naive or aware wall-clock time)."""
        return local.minute in self.minutes and local.hour in self.hours and self.fires_on(local.date())

    def fires_on(self, day: date) -> bool:
        """Whether the expression fires at some time of `day` (local)."""
        aws_dow = (day.isoweekday() % 7) + 1  # Monday=1 in ISO -> 2 in AWS; Sunday 7 -> 1
        return (
            (self.days_of_month is None or day.day in self.days_of_month)
            and (self.months is None or day.month in self.months)
            and (self.days_of_week is None or aws_dow in self.days_of_week)
            and (self.years is None or day.year in self.years)
        )

    def fires_from(self, day: date) -> bool:
        """Whether the expression fires on `day` or later."""
        return self.first_day_from(day) is not None

    def first_day_from(self, day: date) -> date | None:
        """The first day on or after `day` the expression fires, or None when it never does:
        searched over the years its year field names from `day` on, or without one over eight
        years, which hold every date a calendar repeats, 29 February included."""
        years = (
            sorted(y for y in self.years if y >= day.year) if self.years else range(day.year, day.year + 9)
        )
        for year in years:
            current = max(day, date(year, 1, 1))
            while current.year == year:
                if self.fires_on(current):
                    return current
                current += timedelta(days=1)
        return None


def parse_cron(expression: str) -> Cron:
    """Parse `0 8 ? * MON-FRI *` (also accepted inside `cron(...)`); ValueError says why not."""
    text = expression.strip()
    if text.startswith("cron(") and text.endswith(")"):
        text = text[5:-1].strip()
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise ValueError(
            "needs the six fields Minutes Hours Day-of-month Month Day-of-week Year, "
            f"e.g. '0 8 ? * MON-FRI *' (got {len(parts)} fields)"
        )
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise ValueError("exactly one of Day-of-month and Day-of-week must be '?'")
    listed = sum(len(part.split(",")) for part in parts if "," in part)
    if listed > MAX_LISTED_VALUES:
        raise ValueError(
            f"lists {listed} values with ','; at most {MAX_LISTED_VALUES} (a month's days): write a range "
            "(a-b) or a step (*/n), or split the scenario into schedules"
        )
    values = [_parse_field(part, field) for part, field in zip(parts, FIELDS, strict=True)]
    minutes = values[0] if values[0] is not None else frozenset(range(60))
    hours = values[1] if values[1] is not None else frozenset(range(24))
    return Cron(" ".join(parts), minutes, hours, values[2], values[3], values[4], values[5])


def parse_at(timestamp: str) -> datetime:
    """Parse a one-off `at` time, `2030-03-01T06:00:00` (also accepted inside `at(...)`)."""
    text = timestamp.strip()
    if text.startswith("at(") and text.endswith(")"):
        text = text[3:-1]
    try:
        if not AT_PATTERN.fullmatch(text):
            raise ValueError(text)
        return datetime.strptime(text, AT_FORMAT)
    except ValueError:
        raise ValueError("must be a time like 2030-03-01T06:00:00 (yyyy-mm-ddThh:mm:ss)") from None


def _parse_field(text: str, field: Field) -> frozenset[int] | None:
    """The set of values `text` selects, or None for `*` / `?` (any)."""
    if text in ("*", "?"):
        if text == "?" and field.name not in ("day-of-month", "day-of-week"):
            raise ValueError(f"{field.name}: '?' is only allowed in Day-of-month and Day-of-week")
        return None
    selected: set[int] = set()
    for item in text.split(","):
        selected |= _parse_item(item, field)
    return frozenset(selected)


def _parse_item(item: str, field: Field) -> set[int]:
    base, _, step_text = item.partition("/")
    step = 1
    if step_text:
        if not _DIGITS.fullmatch(step_text) or int(step_text) < 1:
            raise ValueError(f"{field.name}: step must be a whole number >= 1 (got {item!r})")
        step = int(step_text)
    if base == "*":
        low, high = field.low, field.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _value(first, field), _value(last, field)
        if low > high:
            raise ValueError(f"{field.name}: range {base!r} runs backwards")
    else:
        low = _value(base, field)
        high = field.high if step_text else low
    return set(range(low, high + 1, step))


def _value(text: str, field: Field) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if re.search(r"[LW#]", upper):
        raise ValueError(f"{field.name}: 'L', 'W' and '#' are not supported by deepseek-cdk (got {text!r})")
    if not _DIGITS.fullmatch(text) or not field.low <= int(text) <= field.high:
        names = f" or {'/'.join(field.names)}" if field.names else ""
        raise ValueError(f"{field.name}: {text!r} is not {field.low}-{field.high}{names}")
    return int(text)
