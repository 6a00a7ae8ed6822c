"""RouterMonitoring on its own: the alarms each kind of objectives calls for, their metrics
as the router's contract names them, and bad props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    Notifications,
    Objectives,
    RealtimeEndpoint,
    RealtimeMonitoring,
    RouterMetrics,
    RouterMonitoring,
    Variant,
)
from deepseek_cdk.constructs.endpoint_base import Hosting
from deepseek_cdk.runtime.router import contract
from tests.conftest import TEST_ENV, make_app

ASYNC = Objectives(ttft_p90_s=None, tpot_p90_ms=None, completion_p90_s=1800)


def setup() -> tuple[cdk.Stack, Notifications]:
    stack = cdk.Stack(make_app(), "Test", env=TEST_ENV)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return stack, Notifications(stack, "Notifications", kms_key=key)


def monitoring(stack: cdk.Stack, notifications: Notifications, **props: Any) -> RouterMonitoring:
    defaults: dict[str, Any] = {"deployment": "d", "tier": "chat", "objectives": Objectives()}
    return RouterMonitoring(stack, "RouterAlarms", notifications=notifications, **{**defaults, **props})


def alarms(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    found = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    return {a["Properties"]["AlarmDescription"]: a["Properties"] for a in found.values()}


def test_streamed_objectives_alarm_on_ttft_and_tpot_per_tier_and_per_version() -> None:
    stack, notifications = setup()
    watched = monitoring(stack, notifications, objectives=Objectives(1.5, 80), versions={"live-1": "v7"})
    assert sorted(watched.alarms) == [
        "TimePerOutputToken",
        "TimePerOutputTokenLive1",
        "TimeToFirstToken",
        "TimeToFirstTokenLive1",
    ]
    assert watched.alarms_of == {
        "live-1": [watched.alarms["TimeToFirstTokenLive1"], watched.alarms["TimePerOutputTokenLive1"]]
    }
    found = alarms(stack)
    ttft = found["chat v7 (live-1): p90 time to first token above 1.5 s"]
    assert (ttft["Namespace"], ttft["MetricName"], ttft["Threshold"]) == (
        contract.METRICS_NAMESPACE,
        contract.TTFT_METRIC,
        1500,
    )
    assert ttft["Dimensions"] == [
        {"Name": "Deployment", "Value": "d"},
        {"Name": "Tier", "Value": "chat"},
        {"Name": "Version", "Value": "v7"},
    ]
    assert found["chat: p90 time per output token above 80 ms"]["Threshold"] == 80
    assert all(a["EvaluationPeriods"] == 5 and a["AlarmActions"] for a in found.values())


def test_async_objectives_alarm_on_completion_time_only() -> None:
    stack, notifications = setup()
    watched = monitoring(stack, notifications, objectives=ASYNC)
    assert list(watched.alarms) == ["JobCompletionTime"]
    (alarm,) = alarms(stack).values()
    assert (alarm["MetricName"], alarm["Threshold"]) == (contract.COMPLETION_METRIC, 1_800_000)
    assert len(watched.graphs()) == 1


def test_a_router_metric_takes_any_metric_prop_over_its_defaults() -> None:
    metric = RouterMetrics("d", "chat").metric(contract.OUTPUT_TOKENS_METRIC, statistic="Sum")
    assert (metric.namespace, metric.statistic, metric.dimensions) == (
        contract.METRICS_NAMESPACE,
        "Sum",
        {"Deployment": "d", "Tier": "chat"},
    )
    with pytest.raises(ValueError, match="name: one of the router's metrics"):
        RouterMetrics("d", "chat").metric("Latency")


def test_a_versions_pair_joins_its_variants_rollback_alarms() -> None:
    stack, notifications = setup()
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[Variant("live-1", "model-a")],
        hosting=Hosting("ml.g6.2xlarge", local_nvme=True),
    )
    endpoint_alarms = RealtimeMonitoring(stack, "Alarms", endpoint=endpoint, notifications=notifications)
    watched = monitoring(stack, notifications, versions={"live-1": "v1"})
    endpoint_alarms.add_rollback_alarms("live-1", *watched.alarms_of["live-1"])
    assert endpoint_alarms.rollback_alarms_of["live-1"][-2:] == watched.alarms_of["live-1"]
    assert len(endpoint_alarms.rollback_alarms) == 4
    answers = r"name: must be a variant or component that answers: one of \['live-1'\]"
    with pytest.raises(ValueError, match=answers):
        endpoint_alarms.add_rollback_alarms("shadow", *watched.alarms_of["live-1"])


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"deployment": ""}, "deployment, tier: metric dimensions, give both"),
        ({"objectives": Objectives(None, None, None)}, "objectives: give ttft_p90_s and tpot_p90_ms"),
        ({"objectives": Objectives(0, 100)}, r"objectives: every objective must be > 0 \(got ttft_p90_s=0, "),
        ({"objectives": Objectives(None, -1)}, r"> 0 \(got tpot_p90_ms=-1\)"),
        ({"objectives": ASYNC, "versions": {"live-1": "v1"}}, "versions: per-version alarms watch streamed"),
    ],
)
def test_bad_router_monitoring_props(props: dict[str, Any], message: str) -> None:
    stack, notifications = setup()
    with pytest.raises(ValueError, match=message):
        monitoring(stack, notifications, **props)


def test_every_problem_is_reported_at_once() -> None:
    stack, notifications = setup()
    with pytest.raises(ValueError, match=r"deployment, tier: .*; objectives: give"):
        monitoring(stack, notifications, tier="", objectives=Objectives(None, None, None))
