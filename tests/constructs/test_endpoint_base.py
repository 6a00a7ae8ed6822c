"""What every endpoint construct offers: variant handles, invoke grants, and metrics named
by the planned endpoint name (so an endpoint's own rollback alarms create no cycle)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    AsyncEndpoint,
    Component,
    Hosting,
    InferenceComponentEndpoint,
    RealtimeEndpoint,
    S3Prefix,
    Variant,
)
from tests.conftest import TEST_ENV, make_app


def stack() -> cdk.Stack:
    return cdk.Stack(make_app(), "Test", env=TEST_ENV)


def realtime(scope: cdk.Stack, endpoint_name: str | None = "chat-g6e-xlarge") -> RealtimeEndpoint:
    return RealtimeEndpoint(
        scope,
        "Chat",
        variants=[Variant("v1", "model-a", weight=90), Variant("v2", "model-b", weight=10)],
        hosting=Hosting("ml.g6e.xlarge", local_nvme=True),
        endpoint_name=endpoint_name,
    )


def test_an_alarm_on_the_endpoint_can_roll_back_its_own_deployment() -> None:
    s = stack()
    e = realtime(s)
    alarm = (
        e.variant("v2").metric_5xx_errors().create_alarm(s, "Failing", threshold=0.01, evaluation_periods=2)
    )
    e.endpoint.deployment_config = sagemaker.CfnEndpoint.DeploymentConfigProperty(
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
            alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)]
        )
    )
    template = Template.from_stack(s)  # a dependency cycle would fail here
    (props,) = [a["Properties"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    assert {"Name": "EndpointName", "Value": "chat-g6e-xlarge"} in props["Dimensions"]
    (endpoint,) = template.find_resources("AWS::SageMaker::Endpoint").values()
    assert "DeploymentConfig" in endpoint["Properties"]


def test_without_a_planned_name_metrics_reference_the_endpoint() -> None:
    s = stack()
    e = realtime(s, endpoint_name=None)
    dimensions = s.resolve(e.metric_model_latency().dimensions)
    assert dimensions["EndpointName"] == {"Fn::GetAtt": [s.get_logical_id(e.endpoint), "EndpointName"]}


def test_variant_handle_metrics_take_the_usual_options_and_scale() -> None:
    s = stack()
    v2 = realtime(s).variant("v2")
    metric = v2.metric_model_latency(statistic="p99", period=cdk.Duration.minutes(5), label="slow")
    assert (metric.statistic, metric.period.to_minutes(), metric.label) == ("p99", 5, "slow")
    assert s.resolve(metric.dimensions) == {"EndpointName": "chat-g6e-xlarge", "VariantName": "v2"}
    v2.auto_scale_instance_count(min_capacity=1, max_capacity=3).scale_on_concurrency(8)
    (target,) = Template.from_stack(s).find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert "variant/v2" in json.dumps(target["Properties"]["ResourceId"])


def test_an_unknown_variant_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"variant: must be one of \['v1', 'v2'\]"):
        realtime(stack()).variant("v3")


def invoke_grant(grant_to: str) -> dict[str, object]:
    s = stack()
    key = kms.Key(s, "Key", enable_key_rotation=True)
    role = iam.Role(s, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoints = {
        "realtime": lambda: realtime(s),
        "async": lambda: AsyncEndpoint(
            s,
            "Batch",
            model_name="m",
            hosting=Hosting("ml.g6e.12xlarge", local_nvme=True),
            output=S3Prefix("bucket", "out/"),
            failure=S3Prefix("bucket", "err/"),
            kms_key=key,
            max_concurrent_invocations=4,
            endpoint_name="batch-g6e-12xlarge",
        ),
        "components": lambda: InferenceComponentEndpoint(
            s,
            "Shared",
            components=[Component("v1", "m", accelerators=1, memory_mb=1024)],
            execution_role=role,
            hosting=Hosting("ml.g6e.xlarge", local_nvme=True),
            min_instances=0,
            max_instances=2,
            endpoint_name="shared-g6e-xlarge",
        ),
    }
    endpoints[grant_to]().grant_invoke(role)
    (policy,) = Template.from_stack(s).find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    return statement


def test_grant_invoke_on_each_kind() -> None:
    realtime_grant = invoke_grant("realtime")
    assert realtime_grant["Action"] == [
        "sagemaker:InvokeEndpoint",
        "sagemaker:InvokeEndpointWithResponseStream",
    ]
    assert "endpoint/chat-g6e-xlarge" in json.dumps(realtime_grant["Resource"])
    async_grant = invoke_grant("async")
    assert async_grant["Action"] == "sagemaker:InvokeEndpointAsync"
    components = json.dumps(invoke_grant("components")["Resource"])
    assert (
        "endpoint/shared-g6e-xlarge" in components
        and "inference-component/shared-g6e-xlarge-v1" in components
    )
