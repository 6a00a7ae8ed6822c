"""Monitoring per endpoint kind: the alarms that fit it and the dashboard graphs that show it,
together in one class per kind (RealtimeMonitoring, AsyncMonitoring here,
InferenceComponentMonitoring in component_monitoring.py), with the shared defaults in the
base class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from constructs import Construct

from deepseek_cdk.alarm_settings import AlarmSettings
from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.endpoint_base import SageMakerEndpoint
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.realtime_endpoint import RealtimeEndpoint

MINUTE = cdk.Duration.minutes(1)  # the period of the endpoint metrics the expressions divide
GRAPH_WIDTH = 6  # four graphs a row (the dashboard grid is 24 wide)
GREATER_OR_EQUAL = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD

E = TypeVar("E", bound=SageMakerEndpoint)


class EndpointMonitoring(Construct, Generic[E]):
    """The alarms of one endpoint, each notifying `notifications.alerts`, one composite alarm
    (any critical alarm) notifying `notifications.paging`, and the graphs for a dashboard
    (`graphs()`).

    Every alarm uses 1-minute periods, all of them breaching (`settings.evaluation_minutes`
    unless said otherwise), and treats missing data as fine: a tier at zero instances
    publishes nothing, and that is not an outage. With `at_max_target`, an alarm per variant
    or component on the metric scaling tracks: above the target for
    `settings.at_max_minutes`, target tracking would have added capacity unless the tier is
    at its maximum. `rollback_alarms` (latency and 5XX of the variants that answer, or async
    failures) suit deployment guardrails; `rollback_alarms_of[name]` are one variant's or
    component's. A shadow variant's alarms notify but never page and never roll back: it
    answers nobody. Costs: $0.10 per alarm-month, $0.50 per composite alarm.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: E,
        notifications: Notifications,
        settings: AlarmSettings | None = None,
        at_max_target: float | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings or AlarmSettings()
        problems = self.settings.problems()
        require(not problems, "settings", "; ".join(problems))
        require(
            at_max_target is None or at_max_target > 0, "at_max_target", f"must be > 0 (got {at_max_target})"
        )
        self.endpoint = endpoint
        self._notify = cw_actions.SnsAction(notifications.alerts)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.rollback_alarms: list[cloudwatch.Alarm] = []
        self.rollback_alarms_of: dict[str, list[cloudwatch.Alarm]] = {}
        critical = self._alarms()
        if at_max_target is not None:
            for name, metric in self._tracked().items():
                self._add(
                    f"AtMax{pascal(name)}",
                    metric,
                    at_max_target,
                    periods=self.settings.at_max_minutes,
                    description=(
                        f"{name}: load stayed above the scaling target for {self.settings.at_max_minutes} "
                        "minutes; the tier is at its maximum capacity (or cannot scale out)"
                    ),
                )
        self.composite = cloudwatch.CompositeAlarm(
            self,
            "Page",
            alarm_rule=cloudwatch.AlarmRule.any_of(*critical),
            alarm_description="Page: this tier is failing or cannot serve requests",
        )
        self.composite.add_alarm_action(cw_actions.SnsAction(notifications.paging))

    def _alarms(self) -> list[cloudwatch.Alarm]:
        """Create the kind's alarms; return the critical ones (they page)."""
        raise NotImplementedError

    def _tracked(self) -> dict[str, cloudwatch.IMetric]:
        """The metric scaling tracks, per variant or component."""
        raise NotImplementedError

    def graphs(self) -> Sequence[cloudwatch.IWidget]:
        """The dashboard graphs for this endpoint."""
        raise NotImplementedError

    def _invocations(
        self,
        name: str,
        *,
        latency: cloudwatch.IMetric,
        errors_5xx: cloudwatch.IMetric,
        errors_4xx: cloudwatch.IMetric,
        answers: bool = True,
    ) -> list[cloudwatch.Alarm]:
        """Latency and error-rate alarms of one variant or component; returns the critical
        ones (latency, 5XX), which are also its rollback alarms; none for a variant that
        `answers` nobody (a shadow)."""
        settings = self.settings
        suffix = pascal(name)
        latency_alarm = self._add(
            f"Latency{suffix}",
            latency,
            settings.latency_p90_us,
            description=f"{name}: p90 model latency above {settings.latency_p90_us / 1e6:g} s",
        )
        errors = self._add(
            f"Errors5xx{suffix}",
            errors_5xx,
            settings.error_5xx_rate,
            description=f"{name}: more than {settings.error_5xx_rate:.1%} of requests fail with 5XX",
        )
        self._add(
            f"Errors4xx{suffix}",
            errors_4xx,
            settings.error_4xx_rate,
            description=f"{name}: more than {settings.error_4xx_rate:.1%} of requests rejected (4XX)",
        )
        if not answers:
            return []
        self.rollback_alarms += [latency_alarm, errors]
        self.rollback_alarms_of[name] = [latency_alarm, errors]
        return [latency_alarm, errors]

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
        alarm = notifying_alarm(
            self,
            construct_id,
            metric,
            threshold,
            action=self._notify,
            periods=periods or self.settings.evaluation_minutes,
            description=description,
            comparison=comparison,
        )
        self.alarms[construct_id] = alarm
        return alarm

    def add_rollback_alarms(self, name: str, *alarms: cloudwatch.Alarm) -> None:
        """Roll back an update of `name` (a variant or component that answers) on `alarms`
        too, e.g. the router's alarms on the version it serves (RouterMonitoring)."""
        require(
            name in self.rollback_alarms_of,
            "name",
            f"must be a variant or component that answers: one of {sorted(self.rollback_alarms_of)} "
            f"(got {name!r})",
        )
        self.rollback_alarms_of[name] += alarms
        self.rollback_alarms += alarms


def notifying_alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    *,
    action: cloudwatch.IAlarmAction,
    periods: int,
    description: str,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
) -> cloudwatch.Alarm:
    """An alarm as this project makes them: breaching when all `periods` (one-minute) periods
    breach, missing data as fine (an idle tier publishes nothing), notifying `action`."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        comparison_operator=comparison,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(action)
    return alarm


class TrackedMetricMonitoring(EndpointMonitoring[E]):
    """Monitoring of a kind that scales on concurrency or invocations (`tracked`): its
    at-max alarm follows the same metric."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: E,
        notifications: Notifications,
        settings: AlarmSettings | None = None,
        at_max_target: float | None = None,
        tracked: str = "concurrency",
    ) -> None:
        require(
            tracked in ("concurrency", "invocations"),
            "tracked",
            f"concurrency or invocations (got {tracked!r})",
        )
        self._tracked_metric = tracked
        super().__init__(
            scope,
            construct_id,
            endpoint=endpoint,
            notifications=notifications,
            settings=settings,
            at_max_target=at_max_target,
        )


class RealtimeMonitoring(TrackedMetricMonitoring[RealtimeEndpoint]):
    """Per variant: ModelLatency p90 (µs), 5XX and 4XX error rates, disk; at max on the
    tracked metric (`tracked`: "concurrency", the default, or "invocations").

    No GPU-memory alarm: vLLM reserves its share of GPU memory at start-up, so the metric
    reads the same under any load (see deepseek_cdk.planning.alarms)."""

    def _alarms(self) -> list[cloudwatch.Alarm]:
        endpoint, settings = self.endpoint, self.settings
        critical = []
        for variant in endpoint.variant_names:
            critical += self._invocations(
                variant,
                latency=endpoint.metric_model_latency(variant, statistic="p90"),
                errors_5xx=endpoint.metric_5xx_errors(variant),
                errors_4xx=endpoint.metric_4xx_errors(variant),
                answers=variant != endpoint.shadow_name,
            )
            self._add(
                f"Disk{pascal(variant)}",
                endpoint.metric_disk_utilization(variant),
                settings.disk_percent,
                description=f"{variant}: disk above {settings.disk_percent:g}%",
            )
        return critical

    def _tracked(self) -> dict[str, cloudwatch.IMetric]:
        endpoint = self.endpoint
        metric = (
            endpoint.metric_concurrent_requests
            if self._tracked_metric == "concurrency"
            else endpoint.metric_invocations_per_instance
        )
        return {v: metric(v) for v in endpoint.variant_names}

    def graphs(self) -> Sequence[cloudwatch.IWidget]:
        endpoint = self.endpoint
        widgets: list[cloudwatch.IWidget] = []
        if endpoint.shadow_name is not None:
            both = endpoint.variant_names
            widgets += [
                graph(
                    "production vs shadow: p90 model latency (µs)",
                    *(endpoint.metric_model_latency(v, statistic="p90").with_(label=v) for v in both),
                ),
                graph(
                    "production vs shadow: 5XX rate",
                    *(endpoint.metric_5xx_errors(v).with_(label=v) for v in both),
                ),
            ]
        for variant in endpoint.variant_names:
            widgets += [
                graph(f"{variant}: invocations", endpoint.metric_invocations(variant)),
                graph(
                    f"{variant}: concurrent requests per instance",
                    endpoint.metric_concurrent_requests(variant),
                ),
                graph(
                    f"{variant}: model latency (µs)",
                    endpoint.metric_model_latency(variant, statistic="p50"),
                    endpoint.metric_model_latency(variant, statistic="p90"),
                ),
                graph(
                    f"{variant}: error rates",
                    endpoint.metric_4xx_errors(variant),
                    endpoint.metric_5xx_errors(variant),
                ),
                graph(
                    f"{variant}: instances",
                    cloudwatch.MathExpression(
                        expression="invocations / per_instance",
                        using_metrics={
                            "invocations": endpoint.metric_invocations(variant),
                            "per_instance": endpoint.metric_invocations_per_instance(variant),
                        },
                        label="instances (while serving)",
                        period=MINUTE,
                    ),
                ),
                graph(
                    f"{variant}: GPU (% x GPUs)",
                    endpoint.metric_gpu_utilization(variant),
                    endpoint.metric_gpu_memory_utilization(variant),
                ),
            ]
        return widgets


class AsyncMonitoring(EndpointMonitoring[AsyncEndpoint]):
    """Age of the oldest queued request, backlog size, requests waiting with no instance for
    longer than a cold start (`settings.no_capacity_minutes`), invocation failures; at max on
    the backlog per instance."""

    def _alarms(self) -> list[cloudwatch.Alarm]:
        endpoint, settings = self.endpoint, self.settings
        oldest = self._add(
            "OldestRequest",
            endpoint.metric_age_of_oldest_request(),
            settings.oldest_request_s,
            description=f"a request has waited more than {settings.oldest_request_s // 60} minutes",
        )
        self._add(
            "Backlog",
            endpoint.metric_backlog(),
            settings.backlog_size,
            description=f"more than {settings.backlog_size} requests waiting",
        )
        stuck = self._add(
            "BacklogWithoutCapacity",
            endpoint.metric_has_backlog_without_capacity(),
            1,
            periods=settings.no_capacity_minutes,  # longer than a whole cold start
            comparison=GREATER_OR_EQUAL,
            description=(
                f"requests have waited {settings.no_capacity_minutes} minutes with no instance running, "
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
        self.rollback_alarms_of[endpoint.variant_names[0]] = [failures]
        return [oldest, stuck, failures]

    def _tracked(self) -> dict[str, cloudwatch.IMetric]:
        return {"backlog": self.endpoint.metric_backlog_per_instance()}

    def graphs(self) -> Sequence[cloudwatch.IWidget]:
        endpoint = self.endpoint
        return [
            graph("Backlog (requests)", endpoint.metric_backlog()),
            graph("Oldest request (s)", endpoint.metric_age_of_oldest_request()),
            graph(
                "Instances (while requests wait)",
                cloudwatch.MathExpression(
                    expression="backlog / per_instance",
                    using_metrics={
                        "backlog": endpoint.metric_backlog(),
                        "per_instance": endpoint.metric_backlog_per_instance(),
                    },
                    label="instances",
                    period=MINUTE,
                ),
            ),
            graph(
                "Failures",
                endpoint.metric_invocation_failures(),
                endpoint.metric_has_backlog_without_capacity(),
            ),
            graph(
                "GPU utilization (% x GPUs)",
                endpoint.metric_gpu_utilization(),
                endpoint.metric_gpu_memory_utilization(),
            ),
        ]


def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=GRAPH_WIDTH, height=6)
