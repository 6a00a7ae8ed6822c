"""A tier that runs several model copies per instance deploys what its plan says: the
container's tensor-parallel degree and parallel loading, and a per-instance scaling target
that counts every copy's requests."""

from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import TEST_ENV, make_app

SPEC = {
    "name": "copies",
    "tiers": [
        {
            "name": "chat",
            "model": "deepseek-r1-distill-qwen-14b",
            "instance_type": "ml.g6e.12xlarge",
            "max_context_tokens": 16384,
            "max_concurrency": 16,
            "scaling": {"min": 1, "max": 2},
        }
    ],
}


@pytest.fixture(scope="module")
def synthesized() -> tuple[Plan, Template]:
    plan = build_plan(parse_deployment(SPEC))
    app = make_app()
    stacks = build_deployment(app, plan, env=TEST_ENV)
    return plan, Template.from_stack(stacks.inference)


def test_the_model_runs_the_planned_copies(synthesized: tuple[Plan, Template]) -> None:
    plan, template = synthesized
    tier = plan.tier("chat")
    assert tier.copies == 4
    (model,) = template.find_resources("AWS::SageMaker::Model").values()
    env: dict[str, Any] = model["Properties"]["PrimaryContainer"]["Environment"]
    assert env == dict(tier.versions[0].env)
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "1"
    assert env["OPTION_PARALLEL_LOADING"] == "true"


def test_the_scaling_target_counts_every_copys_requests(synthesized: tuple[Plan, Template]) -> None:
    plan, template = synthesized
    tier = plan.tier("chat")
    (policy,) = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == tier.scaling.target.target == tier.service.concurrency
    assert config["TargetValue"] > tier.max_concurrency  # above one copy's batch: four engines
