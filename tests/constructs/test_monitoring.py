"""Monitoring, notifications, dashboard and budget constructs on their own: what each kind's
monitoring creates with the documented defaults, and bad props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    AlarmSettings,
    AsyncEndpoint,
    AsyncMonitoring,
    DashboardTier,
    DeploymentBudget,
    DeploymentDashboard,
    Hosting,
    Notifications,
    RealtimeEndpoint,
    RealtimeMonitoring,
    S3Prefix,
    Variant,
)
from tests.conftest import TEST_ENV, make_app


def setup() -> tuple[cdk.Stack, Notifications]:
    stack = cdk.Stack(make_app(), "Test", env=TEST_ENV)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return stack, Notifications(stack, "Notifications", kms_key=key)


def realtime(stack: cdk.Stack) -> RealtimeEndpoint:
    return RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[Variant("v1", "model-a", weight=90), Variant("v2", "model-b", weight=10)],
        hosting=Hosting("ml.g6e.xlarge", local_nvme=True),
        endpoint_name="chat",
    )


def alarm_names(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    return {a["Properties"]["AlarmDescription"]: a["Properties"] for a in alarms.values()}


def test_realtime_monitoring_with_the_documented_defaults() -> None:
    stack, notifications = setup()
    monitoring = RealtimeMonitoring(
        stack, "Monitoring", endpoint=realtime(stack), notifications=notifications
    )
    alarms = alarm_names(stack)
    assert sorted(monitoring.alarms) == sorted(
        f"{kind}{v}" for kind in ("Latency", "Errors5xx", "Errors4xx", "Disk") for v in ("V1", "V2")
    )
    latency = alarms["v1: p90 model latency above 60 s"]
    assert (latency["Threshold"], latency["EvaluationPeriods"]) == (60_000_000, 5)
    assert alarms["v2: more than 1.0% of requests fail with 5XX"]["Threshold"] == 0.01
    assert len(monitoring.rollback_alarms) == 4  # latency and 5XX of each variant
    assert len(monitoring.graphs()) == 12  # six graphs per variant


def test_at_max_alarms_follow_the_tracked_metric() -> None:
    stack, notifications = setup()
    RealtimeMonitoring(
        stack,
        "Monitoring",
        endpoint=realtime(stack),
        notifications=notifications,
        at_max_target=90,
        tracked="invocations",
    )
    at_max = [a for d, a in alarm_names(stack).items() if "above the scaling target" in d]
    assert {a["MetricName"] for a in at_max} == {"InvocationsPerInstance"}
    assert all(a["Threshold"] == 90 and a["EvaluationPeriods"] == 30 for a in at_max)


def test_async_monitoring_pages_on_a_wait_longer_than_a_cold_start() -> None:
    stack, notifications = setup()
    key = kms.Key(stack, "AsyncKey", enable_key_rotation=True)
    endpoint = AsyncEndpoint(
        stack,
        "Async",
        model_name="m",
        hosting=Hosting("ml.g6e.12xlarge", local_nvme=True),
        output=S3Prefix("bucket", "out/"),
        failure=S3Prefix("bucket", "err/"),
        kms_key=key,
        max_concurrent_invocations=8,
    )
    AsyncMonitoring(
        stack,
        "Monitoring",
        endpoint=endpoint,
        notifications=notifications,
        settings=AlarmSettings(no_capacity_minutes=32, backlog_size=40),
    )
    stuck = next(a for a in alarm_names(stack).values() if a["MetricName"] == "HasBacklogWithoutCapacity")
    assert stuck["EvaluationPeriods"] == 32
    assert (
        next(a for a in alarm_names(stack).values() if a["MetricName"] == "ApproximateBacklogSize")[
            "Threshold"
        ]
        == 40
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"settings": AlarmSettings(error_5xx_rate=5)}, "settings: error_5xx_rate: must be a share"),
        ({"settings": AlarmSettings(evaluation_minutes=0)}, "settings: evaluation_minutes: must be 1-60"),
        ({"at_max_target": 0}, "at_max_target: must be > 0"),
        ({"tracked": "tokens"}, "tracked: concurrency or invocations"),
    ],
)
def test_bad_monitoring_props(props: dict[str, Any], message: str) -> None:
    stack, notifications = setup()
    with pytest.raises(ValueError, match=message):
        RealtimeMonitoring(
            stack, "Monitoring", endpoint=realtime(stack), notifications=notifications, **props
        )


def test_notifications_budget_and_dashboard_bad_props() -> None:
    stack, notifications = setup()
    with pytest.raises(ValueError, match="email: must be an e-mail address"):
        Notifications(stack, "Bad", kms_key=kms.Key(stack, "K", enable_key_rotation=True), email="ops")
    with pytest.raises(ValueError, match="limit_usd_per_month: must be > 0"):
        DeploymentBudget(stack, "B", deployment="x", limit_usd_per_month=0, topic=notifications.alerts)
    with pytest.raises(ValueError, match="tiers: give at least one tier"):
        DeploymentDashboard(stack, "D", tiers=[])


def test_dashboard_shows_each_tier_summary_and_graphs() -> None:
    stack, notifications = setup()
    monitoring = RealtimeMonitoring(
        stack, "Monitoring", endpoint=realtime(stack), notifications=notifications
    )
    DeploymentDashboard(stack, "Dashboard", tiers=[DashboardTier("chat", "### chat", monitoring.graphs())])
    (dashboard,) = Template.from_stack(stack).find_resources("AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    assert "### chat" in body and "v2: model latency" in body
