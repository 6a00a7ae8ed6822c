"""Real traces the simulator was not tuned on (tests/data/README.md): the default deployment's
chat tier holds its objectives on them, beats the naive configuration, and never costs less
than the oracle, its lower bound."""

from pathlib import Path

import pytest

from deepseek_cdk.cli.simulate import requests_for, run_simulation
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import load_deployment

DATA = Path(__file__).resolve().parent.parent / "data"
# The traces were recorded on a larger service: a quarter of their requests is what the
# default chat tier's 2-4 instances serve.
SCALE = 0.25


@pytest.mark.parametrize("name", ["conv", "code"])
def test_the_default_chat_tier_holds_a_held_out_azure_trace(name: str) -> None:
    tier = build_plan(load_deployment(None)).tier("chat")
    trace = requests_for(
        tier, trace=str(DATA / f"AzureLLMInferenceTrace_{name}.csv"), scenario_name=None, scale=SCALE
    )
    replay, best, naive = run_simulation(tier, trace, startup_s=None, compare_naive=True)
    assert naive is not None and replay.cost and best.cost and naive.cost
    assert replay.share_out_of_slo <= 0.01 and replay.timed_out == 0 and replay.rejected == 0
    assert best.cost <= replay.cost <= naive.cost
    assert naive.share_out_of_slo >= replay.share_out_of_slo
