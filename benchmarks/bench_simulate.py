"""How well the plan's scaling rules hold the objectives (p90 TTFT and TPOT), and at what cost,
against a naive configuration and the oracle (planning.simulate); and how fast a heavy day
replays.

    python -m benchmarks.bench_simulate            # the table, then the day at 10x
    python -m benchmarks.bench_simulate --heavy    # the day at 10x alone (its own process)

Replays one day of each built-in scenario and a generated trace shaped like Microsoft's
public Azure LLM conversation trace (Poisson arrivals; input tokens log-normal with median
1,020 and mean 1,155, capped at 14,050; output tokens log-normal with median 129 and mean
211, capped at 1,000: the statistics of AzureLLMInferenceTrace_conv.csv, 19,366 requests)
through three configurations of one real-time tier:
- derived: the plan's rules (the one-minute average of concurrency, the target the objectives
  bound);
- 10-s metric: the same target on AWS's predefined 10-second concurrency metric, which the plan
  does not use for real-time tiers (planning.scaling says why);
- naive: what common examples set (planning.simulate.naive_policy: invocations per instance
  with a guessed target of 10 a minute, one-minute metrics, no schedules);
- oracle: each minute the least capacity that meets the objectives, no start-up.
Both replayed configurations start new instances as `deepseek-cdk simulate` does by default
(the tier's typical start-up, AWS's measurement, 120 s after the alarm). Prints, per traffic,
the share of minutes out of the objectives and the cost as a ratio to the oracle. The replay
is deterministic: docs/simulation.md's table is this output without the timings, and a test holds
the two equal.

The heavy day: 24 hours of the Azure-shaped trace at 10x its rate (about 4.6 M requests)
through the plan's rules and the oracle, in a process of its own, with its wall time and
peak memory (the goal: under 60 s and 1 GB on these 2-core machines).
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import subprocess
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import replace

from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment
from deepseek_cdk.planning.simulate import SimResult, naive_policy, oracle, policy_of, simulate
from deepseek_cdk.planning.traces import SCENARIOS, Lengths, Trace, scenario
from deepseek_cdk.spec import parse_deployment

PEAK_RPS = 1.5
CONV_RPS = 19_366 / 3600  # the Azure conversation trace's hour
HEAVY_SCALE = 10
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


def azure_conv_like(hours: float, rps: float, seed: int = 2023) -> Trace:
    """A generated trace with the shape of the Azure conversation trace (see above)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible trace, not a secret
    sigma_in, sigma_out = math.sqrt(2 * math.log(1155 / 1020)), math.sqrt(2 * math.log(211 / 129))
    mu_in, mu_out = math.log(1020), math.log(129)
    arrivals, inputs, outputs = array("d"), array("q"), array("q")
    now, end = 0.0, hours * 3600
    while True:
        now += rng.expovariate(rps)
        if now >= end:
            return Trace(arrivals, inputs, outputs, Trace.of([]).start)
        arrivals.append(now)
        inputs.append(min(14_050, max(1, round(rng.lognormvariate(mu_in, sigma_in)))))
        outputs.append(min(1_000, max(1, round(rng.lognormvariate(mu_out, sigma_out)))))


README_MARKER = "a test holds this block to it):\n\n```\n"  # docs/simulation.md's table follows it


def table(*, timed: bool) -> Iterator[str]:
    """The benchmark's lines: a header, then one per traffic (with the seconds it took to
    replay when `timed`). docs/simulation.md holds the untimed table (tests/test_readme_bench.py)."""
    tier = build_plan(parse_deployment(SPEC)).tiers[0]
    derived = policy_of(tier)
    fast = replace(derived, high_resolution=True)
    naive = naive_policy(tier, derived)
    lengths = Lengths(1155, 211)
    traffic: dict[str, Trace] = {
        name: scenario(name, peak_rps=PEAK_RPS, lengths=lengths) for name in SCENARIOS
    }
    traffic["azure-conv-like"] = azure_conv_like(24, PEAK_RPS / 2)
    yield (
        f"Tier {tier.name}: {tier.model} on {tier.instance_type}, objectives {tier.objectives.describe()}, "
        f"derived target {derived.target:g} concurrent requests per instance, naive target "
        f"{naive.target:g} invocations a minute, start-up {derived.startup_s} s"
    )
    yield (
        f"{'traffic':<18}{'requests':>9}  {'derived: missed':>17}{'cost/oracle':>12}"
        f"  {'10-s metric: missed':>21}{'cost/oracle':>12}"
        f"  {'naive: missed':>15}{'cost/oracle':>12}  {'oracle: missed':>16}"
    )
    for name, requests in traffic.items():
        started = time.perf_counter()
        best = oracle(tier, requests)
        results: list[SimResult] = [simulate(tier, requests, policy) for policy in (derived, fast, naive)]
        ratios = [r.cost / best.cost if r.cost and best.cost else float("nan") for r in results]
        elapsed = time.perf_counter() - started
        yield (
            f"{name:<18}{len(requests):>9}  {results[0].share_out_of_slo:>17.1%}{ratios[0]:>12.2f}"
            f"  {results[1].share_out_of_slo:>21.1%}{ratios[1]:>12.2f}"
            f"  {results[2].share_out_of_slo:>15.1%}{ratios[2]:>12.2f}  {best.share_out_of_slo:>16.1%}"
            + (f"   ({elapsed:.1f} s)" if timed else "")
        )


def heavy_day() -> str:
    """The day at 10x (see the module's docstring), timed, with this process's peak memory."""
    tier = build_plan(parse_deployment(SPEC)).tiers[0]
    trace = azure_conv_like(24, CONV_RPS * HEAVY_SCALE)
    # Enough instances for the rate from the start: a day that begins at min 1 under a load of
    # forty instances measures a cold start, not the replay's speed.
    flat = CapacityCalendar((CapacitySegment(0, MINUTES_PER_WEEK, 40, 200),), ())
    started = time.perf_counter()
    replayed = simulate(tier, trace, replace(policy_of(tier), calendar=flat))
    replay_s = time.perf_counter() - started
    started = time.perf_counter()
    oracle(tier, trace)
    oracle_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"a day at {HEAVY_SCALE}x the Azure conversation trace's rate: {len(trace):,} requests, replayed in "
        f"{replay_s:.1f} s and the oracle in {oracle_s:.1f} s "
        f"({(replay_s + oracle_s) / len(trace) * 1e6:.1f} us a request), peak memory {peak_mb:,.0f} MB, "
        f"{replayed.minutes_out_of_slo} minutes out"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", action="store_true", help="only the day at 10x, in this process")
    if parser.parse_args().heavy:
        print(heavy_day(), flush=True)
        return
    for line in table(timed=True):
        print(line, flush=True)
    # Its own process, so its peak memory is its own.
    subprocess.run([sys.executable, "-m", "benchmarks.bench_simulate", "--heavy"], check=True)


if __name__ == "__main__":
    main()
