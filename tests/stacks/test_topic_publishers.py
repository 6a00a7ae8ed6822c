"""Every SNS topic lets publish exactly what publishes to it, in every shipped deployment.

A topic policy replaces SNS's default policy: a service that is not allowed in it cannot
deliver (CloudWatch alarms fail with "not authorized to perform: SNS:Publish"). Identities of
the account (the models' execution roles) publish through their own IAM policies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SYNTH_DEPLOYMENTS, Synthesized


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_publishers(template: dict[str, Any]) -> dict[str, set[str]]:
    """Per topic: services its policy allows to publish, and roles whose policies allow it."""
    resources = template["Resources"]
    allowed: dict[str, set[str]] = {k: set() for k, r in resources.items() if r["Type"] == "AWS::SNS::Topic"}
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SNS::TopicPolicy":
            topics = [_ref(t) for t in props["Topics"]]
            for st in props["PolicyDocument"]["Statement"]:
                if st["Effect"] == "Allow" and "sns:Publish" in _listify(st["Action"]):
                    for topic in topics:
                        allowed[str(topic)] |= set(_listify(st["Principal"]["Service"]))
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            for st in props["PolicyDocument"]["Statement"]:
                if st["Effect"] == "Allow" and "sns:Publish" in _listify(st["Action"]):
                    for topic in _listify(st["Resource"]):
                        allowed[str(_ref(topic))] |= {f"role:{_ref(r)}" for r in props["Roles"]}
    return allowed


def actual_publishers(template: dict[str, Any]) -> dict[str, set[str]]:
    """Per topic: what sends to it: alarms, budgets, async endpoints (as their model's role)."""
    resources = template["Resources"]
    actual: dict[str, set[str]] = {k: set() for k, r in resources.items() if r["Type"] == "AWS::SNS::Topic"}
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            for action in props.get("AlarmActions", []):
                if _ref(action) in actual:
                    actual[str(_ref(action))].add("cloudwatch.amazonaws.com")
        if resource["Type"] == "AWS::Budgets::Budget":
            for notification in props["NotificationsWithSubscribers"]:
                for subscriber in notification["Subscribers"]:
                    actual[str(_ref(subscriber["Address"]))].add("budgets.amazonaws.com")
        if resource["Type"] == "AWS::SageMaker::EndpointConfig" and "AsyncInferenceConfig" in props:
            topics = props["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
            (variant,) = props["ProductionVariants"]
            model = resources[variant["ModelName"]["Fn::GetAtt"][0]]
            role = model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
            for topic in topics.values():
                actual[str(_ref(topic))].add(f"role:{role}")
    return actual


@pytest.mark.parametrize("name", SYNTH_DEPLOYMENTS)
def test_each_topic_allows_exactly_its_publishers(synthesized: dict[str, Synthesized], name: str) -> None:
    template = synthesized[name].inference.to_json()
    actual = actual_publishers(template)
    assert actual, "every deployment has at least the alerts and paging topics"
    assert all(actual.values()), f"a topic nothing publishes to: {actual}"
    assert allowed_publishers(template) == actual


def test_budget_topic_and_async_topics_are_covered(synthesized: dict[str, Synthesized]) -> None:
    """The deployments above include a budget and an async tier, so all three kinds of
    publisher are held to the rule, not only alarms."""
    kinds = set().union(*actual_publishers(synthesized["chat-and-reasoning"].inference.to_json()).values())
    assert {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"} <= kinds
    assert any(k.startswith("role:") for k in kinds)


def test_services_publish_only_for_this_account(synthesized: dict[str, Synthesized]) -> None:
    template = synthesized["chat-and-reasoning"].inference.to_json()
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    services = [
        st
        for policy in policies
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Allow"
    ]
    assert services
    for st in services:
        condition = json.dumps(st["Condition"])
        assert "aws:SourceAccount" in condition and "aws:SourceArn" in condition, st
        if "cloudwatch.amazonaws.com" in _listify(st["Principal"]["Service"]):
            assert ":alarm:*" in condition
