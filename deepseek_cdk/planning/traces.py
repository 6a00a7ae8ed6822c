"""Request traffic for the simulator: trace files and built-in scenarios.

Trace files (CSV with a header):
- per request, the layout of Microsoft's public Azure LLM inference traces:
  `TIMESTAMP,ContextTokens,GeneratedTokens` (a timestamp such as 2023-11-16 18:15:46.6805900,
  then input and output tokens);
- per minute: `minute,requests` (requests arriving in each minute from the start, spread
  evenly over it, each of the tier's average lengths).

Scenarios (one day from Monday 00:00 UTC, per-minute rates relative to a `peak_rps`):
- steady: half the peak all day;
- diurnal: a day curve, a tenth of the peak at night up to the peak at 14:00;
- spike: a fifth of the peak, and the full peak for 15 minutes from 12:00;
- launch-day: a fifth of the peak, then the peak from 09:00 to 17:00 (a known event that a
  schedule can prepare for).

`scale` multiplies the number of requests (a trace recorded on a larger or smaller service
fitted to the tier): each request is kept floor(scale) times, plus once more for a
deterministic share of requests equal to the fraction.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SECONDS_PER_DAY = 24 * 3600
GOLDEN = (math.sqrt(5) - 1) / 2  # spreads the kept fraction evenly over the requests
AZURE_COLUMNS = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
RATE_COLUMNS = ["minute", "requests"]
MAX_TOKENS = 10_000_000  # per request: far beyond any context; bigger is a broken file
MAX_REQUESTS = 5_000_000  # a replay's memory stays within a few GB
MAX_SCALE = 1000
# `2023-11-16 18:15:46.6805900`: seconds with up to 7 decimals, optionally Z or an offset.
TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII
)


class TraceError(ValueError):
    """A trace file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Request:
    arrival_s: float  # seconds from the start of the trace
    input_tokens: int
    output_tokens: int


def _rate_shapes() -> dict[str, Callable[[int], float]]:
    """Per scenario: the share of the peak at a minute of the day."""

    def diurnal(minute: int) -> float:
        hour = minute / 60
        return 0.1 + 0.9 * max(0.0, math.cos((hour - 14) / 24 * 2 * math.pi)) ** 2

    return {
        "steady": lambda minute: 0.5,
        "diurnal": diurnal,
        "spike": lambda minute: 1.0 if 720 <= minute < 735 else 0.2,
        "launch-day": lambda minute: 1.0 if 540 <= minute < 1020 else 0.2,
    }


SCENARIOS = tuple(_rate_shapes())


def scenario(name: str, *, peak_rps: float, input_tokens: int, output_tokens: int) -> list[Request]:
    """One day of the named scenario at `peak_rps`, every request of the given lengths."""
    shapes = _rate_shapes()
    if name not in shapes:
        raise TraceError(f"scenario: unknown {name!r}; scenarios: {', '.join(SCENARIOS)}")
    per_minute = [shapes[name](minute) * peak_rps * 60 for minute in range(24 * 60)]
    return _spread(per_minute, input_tokens, output_tokens)


def load_trace(
    path: str | Path, *, input_tokens: int, output_tokens: int, scale: float = 1.0
) -> list[Request]:
    """Read a trace file (either layout); a bad line raises TraceError naming it."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TraceError(f"{file}: cannot read the trace ({err})") from None
    rows = list(csv.reader(lines))
    if not rows:
        raise TraceError(
            f"{file}: empty; expected a header {','.join(AZURE_COLUMNS)} or {','.join(RATE_COLUMNS)}"
        )
    header = [cell.strip() for cell in rows[0]]
    if header == AZURE_COLUMNS:
        requests = _azure(file, rows[1:])
    elif header == RATE_COLUMNS:
        requests = _per_minute(file, rows[1:], input_tokens, output_tokens)
    else:
        raise TraceError(
            f"{file}:1: unknown header {','.join(header)!r}; expected {','.join(AZURE_COLUMNS)} "
            f"(one row per request) or {','.join(RATE_COLUMNS)} (requests per minute)"
        )
    if not requests:
        raise TraceError(f"{file}: no requests after the header")
    return scaled(requests, scale)


def _timestamp(file: Path, number: int, value: str) -> datetime:
    """A TIMESTAMP as UTC: fractions beyond microseconds dropped, an offset applied."""
    match = TIMESTAMP.match(value.strip())
    if match is None:
        raise TraceError(
            f"{file}:{number}: TIMESTAMP {value!r} is not a date and time like 2023-11-16 18:15:46.6805900"
        )
    whole, fraction, zone = match.groups()
    try:
        when = datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6]:0<6}")
        if zone:
            when = datetime.fromisoformat(f"{when.isoformat()}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        raise TraceError(f"{file}:{number}: TIMESTAMP {value!r} is not a valid date and time") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def scaled(requests: list[Request], scale: float) -> list[Request]:
    """`requests` fitted by `scale` (see the module's docstring)."""
    if not 0 < scale <= MAX_SCALE:
        raise TraceError(f"--scale: must be above 0 and at most {MAX_SCALE} (got {scale:g})")
    if len(requests) * scale > MAX_REQUESTS:
        raise TraceError(
            f"the replay would hold {len(requests) * scale:,.0f} requests; at most {MAX_REQUESTS:,}"
        )
    whole, fraction = divmod(scale, 1)
    out = []
    for i, request in enumerate(requests):
        copies = int(whole) + (1 if (i * GOLDEN) % 1 < fraction else 0)
        out += [request] * copies
    return out


def _azure(file: Path, rows: Iterable[list[str]]) -> list[Request]:
    start: datetime | None = None
    requests: list[Request] = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 3:
            raise TraceError(
                f"{file}:{number}: expected 3 columns {','.join(AZURE_COLUMNS)} (got {len(row)})"
            )
        when = _timestamp(file, number, row[0])
        tokens_in, tokens_out = (
            _count(file, number, "ContextTokens", row[1]),
            _count(file, number, "GeneratedTokens", row[2]),
        )
        start = start or when
        offset = (when - start).total_seconds()
        if offset < 0 or (requests and offset < requests[-1].arrival_s):
            raise TraceError(f"{file}:{number}: TIMESTAMP goes back in time; sort the trace by TIMESTAMP")
        requests.append(Request(offset, tokens_in, max(1, tokens_out)))
    return requests


def _per_minute(
    file: Path, rows: Iterable[list[str]], input_tokens: int, output_tokens: int
) -> list[Request]:
    per_minute: list[float] = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 2:
            raise TraceError(f"{file}:{number}: expected 2 columns minute,requests (got {len(row)})")
        minute = _count(file, number, "minute", row[0])
        if minute != len(per_minute):
            raise TraceError(f"{file}:{number}: minute {minute} out of order; expected {len(per_minute)}")
        per_minute.append(_count(file, number, "requests", row[1]))
    if sum(per_minute) > MAX_REQUESTS:
        raise TraceError(f"{file}: {sum(per_minute):,.0f} requests; a replay holds at most {MAX_REQUESTS:,}")
    return _spread(per_minute, input_tokens, output_tokens)


def _count(file: Path, number: int, column: str, value: str) -> int:
    try:
        count = int(value.strip())
    except ValueError:
        raise TraceError(f"{file}:{number}: {column} {value!r} is not a whole number") from None
    if not 0 <= count <= MAX_TOKENS:
        raise TraceError(f"{file}:{number}: {column} must be 0-{MAX_TOKENS:,} (got {count})")
    return count


def _spread(per_minute: list[float], input_tokens: int, output_tokens: int) -> list[Request]:
    """Arrivals spread evenly within each minute; fractions carry over to the next."""
    requests: list[Request] = []
    carry = 0.0
    for minute, rate in enumerate(per_minute):
        carry += rate
        count = int(carry)
        carry -= count
        requests += [
            Request(minute * 60 + (k + 0.5) * 60 / count, input_tokens, output_tokens) for k in range(count)
        ]
    return requests
