"""CapacityScaling on its own and through RealtimeEndpoint.auto_scale_instance_count."""

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template

from deepseek_cdk.constructs import (
    CapacityScaling,
    Hosting,
    RealtimeEndpoint,
    ScalableKind,
    ScheduledCapacity,
    Variant,
)
from tests.conftest import TEST_ENV, make_app


def endpoint() -> tuple[cdk.Stack, RealtimeEndpoint]:
    stack = cdk.Stack(make_app(), "Test", env=TEST_ENV)
    return stack, RealtimeEndpoint(
        stack, "Endpoint", variants=[Variant("v1", "m")], hosting=Hosting("ml.g6.2xlarge", local_nvme=True)
    )


def only(template: Template, resource_type: str) -> dict[str, Any]:
    (resource,) = template.find_resources(resource_type).values()
    return resource["Properties"]  # type: ignore[no-any-return]


def test_scale_instances_registers_the_variant_of_this_endpoint() -> None:
    stack, e = endpoint()
    e.auto_scale_instance_count(min_capacity=1, max_capacity=4).scale_on_concurrency(11.2)
    t = Template.from_stack(stack)
    target = only(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    # The resource id follows the endpoint's name attribute: replacing the endpoint replaces it.
    assert "Fn::GetAtt" in json.dumps(target["ResourceId"])
    assert "RoleARN" not in target  # the service-linked role, created on first use
    policy = only(t, "AWS::ApplicationAutoScaling::ScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
    assert policy == {
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"
        },
        "ScaleInCooldown": 900,
        "ScaleOutCooldown": 300,
        "TargetValue": 11.2,
    }
    t.resource_count_is("AWS::IAM::Role", 0)


def test_invocations_tracking() -> None:
    stack, e = endpoint()
    e.auto_scale_instance_count(min_capacity=1, max_capacity=2).scale_on_invocations(
        60, scale_out_cooldown=cdk.Duration.minutes(10)
    )
    config = only(Template.from_stack(stack), "AWS::ApplicationAutoScaling::ScalingPolicy")[
        "TargetTrackingScalingPolicyConfiguration"
    ]
    assert config["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert (config["TargetValue"], config["ScaleOutCooldown"]) == (60, 600)


def test_inference_component_copies_use_the_copy_metric() -> None:
    stack = cdk.Stack(make_app(), "Test", env=TEST_ENV)
    CapacityScaling(
        stack,
        "Ic",
        kind=ScalableKind.INFERENCE_COMPONENT_COPIES,
        resource_id="inference-component/x",
        min_capacity=0,
        max_capacity=2,
    ).scale_on_concurrency(4)
    t = Template.from_stack(stack)
    assert only(t, "AWS::ApplicationAutoScaling::ScalableTarget")["ScalableDimension"] == (
        "sagemaker:inference-component:DesiredCopyCount"
    )
    assert "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution" in json.dumps(t.to_json())


def test_customized_metric_and_step_scaling_on_an_alarm() -> None:
    stack, e = endpoint()
    scaling = e.auto_scale_instance_count(min_capacity=1, max_capacity=3)
    latency = e.metric_model_latency(statistic="Average")
    scaling.scale_to_track_metric("Latency", latency, 20_000_000)
    alarm = cloudwatch.Alarm(
        stack, "Busy", metric=e.metric_gpu_memory_utilization(), threshold=90, evaluation_periods=2
    )
    scaling.scale_on_alarm("OnBusy", alarm, adjustment=2)
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": Match.object_like(
                {
                    "AdjustmentType": "ChangeInCapacity",
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}],
                }
            ),
        },
    )
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {"CustomizedMetricSpecification": Match.object_like({"MetricName": "ModelLatency"})}
            )
        },
    )
    actions = only(t, "AWS::CloudWatch::Alarm")["AlarmActions"]
    assert len(actions) == 1 and "Ref" in actions[0]


def test_schedules_move_min_and_max_in_a_time_zone() -> None:
    stack, e = endpoint()
    scaling = e.auto_scale_instance_count(min_capacity=1, max_capacity=4)
    scaling.scale_on_schedule(
        ScheduledCapacity("office", "cron(0 8 ? * MON-FRI *)", "Europe/Berlin", min_capacity=3)
    )
    scaling.scale_on_schedule(
        ScheduledCapacity("launch", "at(2030-03-01T06:00:00)", max_capacity=12, min_capacity=4)
    )
    actions = only(Template.from_stack(stack), "AWS::ApplicationAutoScaling::ScalableTarget")[
        "ScheduledActions"
    ]
    assert actions == [
        {
            "ScalableTargetAction": {"MinCapacity": 3},
            "Schedule": "cron(0 8 ? * MON-FRI *)",
            "ScheduledActionName": "office",
            "Timezone": "Europe/Berlin",
        },
        {
            "ScalableTargetAction": {"MaxCapacity": 12, "MinCapacity": 4},
            "Schedule": "at(2030-03-01T06:00:00)",
            "ScheduledActionName": "launch",
            "Timezone": "UTC",
        },
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda e: e.auto_scale_instance_count(min_capacity=0, max_capacity=2),
            "min_capacity: a real-time variant needs at least 1 instance",
        ),
        (
            lambda e: e.auto_scale_instance_count(min_capacity=3, max_capacity=2),
            "min_capacity: must be <= max_capacity",
        ),
        (
            lambda e: e.auto_scale_instance_count(min_capacity=1, max_capacity=2, variant="v2"),
            "variant: must be one of",
        ),
        (
            lambda e: e.auto_scale_instance_count(min_capacity=1, max_capacity=2).scale_on_concurrency(0),
            "target: must be greater than 0",
        ),
        (
            lambda e: e.auto_scale_instance_count(min_capacity=1, max_capacity=2).scale_on_schedule(
                ScheduledCapacity("x", "cron(0 8 ? * * *)")
            ),
            "schedule: 'x' needs min_capacity, max_capacity or both",
        ),
        (
            lambda e: e.auto_scale_instance_count(min_capacity=1, max_capacity=2).scale_on_schedule(
                ScheduledCapacity("x", "0 8 ? * * *", min_capacity=1)
            ),
            "schedule.expression: must be cron",
        ),
    ],
)
def test_bad_scaling_props(call: Any, message: str) -> None:
    _, e = endpoint()
    with pytest.raises(ValueError, match=message):
        call(e)
