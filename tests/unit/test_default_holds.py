"""The shipped default deployment meets its own objectives: in its plan, and in `simulate`
on every built-in scenario (at most 1% of minutes out), as the CLI replays them."""

import pytest

from deepseek_cdk.cli.simulate import requests_for, run_simulation
from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.traces import SCENARIOS
from deepseek_cdk.spec import load_deployment

PLAN = build_plan(load_deployment(None))


def test_the_default_plans_with_no_service_level_warning() -> None:
    for tier in PLAN.tiers:
        assert not tier.service.misses(tier.objectives), tier.name
        assert not [w for w in tier.warnings if "scaling." in w], tier.name


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_default_chat_tier_holds_its_objectives_on_every_scenario(name: str) -> None:
    tier = PLAN.tier("chat")
    requests = requests_for(tier, trace=None, scenario_name=name, scale=1.0)
    replay, _, _ = run_simulation(tier, requests, startup_s=None)
    assert replay.share_out_of_slo <= 0.01, (name, replay.minutes_out_of_slo)
