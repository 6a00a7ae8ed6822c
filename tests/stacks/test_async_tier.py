"""The async tier of chat-and-reasoning: queue config, notifications, backlog scaling from zero."""

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["chat-and-reasoning"]


def test_results_and_failures_go_to_the_tier_prefix_encrypted(s: Synthesized) -> None:
    config = s.one_of_tier("AWS::SageMaker::EndpointConfig", "reasoning")["AsyncInferenceConfig"]
    output = config["OutputConfig"]
    assert json.dumps(output["S3OutputPath"]).endswith('/async/reasoning/responses/"]]}')
    assert json.dumps(output["S3FailurePath"]).endswith('/async/reasoning/failures/"]]}')
    assert "KmsKeyId" in output
    assert set(output["NotificationConfig"]) == {"SuccessTopic", "ErrorTopic"}
    assert config["ClientConfig"] == {
        "MaxConcurrentInvocationsPerInstance": s.plan.tier("reasoning").max_concurrency
    }


def test_notification_topics_are_encrypted_and_tls_only(s: Synthesized) -> None:
    topics = s.of_tier("AWS::SNS::Topic", "reasoning")
    assert len(topics) == 2
    assert all("KmsMasterKeyId" in t for t in topics)
    policies = json.dumps(s.inference.find_resources("AWS::SNS::TopicPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_backlog_target_tracking_from_zero(s: Synthesized) -> None:
    (target,) = s.of_tier("AWS::ApplicationAutoScaling::ScalableTarget", "reasoning")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    s.inference.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 4,
                    "CustomizedMetricSpecification": Match.object_like(
                        {
                            "MetricName": "ApproximateBacklogSizePerInstance",
                            "Namespace": "AWS/SageMaker",
                            "Statistic": "Average",
                            "Dimensions": [Match.object_like({"Name": "EndpointName"})],
                        }
                    ),
                }
            )
        },
    )


def test_scale_out_from_zero_on_backlog_without_capacity(s: Synthesized) -> None:
    policies = s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    (alarm,) = [
        a["Properties"]
        for a in s.inference.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "HasBacklogWithoutCapacity"
        and any(action.get("Ref") in policies for action in a["Properties"]["AlarmActions"])
    ]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 2, 2)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    (action,) = alarm["AlarmActions"]
    step: dict[str, Any] = s.inference.to_json()["Resources"][action["Ref"]]
    config = step["Properties"]["StepScalingPolicyConfiguration"]
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]


def test_scale_from_zero_adds_no_second_instance_during_a_cold_start(s: Synthesized) -> None:
    """The step policy runs every minute its alarm stays in ALARM, which lasts until the first
    instance serves; its cooldown covers the tier's whole start-up allowance, so +1 is one."""
    tier = s.plan.tier("reasoning")
    (step,) = [
        p["Properties"]["StepScalingPolicyConfiguration"]
        for p in s.inference.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["PolicyType"] == "StepScaling"
    ]
    assert step["AdjustmentType"] == "ChangeInCapacity"
    assert step["Cooldown"] == tier.cold_start_s == tier.scaling.scale_from_zero_cooldown_s
    assert tier.cold_start_s > tier.startup_health_check_timeout_s  # provisioning comes first


def test_role_reads_requests_writes_results_and_publishes_to_its_topics(s: Synthesized) -> None:
    text = json.dumps(
        [
            p
            for p in s.inference.find_resources("AWS::IAM::ManagedPolicy").values()
            if "S3 prefixes" in p["Properties"]["Description"]
        ]
    )
    assert "async/reasoning/requests/*" in text
    assert "async/reasoning/responses/*" in text
    assert "async/reasoning/failures/*" in text
    assert text.count('"sns:Publish"') == 1


def test_prompts_results_and_failures_expire_after_the_async_retention(
    synthesized: dict[str, Synthesized],
) -> None:
    """Every async tier's three prefixes expire, each by its own rule, at retention.async_days
    (30 by default); the noncurrent version an expiry leaves in the versioned bucket goes the
    day after; the model weights' and captures' rules are untouched."""
    for name, stack in synthesized.items():
        (bucket,) = [
            b
            for b in stack.stateful.find_resources("AWS::S3::Bucket").values()
            if "BucketName" in b["Properties"]
        ]
        rules = {r["Prefix"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
        queued = [t.name for t in stack.plan.tiers if t.queue is not None]
        prefixes = {f"async/{t}/{part}/" for t in queued for part in ("requests", "responses", "failures")}
        assert {p for p in rules if p.startswith("async/")} == prefixes, name
        for prefix in prefixes:
            assert rules[prefix]["ExpirationInDays"] == stack.plan.retention.async_days == 30
            assert rules[prefix]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
            assert rules[prefix]["Status"] == "Enabled"
            assert "Transitions" not in rules[prefix]  # an answer costs less in Standard than archived


def _subscriptions(stack: Synthesized, topic_id: str) -> list[dict[str, Any]]:
    """The SNS subscriptions whose topic is the reasoning tier's topic `topic_id` (Success, Error)."""
    topics = [
        logical_id
        for logical_id, topic in stack.inference.find_resources("AWS::SNS::Topic").items()
        if logical_id.startswith("Reasoning") and f"Endpoint{topic_id}" in logical_id
    ]
    assert len(topics) == 1, topics
    return [
        sub["Properties"]
        for sub in stack.inference.find_resources("AWS::SNS::Subscription").values()
        if sub["Properties"]["TopicArn"] == {"Ref": topics[0]}
    ]


def test_failed_jobs_mail_the_alarm_email_and_finished_jobs_mail_nobody(
    s: Synthesized, synthesized: dict[str, Synthesized]
) -> None:
    assert s.plan.monitoring.alarm_email == "ops@example.com"
    (failures,) = _subscriptions(s, "Error")
    assert (failures["Protocol"], failures["Endpoint"]) == ("email", "ops@example.com")
    assert _subscriptions(s, "Success") == []  # a mail per answer would bury the failures
    default = synthesized["default"]  # no alarm_email: nobody is subscribed, and the plan says so
    assert default.plan.monitoring.alarm_email is None
    assert _subscriptions(default, "Error") == [] and _subscriptions(default, "Success") == []
