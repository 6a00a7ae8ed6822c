"""Request traffic for the simulator: trace files and built-in scenarios, held as a `Trace`
(three arrays, 16 bytes a request, so a day of heavy traffic fits in memory).

Trace files (CSV with a header):
- per request, the layout of Microsoft's public Azure LLM inference traces:
  `TIMESTAMP,ContextTokens,GeneratedTokens` (a timestamp such as 2023-11-16 18:15:46.6805900,
  then input and output tokens); the replay starts at the first timestamp;
- per minute: `minute,requests` (requests arriving in each minute from the start, spread
  evenly over it, lengths drawn as a scenario's).
Numbers are ASCII digits only; a trace spans at most a week (MAX_SPAN_S) and holds at most
MAX_REQUESTS requests; a file is read line by line, at most MAX_TRACE_BYTES.

Scenarios (one day of random arrivals at per-minute rates relative to a `peak_rps`; from
Monday 00:00 UTC unless the replay is given a start):
- steady: half the peak all day;
- diurnal: a day curve, a tenth of the peak at night up to the peak at 14:00;
- spike: a fifth of the peak, and the full peak for 15 minutes from 12:00;
- launch-day: a fifth of the peak, then the peak from 09:00 to 17:00 (a known event that a
  schedule can prepare for).
Their requests' lengths are drawn, with a fixed seed, from log-normal distributions, the
shape of the public Azure LLM inference traces (AzurePublicDataset, 2023: both token counts
are right-skewed; the conversation trace's input has median 1,020 and mean 1,155, its output
median 129 and mean 211, p90 2.0 x the mean): input with the tier's average and the Azure
trace's spread, output with the tier's average and 90th percentile (traffic.p90_output_tokens,
else twice the average).

`scale` multiplies the number of requests (a trace recorded on a larger or smaller service
fitted to the tier): each request is kept floor(scale) times, plus once more for a
deterministic share of requests equal to the fraction; the copies of a request are spread
over the mean gap between arrivals instead of arriving at the same instant.
"""

from __future__ import annotations

import csv
import heapq
import math
import random
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SECONDS_PER_DAY = 24 * 3600
GOLDEN = (math.sqrt(5) - 1) / 2  # spreads the kept fraction evenly over the requests
AZURE_COLUMNS = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
RATE_COLUMNS = ["minute", "requests"]
MAX_TOKENS = 10_000_000  # per request: far beyond any context; bigger is a broken file
# A replay takes about 10 us a request on these machines (make bench): the cap keeps one
# under two minutes and its arrays under 200 MB. REPLAY_US_PER_REQUEST says how long more
# would take.
MAX_REQUESTS = 10_000_000
REPLAY_US_PER_REQUEST = 10
MAX_SPAN_S = 7 * SECONDS_PER_DAY  # a week: the schedules' period
MAX_TRACE_BYTES = 1 << 30
MAX_SCALE = 1000
SCENARIO_SEED = 2023
# The Azure conversation trace's input spread (median 1,020, mean 1,155): sigma of its log.
INPUT_SIGMA = math.sqrt(2 * math.log(1155 / 1020))
Z90 = 1.2815515655446004  # the standard normal's 90th percentile
SIGNED = re.compile(r"-?[0-9]+", re.ASCII)
# `2023-11-16 18:15:46.6805900`: seconds with up to 7 decimals, optionally Z or an offset.
TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII
)
MONDAY = datetime(2024, 1, 1)  # a Monday, 00:00 UTC: where scenarios start


class TraceError(ValueError):
    """A trace file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Request:
    arrival_s: float  # seconds from the start of the trace
    input_tokens: int
    output_tokens: int


class Trace(Sequence[Request]):
    """Requests in arrival order, as three arrays, and the moment the first one arrived (UTC,
    naive), which places the replay on the schedules' week."""

    def __init__(
        self, arrivals: array[float], inputs: array[int], outputs: array[int], start: datetime
    ) -> None:
        self.arrivals, self.inputs, self.outputs, self.start = arrivals, inputs, outputs, start

    @classmethod
    def of(cls, requests: Iterable[Request], start: datetime = MONDAY) -> Trace:
        if isinstance(requests, Trace):
            return requests
        ordered = sorted(requests, key=lambda r: r.arrival_s)
        return cls(
            array("d", (r.arrival_s for r in ordered)),
            array("q", (r.input_tokens for r in ordered)),
            array("q", (r.output_tokens for r in ordered)),
            start,
        )

    def __len__(self) -> int:
        return len(self.arrivals)

    def __getitem__(self, index: int) -> Request:  # type: ignore[override]
        return Request(self.arrivals[index], self.inputs[index], self.outputs[index])

    def __iter__(self) -> Iterator[Request]:
        return map(Request, self.arrivals, self.inputs, self.outputs)

    @property
    def span_s(self) -> float:
        return self.arrivals[-1] - self.arrivals[0] if self.arrivals else 0.0


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


@dataclass(frozen=True)
class Lengths:
    """How a scenario draws its requests' lengths: log-normal input around `input_tokens`,
    log-normal output with mean `output_tokens` and 90th percentile `p90_output_tokens`."""

    input_tokens: int
    output_tokens: int
    p90_output_tokens: int | None = None  # None: twice the average

    def output_sigma(self) -> float:
        """The log-normal sigma whose p90 / mean is the given ratio: exp(Z90 s - s^2 / 2)."""
        ratio = (self.p90_output_tokens or 2 * self.output_tokens) / self.output_tokens
        if ratio <= 1:
            return 0.0
        # The smaller root of s^2 / 2 - Z90 s + ln(ratio) = 0; past exp(Z90^2 / 2), its vertex.
        return Z90 - math.sqrt(max(0.0, Z90 * Z90 - 2 * math.log(ratio)))

    def drawer(self, seed: int) -> Callable[[], tuple[int, int]]:
        rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
        s_in, s_out = INPUT_SIGMA, self.output_sigma()
        mu_in = math.log(self.input_tokens) - s_in * s_in / 2
        mu_out = math.log(self.output_tokens) - s_out * s_out / 2

        def draw() -> tuple[int, int]:
            return (
                max(1, round(rng.lognormvariate(mu_in, s_in))),
                max(1, round(rng.lognormvariate(mu_out, s_out))),
            )

        return draw


def scenario(name: str, *, peak_rps: float, lengths: Lengths, start: datetime = MONDAY) -> Trace:
    """One day of the named scenario at `peak_rps`, lengths drawn with a fixed seed."""
    shapes = _rate_shapes()
    if name not in shapes:
        raise TraceError(f"scenario: unknown {name!r}; scenarios: {', '.join(SCENARIOS)}")
    per_minute = [shapes[name](minute) * peak_rps * 60 for minute in range(24 * 60)]
    _within_cap(sum(per_minute), f"scenario {name} at {peak_rps:g} requests/s")
    return _poisson(per_minute, lengths, start)


def _poisson(per_minute: list[float], lengths: Lengths, start: datetime) -> Trace:
    """Arrivals at random (a Poisson process at each minute's rate; memoryless, so it restarts
    at each minute exactly), as independent users arrive, with a fixed seed."""
    rng = random.Random(SCENARIO_SEED)  # noqa: S311 - a reproducible trace, not a secret
    draw = lengths.drawer(SCENARIO_SEED + 1)
    arrivals, inputs, outputs = array("d"), array("q"), array("q")
    for minute, rate in enumerate(per_minute):
        if rate <= 0:
            continue
        at, end, per_second = minute * 60.0, (minute + 1) * 60.0, rate / 60
        while (at := at + rng.expovariate(per_second)) < end:
            tokens_in, tokens_out = draw()
            arrivals.append(at)
            inputs.append(tokens_in)
            outputs.append(tokens_out)
    return Trace(arrivals, inputs, outputs, start)


def _within_cap(count: float, what: str) -> None:
    if count > MAX_REQUESTS:
        minutes = count * REPLAY_US_PER_REQUEST / 1e6 / 60
        raise TraceError(
            f"{what}: {count:,.0f} requests, more than a replay holds ({MAX_REQUESTS:,}, about "
            f"{MAX_REQUESTS * REPLAY_US_PER_REQUEST / 1e6 / 60:.0f} minutes); this one would take about "
            f"{minutes:,.0f} minutes: replay a shorter span or a smaller --scale"
        )


def load_trace(path: str | Path, *, lengths: Lengths, scale: float = 1.0) -> Trace:
    """Read a trace file (either layout); a bad line raises TraceError naming it."""
    file = Path(path)
    try:
        if not file.is_file():
            raise TraceError(f"{file}: cannot read the trace (not a regular file)")
        size = file.stat().st_size
        if size > MAX_TRACE_BYTES:
            raise TraceError(f"{file}: {size:,} bytes; a trace file holds at most {MAX_TRACE_BYTES:,}")
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle)
            header = [cell.strip() for cell in next(rows, [])]
            if not header:
                raise TraceError(
                    f"{file}: empty; expected a header {','.join(AZURE_COLUMNS)} or {','.join(RATE_COLUMNS)}"
                )
            if header == AZURE_COLUMNS:
                trace = _azure(file, rows)
            elif header == RATE_COLUMNS:
                trace = _per_minute(file, rows, lengths)
            else:
                raise TraceError(
                    f"{file}:1: unknown header {','.join(header)[:80]!r}; expected {','.join(AZURE_COLUMNS)} "
                    f"(one row per request) or {','.join(RATE_COLUMNS)} (requests per minute)"
                )
    except (OSError, UnicodeDecodeError) as err:
        raise TraceError(f"{file}: cannot read the trace ({err})") from None
    except csv.Error as err:
        raise TraceError(f"{file}: not a CSV trace ({err})") from None
    if not trace:
        raise TraceError(f"{file}: no requests after the header")
    return scaled(trace, scale)


def _timestamp(file: Path, number: int, value: str) -> datetime:
    """A TIMESTAMP as UTC: fractions beyond microseconds dropped, an offset applied."""
    match = TIMESTAMP.match(value.strip())
    if match is None:
        raise TraceError(
            f"{file}:{number}: TIMESTAMP {value[:40]!r} is not a date and time like "
            "2023-11-16 18:15:46.6805900"
        )
    whole, fraction, zone = match.groups()
    try:
        when = datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6]:0<6}")
        if zone:
            when = datetime.fromisoformat(f"{when.isoformat()}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        raise TraceError(f"{file}:{number}: TIMESTAMP {value[:40]!r} is not a valid date and time") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def scaled(requests: Sequence[Request], scale: float) -> Trace:
    """`requests` fitted by `scale` (see the module's docstring)."""
    trace = Trace.of(requests)
    if not 0 < scale <= MAX_SCALE:
        raise TraceError(f"--scale: must be above 0 and at most {MAX_SCALE} (got {scale:g})")
    _within_cap(len(trace) * scale, f"--scale {scale:g}")
    if scale == 1:
        return trace
    whole, fraction = divmod(scale, 1)
    copies = int(whole) + (1 if fraction else 0)
    gap = trace.span_s / max(1, len(trace) - 1)
    streams = []
    for k in range(copies):
        shift = k * gap / copies

        def stream(k: int = k, shift: float = shift) -> Iterator[tuple[float, int, int]]:
            kept_fraction = k == int(whole)
            rows = zip(trace.arrivals, trace.inputs, trace.outputs, strict=True)
            for i, (at, tokens_in, tokens_out) in enumerate(rows):
                if not kept_fraction or (i * GOLDEN) % 1 < fraction:
                    yield at + shift, tokens_in, tokens_out

        streams.append(stream())
    arrivals, inputs, outputs = array("d"), array("q"), array("q")
    for at, tokens_in, tokens_out in heapq.merge(*streams):
        arrivals.append(at)
        inputs.append(tokens_in)
        outputs.append(tokens_out)
    return Trace(arrivals, inputs, outputs, trace.start)


def _azure(file: Path, rows: Iterable[list[str]]) -> Trace:
    start: datetime | None = None
    arrivals, inputs, outputs = array("d"), array("q"), array("q")
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
        if offset < 0 or (arrivals and offset < arrivals[-1]):
            raise TraceError(f"{file}:{number}: TIMESTAMP goes back in time; sort the trace by TIMESTAMP")
        if offset > MAX_SPAN_S:
            raise TraceError(
                f"{file}:{number}: the trace spans more than a week from its first TIMESTAMP "
                f"({offset / SECONDS_PER_DAY:,.1f} days); replay at most a week at a time"
            )
        if len(arrivals) >= MAX_REQUESTS:
            _within_cap(len(arrivals) + 1, f"{file}")
        arrivals.append(offset)
        inputs.append(tokens_in)
        outputs.append(max(1, tokens_out))
    return Trace(arrivals, inputs, outputs, start or MONDAY)


def _per_minute(file: Path, rows: Iterable[list[str]], lengths: Lengths) -> Trace:
    per_minute: list[float] = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 2:
            raise TraceError(f"{file}:{number}: expected 2 columns minute,requests (got {len(row)})")
        minute = _count(file, number, "minute", row[0])
        if minute != len(per_minute):
            raise TraceError(f"{file}:{number}: minute {minute} out of order; expected {len(per_minute)}")
        if minute * 60 > MAX_SPAN_S:
            raise TraceError(
                f"{file}:{number}: the trace spans more than a week; replay at most a week at a time"
            )
        per_minute.append(_count(file, number, "requests", row[1]))
        _within_cap(sum(per_minute), f"{file}")
    return _spread(per_minute, lengths, MONDAY)


def _count(file: Path, number: int, column: str, value: str) -> int:
    """A whole number of ASCII digits (no `1_000`, no other scripts' digits) within 0-MAX_TOKENS."""
    text = value.strip()
    if not SIGNED.fullmatch(text):
        raise TraceError(f"{file}:{number}: {column} {text[:40]!r} is not a whole number (ASCII digits 0-9)")
    count = int(text) if len(text) <= 20 else MAX_TOKENS + 1  # no int() of thousands of digits
    if not 0 <= count <= MAX_TOKENS:
        raise TraceError(f"{file}:{number}: {column} must be 0-{MAX_TOKENS:,} (got {text[:40]})")
    return count


def _spread(per_minute: list[float], lengths: Lengths, start: datetime) -> Trace:
    """Arrivals spread evenly within each minute (fractions carry over to the next), lengths
    drawn with a fixed seed."""
    draw = lengths.drawer(SCENARIO_SEED)
    arrivals, inputs, outputs = array("d"), array("q"), array("q")
    carry = 0.0
    for minute, rate in enumerate(per_minute):
        carry += rate
        count = int(carry)
        carry -= count
        for k in range(count):
            tokens_in, tokens_out = draw()
            arrivals.append(minute * 60 + (k + 0.5) * 60 / count)
            inputs.append(tokens_in)
            outputs.append(tokens_out)
    return Trace(arrivals, inputs, outputs, start)


def week_offset_s(start: datetime) -> float:
    """Seconds from the Monday 00:00 UTC before `start` (naive UTC) to `start`."""
    monday = datetime(start.year, start.month, start.day) - timedelta(days=start.weekday())
    return (start - monday).total_seconds()
