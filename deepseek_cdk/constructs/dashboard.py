"""DeploymentDashboard: one CloudWatch dashboard, a row of graphs per tier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from deepseek_cdk.constructs.naming import require


@dataclass(frozen=True)
class DashboardTier:
    name: str
    summary: str  # markdown: kind, instance, planned monthly cost
    graphs: Sequence[cloudwatch.IWidget]  # e.g. an EndpointMonitoring's graphs()


class DeploymentDashboard(Construct):
    """A CloudWatch dashboard: per tier a text summary (instance, cost range from the plan)
    and the graphs its monitoring gives: invocations, concurrency, latency, error rates,
    instance count, GPU utilization and memory for real-time tiers; backlog and age for async
    tiers; copies' concurrency and no-capacity failures for inference components; behind a
    router, RouterMonitoring's p90 TTFT and TPOT (async: completion time) with the tier's
    objectives as lines. Costs $3 a month."""

    def __init__(self, scope: Construct, construct_id: str, *, tiers: Sequence[DashboardTier]) -> None:
        super().__init__(scope, construct_id)
        require(bool(tiers), "tiers", "give at least one tier")
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard")
        for tier in tiers:
            self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=tier.summary, width=24, height=2))
            self.dashboard.add_widgets(*tier.graphs)
