"""Alarms, notifications, dashboard and budget as synthesized for the shipped deployments."""

import json
import re
from typing import Any

import pytest

from tests.conftest import Synthesized


def alarms(s: Synthesized) -> dict[str, dict[str, Any]]:
    return {k: a["Properties"] for k, a in s.inference.find_resources("AWS::CloudWatch::Alarm").items()}


def alarm(s: Synthesized, construct_path: str) -> dict[str, Any]:
    """The alarm whose logical id is `construct_path` plus CDK's 8-character hash."""
    (props,) = [p for k, p in alarms(s).items() if re.fullmatch(f"{construct_path}[0-9A-F]{{8}}", k)]
    return props


@pytest.mark.parametrize(
    "name", ["default", "chat-and-reasoning", "r1-full", "scale-to-zero", "scheduled-chat"]
)
def test_every_alarm_notifies_and_treats_missing_data_as_fine(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    for props in alarms(synthesized[name]).values():
        assert props["AlarmActions"], props
        assert props["TreatMissingData"] in ("notBreaching", "missing")


def test_real_time_alarm_set_and_units(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["default"]
    latency = alarm(s, "ChatAlarmsLatencyLive1")
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("ModelLatency", "p90")
    # ModelLatency stands in for the objectives: the p90 answer at them, in microseconds.
    assert latency["Threshold"] == s.plan.tier("chat").alarms.settings.latency_p90_us == 202_000_000
    assert alarm(s, "ChatAlarmsErrors5xxLive1")["Threshold"] == 0.01
    assert alarm(s, "ChatAlarmsErrors4xxLive1")["Threshold"] == 0.05
    assert alarm(s, "ChatAlarmsDiskLive1")["Threshold"] == 90
    at_max = alarm(s, "ChatAlarmsAtMaxLive1")
    assert at_max["MetricName"] == "ConcurrentRequestsPerModel"
    assert at_max["Threshold"] == s.plan.tier("chat").scaling.target.target
    assert at_max["EvaluationPeriods"] == 30


@pytest.mark.parametrize("name", ["default", "r1-full", "scale-to-zero", "scheduled-chat"])
def test_no_alarm_on_gpu_memory(synthesized: dict[str, Synthesized], name: str) -> None:
    """vLLM reserves its share of GPU memory at start-up: the metric reads it under any load."""
    metrics = {props["MetricName"] for props in alarms(synthesized[name]).values()}
    assert "GPUMemoryUtilization" not in metrics


def test_async_alarm_set(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["default"]
    assert alarm(s, "ReasoningAlarmsOldestRequest")["Threshold"] == 900  # the 900 s SLO
    assert alarm(s, "ReasoningAlarmsBacklog")["Threshold"] == 32
    stuck = alarm(s, "ReasoningAlarmsBacklogWithoutCapacity")
    tier = s.plan.tier("reasoning")
    assert stuck["MetricName"] == "HasBacklogWithoutCapacity"
    # Pages only once the wait is longer than the tier's whole cold-start allowance.
    assert stuck["EvaluationPeriods"] == tier.alarms.settings.no_capacity_minutes
    assert stuck["EvaluationPeriods"] * 60 >= tier.cold_start_s
    assert alarm(s, "ReasoningAlarmsInvocationFailures")["MetricName"] == "InvocationFailures"
    assert alarm(s, "ReasoningAlarmsAtMaxBacklog")["MetricName"] == "ApproximateBacklogSizePerInstance"


def test_inference_component_alarm_set(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["scale-to-zero"]
    tier = s.plan.tier("chat")
    component = [{"Name": "InferenceComponentName", "Value": f"{tier.endpoint_name}-live-1"}]
    no_capacity = alarm(s, "ChatAlarmsNoCapacityLive1")
    assert no_capacity["MetricName"] == "NoCapacityInvocationFailures"
    assert no_capacity["EvaluationPeriods"] == tier.alarms.settings.no_capacity_minutes
    assert no_capacity["EvaluationPeriods"] * 60 >= tier.cold_start_s
    # A component's invocation metrics carry its name, not the endpoint's variant.
    latency = alarm(s, "ChatAlarmsLatencyLive1")
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("ModelLatency", "p90")
    assert latency["Threshold"] == tier.alarms.settings.latency_p90_us
    errors = alarm(s, "ChatAlarmsErrors5xxLive1")
    assert (errors["MetricName"], errors["Statistic"]) == ("Invocation5XXErrors", "Average")
    for props in (no_capacity, latency, errors, alarm(s, "ChatAlarmsErrors4xxLive1")):
        assert props["Dimensions"] == component
    assert alarm(s, "ChatAlarmsAtMaxLive1")["MetricName"] == "ConcurrentRequestsPerCopy"
    (composite,) = s.inference.find_resources("AWS::CloudWatch::CompositeAlarm").values()
    rule = json.dumps(composite["Properties"]["AlarmRule"])
    assert all(f"ChatAlarms{a}Live1" in rule for a in ("Latency", "Errors5xx", "NoCapacity"))


def test_one_composite_alarm_per_tier_pages(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["default"]
    composites = s.inference.find_resources("AWS::CloudWatch::CompositeAlarm")
    assert len(composites) == 2
    topics = s.inference.find_resources("AWS::SNS::Topic")
    (paging,) = [k for k, t in topics.items() if k.startswith("NotificationsPaging")]
    for composite in composites.values():
        assert composite["Properties"]["AlarmActions"] == [{"Ref": paging}]
    (chat,) = [c for k, c in composites.items() if k.startswith("Chat")]
    rule = json.dumps(chat["Properties"]["AlarmRule"])
    assert "ChatAlarmsLatencyLive1" in rule and "ChatAlarmsErrors5xxLive1" in rule


def test_topics_are_encrypted_and_e_mail_is_subscribed_when_given(
    synthesized: dict[str, Synthesized],
) -> None:
    r1 = synthesized["r1-full"]
    topics = [
        t["Properties"]
        for k, t in r1.inference.find_resources("AWS::SNS::Topic").items()
        if k.startswith("Notifications")
    ]
    assert len(topics) == 2 and all("KmsMasterKeyId" in t for t in topics)
    subscriptions = r1.inference.find_resources("AWS::SNS::Subscription")
    assert {s["Properties"]["Endpoint"] for s in subscriptions.values()} == {"ops@example.com"}
    assert synthesized["default"].inference.find_resources("AWS::SNS::Subscription") == {}


def test_budget_filters_by_the_deployment_tag_and_notifies(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["chat-and-reasoning"]
    (budget,) = s.inference.find_resources("AWS::Budgets::Budget").values()
    data = budget["Properties"]["Budget"]
    assert data["BudgetLimit"] == {"Amount": 25000, "Unit": "USD"}
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["CostFilters"] == {"TagKeyValue": ["user:deployment$chatreason"]}
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in budget["Properties"]["NotificationsWithSubscribers"]
    }
    assert notifications == {("ACTUAL", 80), ("FORECASTED", 100)}
    assert synthesized["default"].inference.find_resources("AWS::Budgets::Budget") == {}


def test_dashboard_shows_every_tier_and_its_planned_cost(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["default"]
    (dashboard,) = s.inference.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    chat = s.plan.tier("chat")
    assert chat.cost is not None
    assert f"${chat.cost.monthly_at_min:,.0f}-${chat.cost.monthly_at_max:,.0f} a month" in body
    for metric in (
        "ConcurrentRequestsPerModel",
        "ModelLatency",
        "Invocation5XXErrors",
        "GPUMemoryUtilization",
        "ApproximateBacklogSize",
    ):
        assert metric in body


def key_statements(s: Synthesized) -> dict[str, dict[str, object]]:
    (key,) = s.stateful.find_resources("AWS::KMS::Key").values()
    return {st.get("Sid"): st for st in key["Properties"]["KeyPolicy"]["Statement"]}


def test_the_key_lets_logs_alarms_and_budgets_encrypt(synthesized: dict[str, Synthesized]) -> None:
    with_budget = key_statements(synthesized["chat-and-reasoning"])
    assert "kms:EncryptionContext:aws:logs:arn" in json.dumps(
        with_budget["CloudWatchLogsEncryptLogGroups"]["Condition"]
    )
    assert with_budget["CloudwatchPublishesToEncryptedTopics"]["Principal"] == {
        "Service": "cloudwatch.amazonaws.com"
    }
    assert with_budget["BudgetsPublishesToEncryptedTopics"]["Principal"] == {
        "Service": "budgets.amazonaws.com"
    }
    for statement in (
        with_budget["CloudwatchPublishesToEncryptedTopics"],
        with_budget["BudgetsPublishesToEncryptedTopics"],
    ):
        assert "aws:SourceAccount" in json.dumps(statement["Condition"])
    # Without a budget, Budgets gets nothing.
    assert "BudgetsPublishesToEncryptedTopics" not in key_statements(synthesized["default"])
