"""InferenceComponentMonitoring: the alarms and dashboard graphs of inference components,
one tier's on a shared endpoint or every component of an endpoint of its own."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from deepseek_cdk.alarm_settings import AlarmSettings
from deepseek_cdk.constructs.inference_component_endpoint import InferenceComponentEndpoint
from deepseek_cdk.constructs.monitoring import TrackedMetricMonitoring, graph
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.notifications import Notifications


class InferenceComponentMonitoring(TrackedMetricMonitoring[InferenceComponentEndpoint]):
    """Per component (their invocation metrics carry the component's name, not the
    variant's): ModelLatency p90, 5XX and 4XX rates, requests failing for lack of a copy for
    longer than a cold start; at max on the tracked metric (`tracked`: "concurrency", the
    default, or "invocations"). `components`: the ones to watch (default: all the endpoint's;
    on a shared endpoint, one tier's)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: InferenceComponentEndpoint,
        notifications: Notifications,
        settings: AlarmSettings | None = None,
        at_max_target: float | None = None,
        tracked: str = "concurrency",
        components: Sequence[str] | None = None,
    ) -> None:
        unknown = sorted(set(components or ()) - set(endpoint.components))
        require(
            not unknown,
            "components",
            f"not on the endpoint: {unknown}; it hosts {sorted(endpoint.components)}",
        )
        self.watched = list(components if components is not None else endpoint.components)
        super().__init__(
            scope,
            construct_id,
            endpoint=endpoint,
            notifications=notifications,
            settings=settings,
            at_max_target=at_max_target,
            tracked=tracked,
        )

    def _alarms(self) -> list[cloudwatch.Alarm]:
        endpoint, settings = self.endpoint, self.settings
        critical = []
        for component in self.watched:
            critical += self._invocations(
                component,
                latency=endpoint.metric_component(component, "ModelLatency", statistic="p90"),
                errors_5xx=endpoint.metric_component(component, "Invocation5XXErrors", statistic="Average"),
                errors_4xx=endpoint.metric_component(component, "Invocation4XXErrors", statistic="Average"),
            )
            critical.append(
                self._add(
                    f"NoCapacity{pascal(component)}",
                    endpoint.metric_no_capacity_failures(component),
                    0,
                    periods=settings.no_capacity_minutes,  # longer than a whole cold start
                    description=(
                        f"{component}: requests failed for lack of a copy for {settings.no_capacity_minutes} "
                        "minutes, longer than a cold start may take"
                    ),
                )
            )
        return critical

    def _tracked(self) -> dict[str, cloudwatch.IMetric]:
        metric = (
            self.endpoint.metric_concurrent_requests_per_copy
            if self._tracked_metric == "concurrency"
            else self.endpoint.metric_invocations_per_copy
        )
        return {c: metric(c) for c in self.watched}

    def graphs(self) -> Sequence[cloudwatch.IWidget]:
        endpoint = self.endpoint
        return [
            graph(
                f"{c}: requests per copy",
                endpoint.metric_concurrent_requests_per_copy(c),
                endpoint.metric_component_invocations(c),
            )
            for c in self.watched
        ] + [
            graph(f"{c}: no-capacity failures", endpoint.metric_no_capacity_failures(c)) for c in self.watched
        ]
