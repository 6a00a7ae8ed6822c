"""Scaling as the stacks render it: targets, policies and schedules follow the plan, and a
change of instance type replaces the endpoint (and its scalable target) instead of updating it."""

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.constructs.naming import pascal
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import SYNTH_TIERS, TEST_ENV, Synthesized, make_app

REALTIME_TIERS = [(name, tier) for name, tier, kind in SYNTH_TIERS if kind == "realtime"]


@pytest.mark.parametrize(("name", "tier_name"), REALTIME_TIERS)
def test_targets_and_policies_follow_the_plan(
    synthesized: dict[str, Synthesized], name: str, tier_name: str
) -> None:
    s = synthesized[name]
    tier = s.plan.tier(tier_name)
    assert tier.endpoint == "realtime"
    targets = s.of_tier("AWS::ApplicationAutoScaling::ScalableTarget", tier_name)
    serving = list(tier.capacity.live)
    assert len(targets) == len(serving)  # one per production variant; a shadow is never autoscaled
    for props, planned in zip(targets, serving, strict=True):
        assert (props["MinCapacity"], props["MaxCapacity"]) == (planned.min, planned.max)
        assert props["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
        assert f"/variant/{planned.slot}" in json.dumps(props["ResourceId"])
    policies = [
        p
        for logical_id, p in s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").items()
        if logical_id.startswith(pascal(tier_name))
    ]
    assert len(policies) == len(serving)
    for policy in policies:
        config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        assert config["TargetValue"] == tier.scaling.target.target
        if tier.scaling.target.customized_metric:
            metric = config["CustomizedMetricSpecification"]
            assert (metric["MetricName"], metric["Namespace"], metric["Statistic"]) == (
                tier.scaling.target.customized_metric,
                "AWS/SageMaker",
                "Average",
            )
            assert [d["Name"] for d in metric["Dimensions"]] == ["EndpointName", "VariantName"]
        else:
            assert (
                config["PredefinedMetricSpecification"]["PredefinedMetricType"]
                == tier.scaling.target.predefined_metric
            )
        assert config["ScaleOutCooldown"] == tier.scaling.scale_out_cooldown_s
        assert config["ScaleInCooldown"] == tier.scaling.scale_in_cooldown_s


def test_scheduled_scenarios_become_scheduled_actions(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["scheduled-chat"]
    (target,) = s.inference.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    actions = {a["ScheduledActionName"]: a for a in target["Properties"]["ScheduledActions"]}
    assert list(actions) == ["office-hours", "evening", "launch-day", "after-launch"]
    assert actions["office-hours"] == {
        "ScheduledActionName": "office-hours",
        "Schedule": "cron(0 8 ? * MON-FRI *)",
        "Timezone": "Europe/Berlin",
        "ScalableTargetAction": {"MinCapacity": 3},
    }
    assert actions["launch-day"]["Schedule"] == "at(2030-03-01T06:00:00)"
    assert actions["launch-day"]["ScalableTargetAction"] == {"MinCapacity": 4, "MaxCapacity": 12}
    (policy,) = s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert config["CustomizedMetricSpecification"]["MetricName"] == "ConcurrentRequestsPerModel"
    assert config["TargetValue"] == s.plan.tier("chat").scaling.target.target


def test_a_measured_max_rps_tracks_invocations_per_instance() -> None:
    scaling = {"min": 1, "max": 4, "metric": "invocations", "max_rps": 1.5, "safety_factor": 0.5}
    template = inference_template("ml.g6e.xlarge", scaling)
    (policy,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"
    ]
    config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert (
        config["PredefinedMetricSpecification"]["PredefinedMetricType"]
        == "SageMakerVariantInvocationsPerInstance"
    )
    assert config["TargetValue"] == 45  # measured 1.5 requests/s x 60 x 0.5


def inference_template(instance_type: str, scaling: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {
        "name": "trap",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "instance_type": instance_type,
                "max_context_tokens": 8192,
                "scaling": scaling or {"min": 1, "max": 4},
            }
        ],
    }
    app = make_app()
    stacks = build_deployment(app, build_plan(parse_deployment(data)), env=TEST_ENV)
    return Template.from_stack(stacks.inference).to_json()


def test_changing_the_instance_type_replaces_the_endpoint_and_its_scalable_target() -> None:
    before, after = inference_template("ml.g6e.xlarge"), inference_template("ml.g6e.2xlarge")

    def endpoint(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        (item,) = [
            (k, r) for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Endpoint"
        ]
        return item

    def target(template: dict[str, Any]) -> dict[str, Any]:
        (item,) = [
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
        ]
        return item

    (id_before, ep_before), (id_after, ep_after) = endpoint(before), endpoint(after)
    # Same logical id, new EndpointName (a create-only property): CloudFormation creates the
    # new endpoint first, then deletes the old one, instead of calling UpdateEndpoint.
    assert id_before == id_after
    assert ep_before["Properties"]["EndpointName"] == "trap-chat-g6e-xlarge-1"
    assert ep_after["Properties"]["EndpointName"] == "trap-chat-g6e-2xlarge-1"
    # The scalable target's ResourceId (create-only too) is the endpoint's name attribute, so
    # the target is replaced with the endpoint: registered on the new one, removed with the old.
    resource_id = json.dumps(target(after)["Properties"]["ResourceId"])
    assert f'"Fn::GetAtt": ["{id_after}", "EndpointName"]' in resource_id
