"""`deepseek-cdk loadtest`: drive a real-time or inference-component tier at rising
concurrency, measure what it sustains, and write the measurement in the form the spec takes
(`max_rps`), so the next plan scales on a measured rate instead of an estimate. An
inference-component tier is driven through its first live version's component, and measured
per copy (one copy fills an instance), the unit its invocations target counts.

Each level runs `concurrency` clients for `duration` seconds. A client sends the chat
request the router would send (streamed), waits for the whole answer, and sends the next.
Per request: time to first token (the first chunk with text or reasoning), latency (the
whole answer) and the chunks received (LMI sends one token per chunk). Per level: requests
and errors, requests/s and tokens/s over the level's duration, and latency and time to
first token at p50, p90 and p99 (nearest rank: the smallest value with at least q% of the
values at or below it).

`max_rps` is AWS's load-test method (SageMaker developer guide, endpoint-scaling-loadtest):
the highest requests/s per instance among the levels whose p90 latency meets the tier's SLO
(every level, without an SLO) and that had no errors, divided by the instances (copies) in
service.
Ctrl-C ends the test and keeps what was measured.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from deepseek_cdk.ops.aws import Clients, aws_call
from deepseek_cdk.ops.invoke import stream_target
from deepseek_cdk.planning import TierPlan

COST_CONFIRM_USD = 5.0  # above this, the test needs --yes


@dataclass(frozen=True)
class Sample:
    ttft: float | None  # seconds to the first token; None when none came
    latency: float  # seconds to the end of the answer (or the error)
    tokens: int
    error: str | None = None


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
        return sum(s.tokens for s in self.ok) / self.seconds if self.seconds > 0 else 0.0

    def latency(self, q: float) -> float | None:
        return percentile([s.latency for s in self.ok], q)

    def ttft(self, q: float) -> float | None:
        return percentile([s.ttft for s in self.ok if s.ttft is not None], q)


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
                sample = Sample(None, 0.0, 0, type(err).__name__)
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
    """One streamed request to the tier's endpoint, measured."""
    import json

    from deepseek_cdk.runtime.router.streaming import events

    began = clock()
    result = runtime.invoke_endpoint_with_response_stream(
        **stream_target(tier), ContentType="application/json", Accept="application/json", Body=body
    )
    first: float | None = None
    tokens = 0
    for event in events(result["Body"]):
        data = event.strip().removeprefix(b"data:").strip()
        if data == b"[DONE]":
            break
        chunk = json.loads(data)
        if "error" in chunk:
            return Sample(first, clock() - began, tokens, str(chunk["error"].get("type", "error")))
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            if delta.get("content") or delta.get("reasoning") or delta.get("reasoning_content"):
                tokens += 1
                first = first if first is not None else clock() - began
    return Sample(first, clock() - began, tokens)


def best_level(levels: Sequence[Level], slo_seconds: float | None) -> Level | None:
    """The level with the most requests/s among those that met the SLO without errors."""
    good = [
        level
        for level in levels
        if level.ok
        and level.errors == 0
        and (slo_seconds is None or (level.latency(90) or math.inf) <= slo_seconds)
    ]
    return max(good, key=lambda level: level.requests_per_second, default=None)


def max_rps(levels: Sequence[Level], slo_seconds: float | None) -> float | None:
    """Requests/s one instance sustains: the best level's, per instance in service."""
    best = best_level(levels, slo_seconds)
    return best.requests_per_second / max(1, best.instances) if best else None


def expected_cost(tier: TierPlan, levels: int, duration: float) -> float | None:
    """At most: the tier's max instances for the whole test (it may scale out under load);
    None when the instance has no price."""
    if tier.cost is None:
        return None
    return tier.capacity.instances_max * tier.cost.price_per_hour * levels * duration / 3600


def render_levels(levels: Sequence[Level]) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        "concurrency  requests  errors  req/s  tokens/s  latency p50/p90/p99 (s)  first token p50/p90 (s)"
    ]
    for level in levels:
        latency = "/".join(seconds(level.latency(q)) for q in (50, 90, 99))
        ttft = "/".join(seconds(level.ttft(q)) for q in (50, 90))
        lines.append(
            f"{level.concurrency:>11}  {len(level.samples):>8}  {level.errors:>6}  "
            f"{level.requests_per_second:>5.2f}  {level.tokens_per_second:>8.1f}  {latency:>24}  {ttft:>23}"
        )
    return "\n".join(lines)


def spec_snippet(tier: TierPlan, best: Level, measured: date) -> str:
    """What to put in the tier's spec so the next plan scales on the measurement and takes its
    throughput from it, both per instance in service. An instance never runs more than the
    tier's batch (max_concurrency) at once; more clients only queue."""
    instances = max(1, best.instances)
    rps = best.requests_per_second / instances
    tokens = best.tokens_per_second / instances
    concurrency = min(tier.max_concurrency, max(1, round(best.concurrency / instances)))
    unit = "copies" if tier.endpoint.per_component else "instance(s)"
    return (
        f"# measured by deepseek-cdk loadtest on {measured.isoformat()}: {instances} {unit} of "
        f"{tier.instance_type}\n"
        f"tiers:\n"
        f"  - name: {tier.name}\n"
        f"    scaling: {{metric: invocations, max_rps: {rps:.3g}}}\n"
        f"    measured: {{tokens_per_second: {tokens:.4g}, concurrency: {concurrency}, "
        f'instance_type: {tier.instance_type}, date: "{measured.isoformat()}"}}\n'
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
