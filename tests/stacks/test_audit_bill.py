"""The audit bill counts what the stacks create: every alarm (and the two that Application
Auto Scaling adds per target-tracking policy), the router's custom metrics, and the router's
log retention."""

from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.planning.audit_bill import HIGH_RESOLUTION_SUFFIX, ROUTER_LOG_RETENTION_DAYS
from deepseek_cdk.runtime.router.contract import METRICS_NAMESPACE
from tests.conftest import SYNTH_DEPLOYMENTS, Synthesized

DEPLOYMENTS = sorted(SYNTH_DEPLOYMENTS)


def billed_alarms(template: Template) -> tuple[int, int, int, int]:
    """(standard, high-resolution alarm metrics, composite alarms, target tracking's alarms)."""
    standard = high = tracking = 0
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        stats = (
            [m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m]
            if "Metrics" in props
            else [props]
        )
        for stat in stats:
            if stat["Period"] < 60:
                high += 1
            else:
                standard += 1
    for policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values():
        config = policy["Properties"].get("TargetTrackingScalingPolicyConfiguration")
        if config is None:
            continue
        tracking += 2  # Application Auto Scaling's alarm pair: scale out, scale in
        predefined = config.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType", "")
        if predefined.endswith(HIGH_RESOLUTION_SUFFIX):
            high += 2
        else:
            standard += 2
    composite = len(template.find_resources("AWS::CloudWatch::CompositeAlarm"))
    return standard, high, composite, tracking


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_the_plan_counts_every_alarm_the_templates_create(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    s = synthesized[name]
    m = s.plan.audit.monitoring
    planned = (m.standard_alarms, m.high_resolution_alarms, m.composite_alarms, m.target_tracking_alarms)
    stateful = billed_alarms(s.stateful)
    inference = billed_alarms(s.inference)
    assert planned == tuple(a + b for a, b in zip(stateful, inference, strict=True))


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_router_metric_the_alarms_read_is_one_the_plan_prices(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    s = synthesized[name]
    priced = set(s.plan.audit.monitoring.custom_metrics)
    read: set[Any] = set()
    for alarm in s.inference.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("Namespace") != METRICS_NAMESPACE:
            continue
        dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dims["Deployment"] == s.plan.deployment
        read.add((props["MetricName"], dims["Tier"], dims.get("Version")))
    assert read <= priced
    assert bool(priced) == (s.plan.router is not None)


@pytest.mark.parametrize("name", [n for n in DEPLOYMENTS if n in ("default", "chat-and-reasoning")])
def test_the_router_keeps_its_logs_as_long_as_the_bill_stores_them(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    s = synthesized[name]
    assert s.plan.router is not None
    groups = s.inference.find_resources("AWS::Logs::LogGroup")
    assert len(groups) >= 3  # the two functions' and API Gateway's access log
    assert {g["Properties"]["RetentionInDays"] for g in groups.values()} == {ROUTER_LOG_RETENTION_DAYS}
