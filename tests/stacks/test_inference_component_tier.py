"""The scale-to-zero example: inference components on managed instances that reach zero."""

import json

import pytest

from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["scale-to-zero"]


def test_managed_instances_may_reach_zero(s: Synthesized) -> None:
    config = s.one_of_tier("AWS::SageMaker::EndpointConfig", "chat")
    (variant,) = config["ProductionVariants"]
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 0,
        "MaxInstanceCount": 3,
    }
    assert variant["InitialInstanceCount"] == 1  # SageMaker creates endpoints with an instance
    assert "ExecutionRoleArn" in config


def test_one_component_per_version_with_the_plan_compute(s: Synthesized) -> None:
    tier = s.plan.tier("chat")
    (component,) = s.of_tier("AWS::SageMaker::InferenceComponent", "chat")
    assert component["InferenceComponentName"] == f"{tier.endpoint_name}-live-1"
    assert component["VariantName"] == "shared"
    requirements = component["Specification"]["ComputeResourceRequirements"]
    assert requirements == {
        "NumberOfAcceleratorDevicesRequired": tier.tensor_parallel_degree,
        "MinMemoryRequiredInMb": tier.copy_memory_mb,
    }
    assert "Container" not in component["Specification"]  # the env stays on the Model
    assert component["RuntimeConfig"] == {"CopyCount": 1}


def test_copies_scale_on_concurrency_per_copy_and_from_zero(s: Synthesized) -> None:
    tier = s.plan.tier("chat")
    (target,) = s.of_tier("AWS::ApplicationAutoScaling::ScalableTarget", "chat")
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert target["ResourceId"] == f"inference-component/{tier.endpoint_name}-live-1"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 3)
    names = [a["ScheduledActionName"] for a in target["ScheduledActions"]]
    assert names == ["workday", "night"]
    policies = [
        p["Properties"]
        for p in s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    tracking = [p for p in policies if p["PolicyType"] == "TargetTrackingScaling"]
    assert tracking[0]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
    }
    assert (
        tracking[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == tier.scaling.target.target
    )
    policies = s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    (props,) = [
        a["Properties"]
        for a in s.inference.find_resources("AWS::CloudWatch::Alarm").values()
        if any(action.get("Ref") in policies for action in a["Properties"]["AlarmActions"])
    ]
    assert props["MetricName"] == "NoCapacityInvocationFailures"
    assert props["Dimensions"] == [
        {"Name": "InferenceComponentName", "Value": f"{tier.endpoint_name}-live-1"}
    ]
    assert len(props["AlarmActions"]) == 1
    (step,) = [p for p in policies.values() if p["Properties"]["PolicyType"] == "StepScaling"]
    config = step["Properties"]["StepScalingPolicyConfiguration"]
    # Requests keep failing until the first copy serves; a one-minute cooldown would add a
    # copy (here an instance) for every minute of the cold start.
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    assert config["Cooldown"] == tier.cold_start_s


def test_scalable_target_waits_for_its_component(s: Synthesized) -> None:
    (target_id,) = s.inference.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    (component_id,) = s.inference.find_resources("AWS::SageMaker::InferenceComponent")
    depends = s.inference.to_json()["Resources"][target_id].get("DependsOn", [])
    assert component_id in json.dumps(depends)


def test_copies_scale_on_invocations_when_the_plan_says_so() -> None:
    from aws_cdk.assertions import Template

    from deepseek_cdk.planning import build_plan
    from deepseek_cdk.spec import load_deployment
    from deepseek_cdk.stacks import build_deployment
    from tests.conftest import ROOT, TEST_ENV, make_app

    deployment = load_deployment(ROOT / "deployments/examples/scale-to-zero.yaml")
    tier = deployment.tiers[0]
    scaling = tier.scaling.model_copy(update={"metric": "invocations", "max_rps": 2.0})
    deployment = deployment.model_copy(update={"tiers": [tier.model_copy(update={"scaling": scaling})]})
    plan = build_plan(deployment)
    template = Template.from_stack(build_deployment(make_app(), plan, env=TEST_ENV).inference)
    tracking = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["PolicyType"] == "TargetTrackingScaling"
    ]
    assert [t["PredefinedMetricSpecification"]["PredefinedMetricType"] for t in tracking] == [
        "SageMakerInferenceComponentInvocationsPerCopy"
    ]
    assert tracking[0]["TargetValue"] == plan.tiers[0].scaling.target.target == 60  # 2 rps x 60 s x 0.5
    at_max = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if "above the scaling target" in a["Properties"]["AlarmDescription"]
    ]
    assert [(a["MetricName"], a["Threshold"]) for a in at_max] == [("InvocationsPerCopy", 60)]
