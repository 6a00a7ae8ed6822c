"""A shared fleet in the template: one endpoint whose instances its members' components share,
each member with its own components, scaling, alarms, graphs and router route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import Synthesized, make_app
from tests.stacks.test_router import router_config

COMMIT = "916b56a44061fd5cd7d6a8fb632557ed4f724f60"


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["shared-fleet"]


def of_type(s: Synthesized, resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in s.inference.find_resources(resource_type).values()]


def test_one_endpoint_hosts_every_members_components(s: Synthesized) -> None:
    (fleet,) = s.plan.fleets
    (endpoint,) = of_type(s, "AWS::SageMaker::Endpoint")
    assert endpoint["EndpointName"] == fleet.endpoint_name
    assert len(of_type(s, "AWS::SageMaker::EndpointConfig")) == 1
    for member in fleet.members:
        tier = s.plan.tier(member)
        (component,) = s.of_tier("AWS::SageMaker::InferenceComponent", member)
        assert component["InferenceComponentName"] == tier.component_name("live-1")
        assert json.dumps(component["EndpointName"]) == json.dumps(
            {
                "Fn::GetAtt": [
                    next(iter(s.inference.find_resources("AWS::SageMaker::Endpoint"))),
                    "EndpointName",
                ]
            }
        )
        model = json.dumps(component["Specification"]["ModelName"])
        assert member.capitalize() in model  # each member's own model
        assert component["Specification"]["StartupParameters"] == {
            "ModelDataDownloadTimeoutInSeconds": tier.model_download_timeout_s,
            "ContainerStartupHealthCheckTimeoutInSeconds": tier.startup_health_check_timeout_s,
        }


def test_each_member_scales_its_own_copies_from_zero_and_alarms_on_them(s: Synthesized) -> None:
    for member in s.plan.fleets[0].members:
        tier = s.plan.tier(member)
        (target,) = s.of_tier("AWS::ApplicationAutoScaling::ScalableTarget", member)
        assert target["ResourceId"] == f"inference-component/{tier.component_name('live-1')}"
        (share,) = tier.capacity.live
        assert (target["MinCapacity"], target["MaxCapacity"]) == (share.min, share.max)
        alarms = s.of_tier("AWS::CloudWatch::Alarm", member)
        dimensions = {
            d["Value"]
            for a in alarms
            for d in a.get("Dimensions", [])
            if d["Name"] == "InferenceComponentName"
        }
        assert dimensions == {tier.component_name("live-1")}  # its own component's, no other member's
        from_zero = [
            a for a in alarms if a["MetricName"] == "NoCapacityInvocationFailures" and a["Threshold"] == 1
        ]
        assert bool(from_zero) == share.reaches_zero


def test_the_dashboard_graphs_each_members_component_under_the_fleets_summary(s: Synthesized) -> None:
    (dashboard,) = of_type(s, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["DashboardBody"])
    assert "### fleet shared: chat, coder, reasoning" in body
    for member in s.plan.fleets[0].members:
        assert f"{member}-live-1: requests per copy" in body


def test_the_router_sends_each_member_to_its_component_on_the_fleets_endpoint(s: Synthesized) -> None:
    config = router_config(s)
    (fleet,) = s.plan.fleets
    for member in fleet.members:
        tier = s.plan.tier(member)
        assert config.tiers[member].endpoint == fleet.endpoint_name
        assert config.tiers[member].components == ((tier.component_name("live-1"), 100.0),)


def test_the_fleets_role_pulls_only_its_members_images(s: Synthesized) -> None:
    (config,) = of_type(s, "AWS::SageMaker::EndpointConfig")
    role = config["ExecutionRoleArn"]["Fn::GetAtt"][0]
    policies = [p for p in of_type(s, "AWS::IAM::ManagedPolicy") if p.get("Roles") == [{"Ref": role}]]
    statements = {st.get("Sid"): st for p in policies for st in p["PolicyDocument"]["Statement"]}
    repositories = {s.plan.tier(m).image_repository for m in s.plan.fleets[0].members}
    assert all(r in json.dumps(statements["PullServingImage"]["Resource"]) for r in repositories)
    assert s.plan.fleets[0].endpoint_name in json.dumps(statements["WriteOwnLogs"]["Resource"])


def member(name: str, model: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "model": model,
        "endpoint": "inference-components",
        "fleet": "fixed",
        "max_context_tokens": 8192,
        **settings,
    }


@pytest.fixture(scope="module")
def fixed() -> Template:
    """A fleet of a fixed count; one member rolls out in batches, with two versions."""
    spec = {
        "name": "fixed",
        "fleet": {"fixed": {"instance_type": "ml.g6e.12xlarge", "managed_instance_scaling": False}},
        "tiers": [
            member(
                "chat",
                "deepseek-r1-distill-qwen-7b",
                scaling={"min": 2, "max": 4},
                versions=[{"name": "v1", "revision": COMMIT, "weight": 80}, {"name": "v2", "weight": 20}],
                rollout={"strategy": "linear", "linear_step_percent": 50},
            ),
            member("big", "deepseek-r1-distill-qwen-32b", scaling={"min": 0, "max": 2}),
        ],
    }
    stacks = build_deployment(make_app(), build_plan(parse_deployment(spec)))
    return Template.from_stack(stacks.inference)


def test_a_fixed_fleet_keeps_its_count_without_managed_instance_scaling(fixed: Template) -> None:
    (config,) = fixed.find_resources("AWS::SageMaker::EndpointConfig").values()
    (variant,) = config["Properties"]["ProductionVariants"]
    assert "ManagedInstanceScaling" not in variant
    assert variant["InitialInstanceCount"] == 2  # every member at its max: 4 x 1 GPU + 2 x 2 GPUs


def test_a_member_with_two_versions_gets_a_component_each_that_rolls_out_on_its_own_alarms(
    fixed: Template,
) -> None:
    components = {
        c["Properties"]["InferenceComponentName"]: c["Properties"]
        for c in fixed.find_resources("AWS::SageMaker::InferenceComponent").values()
    }
    assert sorted(components) == [
        "fixed-fixed-g6e-12xlarge-big-live-1",
        "fixed-fixed-g6e-12xlarge-chat-live-1",
        "fixed-fixed-g6e-12xlarge-chat-live-2",
    ]
    rolled = [c for c in components.values() if "DeploymentConfig" in c]
    assert len(rolled) == 2
    for component in rolled:
        alarms = component["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
        assert alarms and all("Chat" in json.dumps(a) for a in alarms)
