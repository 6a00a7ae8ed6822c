"""DeploymentDashboard: one CloudWatch dashboard, a row of graphs per tier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.endpoint_base import SageMakerEndpoint
from deepseek_cdk.constructs.inference_component_endpoint import InferenceComponentEndpoint
from deepseek_cdk.constructs.realtime_endpoint import RealtimeEndpoint

WIDTH = 6  # four graphs a row (the dashboard grid is 24 wide)
MINUTE = cdk.Duration.minutes(1)  # the period of the endpoint metrics the expressions divide


@dataclass(frozen=True)
class DashboardTier:
    name: str
    endpoint: SageMakerEndpoint
    summary: str  # markdown: kind, instance, planned monthly cost


class DeploymentDashboard(Construct):
    """A CloudWatch dashboard: per tier a text summary (instance, cost range from the plan)
    and graphs fitting its kind: invocations, concurrency, latency, error rates, instance
    count, GPU utilization and memory; backlog and age for async tiers; copies' concurrency
    and no-capacity failures for inference components. Costs $3 a month."""

    def __init__(self, scope: Construct, construct_id: str, *, tiers: list[DashboardTier]) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard")
        for tier in tiers:
            self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=tier.summary, width=24, height=2))
            self.dashboard.add_widgets(*self._graphs(tier))

    def _graphs(self, tier: DashboardTier) -> Sequence[cloudwatch.IWidget]:
        e = tier.endpoint
        if isinstance(e, AsyncEndpoint):
            return [
                graph("Backlog (requests)", e.metric_backlog()),
                graph("Oldest request (s)", e.metric_age_of_oldest_request()),
                graph(
                    "Instances (while requests wait)",
                    cloudwatch.MathExpression(
                        expression="backlog / per_instance",
                        using_metrics={
                            "backlog": e.metric_backlog(),
                            "per_instance": e.metric_backlog_per_instance(),
                        },
                        label="instances",
                        period=MINUTE,
                    ),
                ),
                graph("Failures", e.metric_invocation_failures(), e.metric_has_backlog_without_capacity()),
                graph(
                    "GPU utilization (% x GPUs)",
                    e.metric_gpu_utilization(),
                    e.metric_gpu_memory_utilization(),
                ),
            ]
        if isinstance(e, InferenceComponentEndpoint):
            return [
                graph(
                    f"{c}: requests per copy",
                    e.metric_concurrent_requests_per_copy(c),
                    e.metric_component_invocations(c),
                )
                for c in e.components
            ] + [graph(f"{c}: no-capacity failures", e.metric_no_capacity_failures(c)) for c in e.components]
        assert isinstance(e, RealtimeEndpoint)
        widgets: list[cloudwatch.IWidget] = []
        for v in e.variant_names:
            widgets += [
                graph(f"{v}: invocations", e.metric_invocations(v)),
                graph(f"{v}: concurrent requests per instance", e.metric_concurrent_requests(v)),
                graph(
                    f"{v}: model latency (µs)",
                    e.metric_model_latency(v, statistic="p50"),
                    e.metric_model_latency(v, statistic="p90"),
                ),
                graph(f"{v}: error rates", e.metric_4xx_errors(v), e.metric_5xx_errors(v)),
                graph(
                    f"{v}: instances",
                    cloudwatch.MathExpression(
                        expression="invocations / per_instance",
                        using_metrics={
                            "invocations": e.metric_invocations(v),
                            "per_instance": e.metric_invocations_per_instance(v),
                        },
                        label="instances (while serving)",
                        period=MINUTE,
                    ),
                ),
                graph(
                    f"{v}: GPU (% x GPUs)", e.metric_gpu_utilization(v), e.metric_gpu_memory_utilization(v)
                ),
            ]
        return widgets


def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH, height=6)
