"""`deepseek-cdk loadtest`: drive a real-time or inference-component tier at rising
concurrency, measure what it sustains within the tier's objectives, and write the
measurement in the form the spec takes (`max_rps` and `measured`), so the next plan scales
on a measured rate instead of an estimate. An inference-component tier is driven through its
first live version's component, and measured per copy (one copy fills an instance), the unit
its invocations target counts.

Each level runs `concurrency` clients for `duration` seconds. A client sends the chat
request the router would send (streamed), waits for the whole answer, and sends the next.
Per request: time to first token (TTFT: from the request sent to the first chunk with text
or reasoning), the time of the last token, latency (the whole answer) and the tokens
received (LMI sends one token per chunk; reasoning tokens count). Its time per output token
is TPOT = (last token - first token) / (tokens - 1): undefined for an answer of one token,
and such a request is left out of the TPOT percentiles (and counted). A stream that ends
without a token is an error. Per level: requests and errors, requests/s and output tokens/s
over the level's duration, and TTFT, TPOT and latency at p50 and p90 (nearest rank: the
smallest value with at least q% of the values at or below it), each over the level's
answered requests.

The measured level is the highest concurrency whose p90 TTFT and p90 TPOT meet the tier's
objectives (the plan's `TierPlan.objectives`) with no errors; `max_rps` is its requests/s
per instance (copy) in service, as in AWS's load-test method (SageMaker developer guide,
endpoint-scaling-loadtest), with the objectives in place of a whole-request latency.
Ctrl-C ends the test and keeps what was measured.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from deepseek_cdk.objectives import Objectives
from deepseek_cdk.ops.aws import Clients, aws_call
from deepseek_cdk.ops.invoke import stream_stopped, stream_target
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.runtime.router.contract import StreamStop, model_chunks

COST_CONFIRM_USD = 5.0  # above this, the test needs --yes
EMPTY_STREAM = "empty_stream"  # the error of an answer that ended without a token


@dataclass(frozen=True)
class Sample:
    ttft: float | None  # seconds from the request sent to the first token; None when none came
    latency: float  # seconds to the end of the answer (or the error)
    tokens: int  # output tokens (chunks with text or reasoning)
    last_token: float | None = None  # seconds from the request sent to the last token
    error: str | None = None

    @property
    def tpot_ms(self) -> float | None:
        """Milliseconds per output token after the first: (last - first) / (tokens - 1).
        None (undefined) for fewer than two tokens, or without their times."""
        if self.tokens < 2 or self.ttft is None or self.last_token is None:
            return None
        return (self.last_token - self.ttft) * 1000 / (self.tokens - 1)


@dataclass(frozen=True)
class Level:
    concurrency: int
    seconds: float  # how long the level ran
    samples: tuple[Sample, ...]
    instances: int = 1  # instances (copies) serving at the level's end: per-unit figures divide by it

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.error is None]

    @property
    def errors(self) -> int:
        return len(self.samples) - len(self.ok)

    @property
    def requests_per_second(self) -> float:
        return len(self.ok) / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        """Output tokens/s over the level's duration (reasoning included)."""
        return sum(s.tokens for s in self.ok) / self.seconds if self.seconds > 0 else 0.0

    def latency(self, q: float) -> float | None:
        return percentile([s.latency for s in self.ok], q)

    def ttft(self, q: float) -> float | None:
        """Seconds, over the answered requests."""
        return percentile([s.ttft for s in self.ok if s.ttft is not None], q)

    def tpot_ms(self, q: float) -> float | None:
        """Milliseconds, over the answered requests with a TPOT (two tokens or more)."""
        return percentile([t for s in self.ok if (t := s.tpot_ms) is not None], q)

    @property
    def tpot_undefined(self) -> int:
        """Answered requests left out of TPOT: fewer than two tokens."""
        return sum(1 for s in self.ok if s.tpot_ms is None)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q percent of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def run_level(
    send: Callable[[], Sample],
    concurrency: int,
    duration: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
) -> Level:
    """`concurrency` clients calling `send` until `duration` has passed (or `stop` is set);
    each request started before the end is waited for and counted."""
    stop = stop or threading.Event()
    samples: list[Sample] = []
    lock = threading.Lock()
    start = clock()

    def client() -> None:
        while not stop.is_set() and clock() - start < duration:
            try:
                sample = send()
            except Exception as err:  # a failed request is a sample with its error, not a crash
                sample = Sample(None, 0.0, 0, error=type(err).__name__)
            with lock:
                samples.append(sample)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
    return Level(concurrency, max(clock() - start, 1e-9), tuple(samples))


def with_instances(level: Level, instances: int) -> Level:
    return replace(level, instances=instances)


def runtime_client(region: str | None) -> Any:
    """One SageMaker Runtime client for every load-test thread (a client is thread-safe once
    made), with no retries: a throttled or failed request is counted, not hidden."""
    from deepseek_cdk.ops.aws import boto3_client

    return boto3_client("sagemaker-runtime", region, attempts=1)


def streamed_request(
    tier: TierPlan, body: bytes, runtime: Any, clock: Callable[[], float] = time.monotonic
) -> Sample:
    """One streamed request to the tier's endpoint, measured: its first and last token's
    times (from the request sent) and its tokens; an answer without a token is an error."""
    began = clock()
    result = runtime.invoke_endpoint_with_response_stream(
        **stream_target(tier), ContentType="application/json", Accept="application/json", Body=body
    )
    first: float | None = None
    last: float | None = None
    tokens = 0
    for item in model_chunks(result["Body"], stopped=stream_stopped):
        if isinstance(item, StreamStop):
            return Sample(first, clock() - began, tokens, last, item.kind)
        for choice in item[0].get("choices", []):
            delta = choice.get("delta", {})
            if delta.get("content") or delta.get("reasoning") or delta.get("reasoning_content"):
                tokens += 1
                last = clock() - began
                first = first if first is not None else last
    latency = clock() - began
    return Sample(first, latency, tokens, last, None if tokens else EMPTY_STREAM)


def misses(level: Level, objectives: Objectives) -> list[str]:
    """Why the level cannot be the measured one (empty: it met the objectives without errors).
    An objective the tier does not set (None) bounds nothing."""
    reasons = []
    if not level.ok:
        reasons.append("no answers")
    if level.errors:
        reasons.append(f"{level.errors} error(s)")
    ttft, tpot = level.ttft(90), level.tpot_ms(90)
    if objectives.ttft_p90_s is not None and level.ok:
        if ttft is None:
            reasons.append("p90 TTFT undefined")
        elif ttft > objectives.ttft_p90_s:
            reasons.append(f"p90 TTFT {ttft:.2f} s > {objectives.ttft_p90_s:g} s")
    if objectives.tpot_p90_ms is not None and level.ok:
        if tpot is None:
            reasons.append("p90 TPOT undefined (no answer of two tokens)")
        elif tpot > objectives.tpot_p90_ms:
            reasons.append(f"p90 TPOT {tpot:.1f} ms > {objectives.tpot_p90_ms:g} ms")
    return reasons


def best_level(levels: Sequence[Level], objectives: Objectives) -> Level | None:
    """The highest concurrency whose p90 TTFT and p90 TPOT met the objectives without errors
    (of two such levels at one concurrency, the one with more requests/s)."""
    good = [level for level in levels if not misses(level, objectives)]
    return max(good, key=lambda level: (level.concurrency, level.requests_per_second), default=None)


def max_rps(levels: Sequence[Level], objectives: Objectives) -> float | None:
    """Requests/s one instance sustains: the best level's, per instance in service."""
    best = best_level(levels, objectives)
    return best.requests_per_second / max(1, best.instances) if best else None


def most_units(tier: TierPlan) -> str:
    """What the tier may scale out to under the test: its endpoint's max instances, or on a
    shared fleet its max copies (priced at their GPU share; the fleet's instances bill anyway)."""
    if tier.fleet is not None:
        return f"{tier.capacity.max} copies on fleet {tier.fleet}"
    return f"{tier.capacity.instances_max} instance(s)"


def expected_cost(tier: TierPlan, levels: int, duration: float) -> float | None:
    """At most: the tier's max (most_units) for the whole test (it may scale out under load);
    None when the instance has no price."""
    if tier.cost is None:
        return None
    most = tier.capacity.max if tier.fleet is not None else tier.capacity.instances_max
    return most * tier.cost.price_per_hour * levels * duration / 3600


def level_report(level: Level, objectives: Objectives) -> dict[str, Any]:
    """One level's figures, as `--json` prints them (seconds and milliseconds unrounded)."""
    return {
        "concurrency": level.concurrency,
        "seconds": level.seconds,
        "instances": level.instances,
        "requests": len(level.samples),
        "errors": level.errors,
        "requests_per_second": level.requests_per_second,
        "tokens_per_second": level.tokens_per_second,
        "ttft_p50_seconds": level.ttft(50),
        "ttft_p90_seconds": level.ttft(90),
        "tpot_p50_ms": level.tpot_ms(50),
        "tpot_p90_ms": level.tpot_ms(90),
        "tpot_undefined_requests": level.tpot_undefined,
        "latency_p50_seconds": level.latency(50),
        "latency_p90_seconds": level.latency(90),
        "latency_p99_seconds": level.latency(99),
        "misses": misses(level, objectives),
    }


def render_levels(levels: Sequence[Level], objectives: Objectives) -> str:
    def figures(values: Sequence[float | None], spec: str) -> str:
        return "/".join("-" if value is None else format(value, spec) for value in values)

    lines = [
        "concurrency  requests  errors  req/s  tokens/s  TTFT p50/p90 (s)  TPOT p50/p90 (ms)  "
        "latency p50/p90 (s)  objectives"
    ]
    for level in levels:
        ttft = figures([level.ttft(50), level.ttft(90)], ".2f")
        tpot = figures([level.tpot_ms(50), level.tpot_ms(90)], ".1f")
        latency = figures([level.latency(50), level.latency(90)], ".2f")
        verdict = "; ".join(misses(level, objectives)) or "met"
        lines.append(
            f"{level.concurrency:>11}  {len(level.samples):>8}  {level.errors:>6}  "
            f"{level.requests_per_second:>5.2f}  {level.tokens_per_second:>8.1f}  {ttft:>16}  "
            f"{tpot:>17}  {latency:>19}  {verdict}"
        )
    for level in levels:
        if level.tpot_undefined:
            lines.append(
                f"TPOT undefined for {level.tpot_undefined} answer(s) of one token at concurrency "
                f"{level.concurrency}: left out of its TPOT"
            )
    return "\n".join(lines)


def _rounded(value: float, digits: int) -> float:
    """`value` to `digits` significant digits."""
    return float(f"{value:.{digits}g}")


def _yaml(value: object) -> str:
    """A written value as YAML reads it back: a number never with an exponent (YAML 1.1
    reads `1e+04` as text), a whole number without `.0`, a date quoted (a string)."""
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.removesuffix(".0")
    if isinstance(value, date):
        return f'"{value.isoformat()}"'
    return str(value)


def measurement(tier: TierPlan, best: Level, measured: date) -> dict[str, dict[str, Any]]:
    """What goes into the tier's spec, rounded as written: `scaling.max_rps` and the
    `measured` block, per instance (copy) in service, with the level's TTFT and TPOT at p50
    and p90. An instance never runs more than its copies' batches (copies x max_concurrency)
    at once; more clients only queue."""
    instances = max(1, best.instances)
    block: dict[str, Any] = {
        "tokens_per_second": _rounded(best.tokens_per_second / instances, 4),
        "concurrency": min(tier.max_concurrency * tier.copies, max(1, round(best.concurrency / instances))),
        "instance_type": tier.instance_type,
        "date": measured,
    }
    for key, value in (
        ("ttft_p50_seconds", best.ttft(50)),
        ("ttft_p90_seconds", best.ttft(90)),
        ("tpot_p50_ms", best.tpot_ms(50)),
        ("tpot_p90_ms", best.tpot_ms(90)),
    ):
        if value is not None:  # always, when the tier's objectives bound TTFT and TPOT
            block[key] = _rounded(value, 3)
    return {
        "scaling": {"metric": "invocations", "max_rps": _rounded(best.requests_per_second / instances, 3)},
        "measured": block,
    }


def spec_snippet(tier: TierPlan, best: Level, measured: date) -> str:
    """What to put in the tier's spec so the next plan scales on the measurement and takes its
    throughput and service levels from it."""
    written = measurement(tier, best, measured)
    scaling = ", ".join(f"{key}: {_yaml(value)}" for key, value in written["scaling"].items())
    unit = "copies" if tier.endpoint.per_component else "instance(s)"
    return (
        f"# measured by deepseek-cdk loadtest on {measured.isoformat()}: {max(1, best.instances)} "
        f"{unit} of {tier.instance_type}\n"
        f"tiers:\n"
        f"  - name: {tier.name}\n"
        f"    scaling: {{{scaling}}}\n"
        f"    measured:\n"
        + "".join(f"      {key}: {_yaml(value)}\n" for key, value in written["measured"].items())
    )


def serving_units(tier: TierPlan, clients: Clients) -> int:
    """What serves the test's requests now: the instances of the endpoint's production
    variants, or the copies of the inference component the test drives."""
    target = stream_target(tier)
    sagemaker = clients("sagemaker")
    if "InferenceComponentName" in target:
        name = target["InferenceComponentName"]
        component = aws_call(
            f"sagemaker:DescribeInferenceComponent on {name}",
            sagemaker.describe_inference_component,
            InferenceComponentName=name,
        )
        return int(component.get("RuntimeConfig", {}).get("CurrentCopyCount", 0))
    endpoint = target["EndpointName"]
    described = aws_call(
        f"sagemaker:DescribeEndpoint on {endpoint}", sagemaker.describe_endpoint, EndpointName=endpoint
    )
    return sum(int(v.get("CurrentInstanceCount", 0)) for v in described.get("ProductionVariants", []))
