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
    assert component["InferenceComponentName"] == f"{tier.endpoint_name}-v1"
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
    assert target["ResourceId"] == f"inference-component/{tier.endpoint_name}-v1"
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
    assert props["Dimensions"] == [{"Name": "InferenceComponentName", "Value": f"{tier.endpoint_name}-v1"}]
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
