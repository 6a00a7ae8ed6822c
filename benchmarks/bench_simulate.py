"""How well the plan's scaling rules hold the objectives (p90 TTFT and TPOT), and at what cost,
against a naive configuration and the oracle (planning.simulate).

    python -m benchmarks.bench_simulate

Replays one day of each built-in scenario and a generated trace shaped like Microsoft's
public Azure LLM conversation trace (Poisson arrivals; input tokens log-normal with median
1,020 and mean 1,155, capped at 14,050; output tokens log-normal with median 129 and mean
211, capped at 1,000: the statistics of AzureLLMInferenceTrace_conv.csv, 19,366 requests)
through three configurations of one real-time tier:
- derived: the plan's rules (high-resolution concurrency, the target the objectives bound);
- naive: what common examples set (invocations per instance with a guessed target of 10
  a minute, min 1, one-minute metrics, no schedules);
- oracle: exactly the capacity each minute needs, no start-up.
Both replayed configurations start new instances in `STARTUP_S` (AWS measured about 5
minutes from zero to a serving Llama-3-8B copy). Prints, per traffic, the share of minutes
out of the objectives and the cost as a ratio to the oracle. The replay is deterministic: the README's
table is this output without the timings, and a test holds the two equal.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import replace

from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment
from deepseek_cdk.planning.simulate import SimResult, oracle, policy_of, simulate
from deepseek_cdk.planning.traces import SCENARIOS, Request, scenario
from deepseek_cdk.spec import parse_deployment

STARTUP_S = 300
PEAK_RPS = 1.5
NAIVE_TARGET = 10.0  # invocations per instance a minute, a guess of the kind examples use
SPEC = {
    "name": "bench",
    "tiers": [
        {
            "name": "chat",
            "model": "deepseek-r1-distill-qwen-7b",
            "endpoint": "realtime",
            "max_context_tokens": 8192,
            "max_concurrency": 16,
            "slo": {"ttft_p90_seconds": 2, "tpot_p90_ms": 100},
            "scaling": {"min": 1, "max": 12},
        }
    ],
    "traffic": {"chat": {"peak_rps": PEAK_RPS, "avg_input_tokens": 1155, "avg_output_tokens": 211}},
}


def azure_conv_like(hours: int, rps: float, seed: int = 2023) -> list[Request]:
    """A generated trace with the shape of the Azure conversation trace (see above)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible trace, not a secret
    sigma_in, sigma_out = math.sqrt(2 * math.log(1155 / 1020)), math.sqrt(2 * math.log(211 / 129))
    requests: list[Request] = []
    now = 0.0
    while True:
        now += rng.expovariate(rps)
        if now >= hours * 3600:
            return requests
        tokens_in = min(14_050, max(1, round(rng.lognormvariate(math.log(1020), sigma_in))))
        tokens_out = min(1_000, max(1, round(rng.lognormvariate(math.log(129), sigma_out))))
        requests.append(Request(now, tokens_in, tokens_out))


README_MARKER = "a test holds this block to it):\n\n```\n"  # the README's table follows it


def table(*, timed: bool) -> Iterator[str]:
    """The benchmark's lines: a header, then one per traffic (with the seconds it took to
    replay when `timed`). The README holds the untimed table (tests/test_readme_bench.py)."""
    tier = build_plan(parse_deployment(SPEC)).tiers[0]
    derived = policy_of(tier, startup_s=STARTUP_S)
    flat = CapacityCalendar((CapacitySegment(0, MINUTES_PER_WEEK, 1, tier.capacity.max),), ())
    naive_policy = replace(
        derived,
        metric="invocations",
        target=NAIVE_TARGET,
        high_resolution=False,
        calendar=flat,
        scale_out_cooldown_s=300,
        scale_in_cooldown_s=300,
    )
    peak = PEAK_RPS
    traffic: dict[str, list[Request]] = {
        name: scenario(name, peak_rps=peak, input_tokens=1155, output_tokens=211) for name in SCENARIOS
    }
    traffic["azure-conv-like"] = azure_conv_like(24, peak / 2)
    yield (
        f"Tier {tier.name}: {tier.model} on {tier.instance_type}, objectives {tier.objectives.describe()}, "
        f"derived target {derived.target:g} concurrent "
        f"requests per instance, naive target {NAIVE_TARGET:g} invocations a minute, start-up {STARTUP_S} s"
    )
    yield (
        f"{'traffic':<18}{'requests':>9}  {'derived: missed':>20}{'cost/oracle':>12}"
        f"  {'naive: missed':>18}{'cost/oracle':>12}  {'oracle: missed':>19}"
    )
    for name, requests in traffic.items():
        started = time.perf_counter()
        best = oracle(tier, requests)
        results: list[SimResult] = [simulate(tier, requests, policy) for policy in (derived, naive_policy)]
        ratios = [r.cost / best.cost if r.cost and best.cost else float("nan") for r in results]
        elapsed = time.perf_counter() - started
        yield (
            f"{name:<18}{len(requests):>9}  {results[0].share_out_of_slo:>20.1%}{ratios[0]:>12.2f}"
            f"  {results[1].share_out_of_slo:>18.1%}{ratios[1]:>12.2f}  {best.share_out_of_slo:>19.1%}"
            + (f"   ({elapsed:.1f} s)" if timed else "")
        )


def main() -> None:
    for line in table(timed=True):
        print(line, flush=True)


if __name__ == "__main__":
    main()
