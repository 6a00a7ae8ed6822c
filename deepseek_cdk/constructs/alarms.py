"""Notifications and EndpointAlarms: what tells operators that a tier needs attention."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.common import pascal, require
from deepseek_cdk.constructs.endpoint_base import SageMakerEndpoint
from deepseek_cdk.constructs.inference_component_endpoint import InferenceComponentEndpoint
from deepseek_cdk.constructs.realtime_endpoint import RealtimeEndpoint

MINUTE = cdk.Duration.minutes(1)


class Notifications(Construct):
    """Two SNS topics, KMS-encrypted and TLS-only: `alerts` receives every alarm (and an
    optional e-mail subscription), `paging` only each tier's composite alarm.

    A topic policy replaces SNS's default policy, so each topic allows exactly the services
    that publish to it: CloudWatch, for alarms of this account and region, on both topics
    (a DeploymentBudget adds AWS Budgets to the topic it notifies). The key's policy must let
    the same services use the key (the stateful stack's key does).
    Costs: SNS requests and deliveries; nothing while quiet."""

    def __init__(
        self, scope: Construct, construct_id: str, *, kms_key: kms.IKey, email: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        require(email is None or "@" in email, "email", f"must be an e-mail address (got {email!r})")
        self.alerts = sns.Topic(
            self, "Alerts", master_key=kms_key, enforce_ssl=True, display_name="deepseek-cdk alerts"
        )
        self.paging = sns.Topic(
            self, "Paging", master_key=kms_key, enforce_ssl=True, display_name="deepseek-cdk paging"
        )
        for topic in (self.alerts, self.paging):
            topic.add_to_resource_policy(alarms_may_publish(topic))
            if email:
                topic.add_subscription(subscriptions.EmailSubscription(email))


def alarms_may_publish(topic: sns.ITopic) -> iam.PolicyStatement:
    """CloudWatch may publish to `topic` for alarms of this account and region only: without
    it, a topic with its own policy refuses every alarm notification ("not authorized to
    perform: SNS:Publish")."""
    alarms = f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:*"
    return iam.PolicyStatement(
        sid="CloudWatchAlarmsPublish",
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={
            "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": alarms},
        },
    )


@dataclass(frozen=True)
class AlarmLimits:
    """Thresholds in CloudWatch's units (see deepseek_cdk.planning.alarms)."""

    latency_p90_us: int
    error_5xx_rate: float
    error_4xx_rate: float
    disk_percent: float
    at_max_minutes: int
    oldest_request_s: int
    backlog_size: int
    evaluation_minutes: int = 5
    no_capacity_minutes: int = 30  # longer than the tier's cold start (planning.startup)


class EndpointAlarms(Construct):
    """The alarms that fit an endpoint's kind, each notifying `notifications.alerts`, and one
    composite alarm for paging.

    - real-time, per variant: ModelLatency p90 (µs), 5XX and 4XX error rates, disk; capacity
      pinned at max (`at_max_metric` above `at_max_target`).
    - async: age of the oldest queued request, backlog size, requests waiting with no
      instance for longer than a cold start (`no_capacity_minutes`), invocation failures.
    - inference components, per component (their invocation metrics carry the component's
      name, not the variant's): ModelLatency p90, 5XX and 4XX rates, requests failing for
      lack of a copy for longer than a cold start, and copies pinned at max.

    No GPU-memory alarm: vLLM reserves its share of GPU memory at start-up, so the metric
    reads the same under any load (see deepseek_cdk.planning.alarms).

    Missing data is not breaching: a tier at zero instances publishes nothing, and that is
    not an outage. `rollback_alarms` (latency and 5XX) suit deployment guardrails.
    Costs: $0.10 per alarm-month (standard resolution), composite $0.50.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: SageMakerEndpoint,
        limits: AlarmLimits,
        notifications: Notifications,
        at_max_metrics: dict[str, cloudwatch.IMetric] | None = None,
        at_max_target: float | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        require(
            not at_max_metrics or at_max_target is not None,
            "at_max_target",
            "give the scaling target that at_max_metrics are compared with",
        )
        self._notify = cw_actions.SnsAction(notifications.alerts)
        self._periods = limits.evaluation_minutes
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.rollback_alarms: list[cloudwatch.Alarm] = []
        critical: list[cloudwatch.Alarm] = []

        if isinstance(endpoint, AsyncEndpoint):
            critical += self._async(endpoint, limits)
        elif isinstance(endpoint, InferenceComponentEndpoint):
            critical += self._components(endpoint, limits)
        elif isinstance(endpoint, RealtimeEndpoint):
            critical += self._realtime(endpoint, limits)
        else:
            require(
                False,
                "endpoint",
                f"must be a deepseek-cdk endpoint construct (got {type(endpoint).__name__})",
            )
        for name, metric in (at_max_metrics or {}).items():
            assert at_max_target is not None
            self._add(
                f"AtMax{pascal(name)}",
                metric,
                at_max_target,
                periods=limits.at_max_minutes,
                description=(
                    f"{name}: load stayed above the scaling target for {limits.at_max_minutes} minutes; "
                    "the tier is at its maximum capacity (or cannot scale out)"
                ),
            )
        self.composite = cloudwatch.CompositeAlarm(
            self,
            "Page",
            alarm_rule=cloudwatch.AlarmRule.any_of(*critical),
            alarm_description="Page: this tier is failing or cannot serve requests",
        )
        self.composite.add_alarm_action(cw_actions.SnsAction(notifications.paging))

    def _realtime(self, endpoint: RealtimeEndpoint, limits: AlarmLimits) -> list[cloudwatch.Alarm]:
        critical = []
        for variant in endpoint.variant_names:
            critical += self._invocations(
                variant,
                latency=endpoint.metric_model_latency(variant, statistic="p90"),
                errors_5xx=endpoint.metric_5xx_errors(variant),
                errors_4xx=endpoint.metric_4xx_errors(variant),
                limits=limits,
            )
            self._add(
                f"Disk{pascal(variant)}",
                endpoint.metric_disk_utilization(variant),
                limits.disk_percent,
                description=f"{variant}: disk above {limits.disk_percent:g}%",
            )
        return critical

    def _invocations(
        self,
        name: str,
        *,
        latency: cloudwatch.IMetric,
        errors_5xx: cloudwatch.IMetric,
        errors_4xx: cloudwatch.IMetric,
        limits: AlarmLimits,
    ) -> list[cloudwatch.Alarm]:
        """Latency and error-rate alarms of one variant or component; returns the critical
        ones (latency, 5XX), which are also its rollback alarms."""
        suffix = pascal(name)
        latency_alarm = self._add(
            f"Latency{suffix}",
            latency,
            limits.latency_p90_us,
            description=f"{name}: p90 model latency above {limits.latency_p90_us / 1e6:g} s",
        )
        errors = self._add(
            f"Errors5xx{suffix}",
            errors_5xx,
            limits.error_5xx_rate,
            description=f"{name}: more than {limits.error_5xx_rate:.1%} of requests fail with 5XX",
        )
        self._add(
            f"Errors4xx{suffix}",
            errors_4xx,
            limits.error_4xx_rate,
            description=f"{name}: more than {limits.error_4xx_rate:.1%} of requests rejected (4XX)",
        )
        self.rollback_alarms += [latency_alarm, errors]
        return [latency_alarm, errors]

    def _async(self, endpoint: AsyncEndpoint, limits: AlarmLimits) -> list[cloudwatch.Alarm]:
        oldest = self._add(
            "OldestRequest",
            endpoint.metric_age_of_oldest_request(),
            limits.oldest_request_s,
            description=f"a request has waited more than {limits.oldest_request_s // 60} minutes",
        )
        self._add(
            "Backlog",
            endpoint.metric_backlog(),
            limits.backlog_size,
            description=f"more than {limits.backlog_size} requests waiting",
        )
        stuck = self._add(
            "BacklogWithoutCapacity",
            endpoint.metric_has_backlog_without_capacity(),
            1,
            periods=limits.no_capacity_minutes,  # longer than a whole cold start
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=(
                f"requests have waited {limits.no_capacity_minutes} minutes with no instance running, "
                "longer than a cold start may take"
            ),
        )
        failures = self._add(
            "InvocationFailures",
            endpoint.metric_invocation_failures(),
            0,
            description="async invocations failed",
        )
        self.rollback_alarms.append(failures)
        return [oldest, stuck, failures]

    def _components(
        self, endpoint: InferenceComponentEndpoint, limits: AlarmLimits
    ) -> list[cloudwatch.Alarm]:
        critical = []
        for component in endpoint.components:
            critical += self._invocations(
                component,
                latency=endpoint.metric_component(component, "ModelLatency", statistic="p90"),
                errors_5xx=endpoint.metric_component(component, "Invocation5XXErrors", statistic="Average"),
                errors_4xx=endpoint.metric_component(component, "Invocation4XXErrors", statistic="Average"),
                limits=limits,
            )
            critical.append(
                self._add(
                    f"NoCapacity{pascal(component)}",
                    endpoint.metric_no_capacity_failures(component),
                    0,
                    periods=limits.no_capacity_minutes,  # longer than a whole cold start
                    description=(
                        f"{component}: requests failed for lack of a copy for "
                        f"{limits.no_capacity_minutes} minutes, longer than a cold start may take"
                    ),
                )
            )
        return critical

    def _add(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        *,
        description: str,
        periods: int | None = None,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) -> cloudwatch.Alarm:
        """An alarm with the shared defaults: 1-minute periods, all of them breaching, missing
        data not breaching, and the alerts topic as its action."""
        evaluation = periods or self._periods
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation,
            datapoints_to_alarm=evaluation,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._notify)
        self.alarms[construct_id] = alarm
        return alarm
