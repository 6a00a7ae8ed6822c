"""The default deployment's chat tier on every built-in scenario, at its declared traffic: its
derived rules keep the objectives, cost little more than the oracle, and no more than the naive
configuration (the held-out real traces: test_held_out_traces.py)."""

from dataclasses import replace

import pytest

from deepseek_cdk.cli.simulate import requests_for, run_simulation
from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.simulate import policy_of, simulate
from deepseek_cdk.planning.traces import SCENARIOS
from deepseek_cdk.spec import load_deployment


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_default_chat_tier_holds_each_scenario_near_the_oracles_cost(name: str) -> None:
    tier = build_plan(load_deployment(None)).tier("chat")
    trace = requests_for(tier, trace=None, scenario_name=name, scale=1)
    replay, best, naive = run_simulation(tier, trace, startup_s=None, compare_naive=True)
    assert naive is not None and replay.cost and best.cost and naive.cost
    assert replay.share_out_of_slo <= 0.01 and replay.timed_out == 0 and replay.rejected == 0
    assert best.cost <= replay.cost <= 1.2 * best.cost
    assert replay.cost <= naive.cost
    # AWS's predefined 10-second metric at the same target: no cheaper, and misses no fewer
    # minutes (planning.scaling says why the plan tracks the one-minute average).
    fast = simulate(tier, trace, replace(policy_of(tier), high_resolution=True))
    assert replay.cost <= fast.cost and replay.minutes_out_of_slo <= fast.minutes_out_of_slo


def test_real_time_concurrency_is_tracked_as_a_one_minute_average() -> None:
    target = build_plan(load_deployment(None)).tier("chat").scaling.target
    assert (target.predefined_metric, target.customized_metric, target.period_s) == (
        None,
        "ConcurrentRequestsPerModel",
        60,
    )
