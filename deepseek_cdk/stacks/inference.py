"""InferenceStack: the stateless part: models and endpoints, rendered from the Plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.budget import DeploymentBudget
from deepseek_cdk.constructs.dashboard import DashboardTier, DeploymentDashboard
from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.constructs.naming import pascal
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.request_router import RequestRouter
from deepseek_cdk.names import ROUTER_URL_OUTPUT
from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks.fleets import FleetResources, fleet_summary
from deepseek_cdk.stacks.tier_base import TierResources, tier_summary
from deepseek_cdk.stacks.tiers import build_tier


class InferenceStack(cdk.Stack):
    """One construct per shared fleet (its endpoint, stacks.fleets), one per tier (an execution
    role, a model per version, the endpoint, or its components on its fleet's, and its
    scaling) and, when the deployment has a router section, the RequestRouter in front and
    alarms on what it measures of each tier (RouterMonitoring, at the plan's objectives).

    Cost: the endpoints' GPU instances, billed per second while they exist (see
    `deepseek-cdk plan` for the monthly range per tier).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan: Plan,
        key: kms.IKey,
        bucket_name: str,
        registries: Mapping[str, ModelRegistry] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Weak cross-stack references (no CloudFormation exports pinning the stateful stack),
        # as this project's cdk.json sets, also in apps whose cdk.json does not.
        self.node.set_context("@aws-cdk/core:defaultCrossStackReferences", "weak")
        self.notifications = Notifications(
            self, "Notifications", kms_key=key, email=plan.monitoring.alarm_email
        )
        # A fleet's endpoint first: its members put their components on it.
        self.fleets = {
            fleet.name: FleetResources(
                self, pascal(fleet.name), fleet=fleet, members=[plan.tier(m) for m in fleet.members], key=key
            )
            for fleet in plan.fleets
        }
        self.tiers: dict[str, TierResources] = {
            tier.name: build_tier(
                self,
                tier,
                key=key,
                bucket_name=bucket_name,
                notifications=self.notifications,
                registry=(registries or {}).get(tier.name),
                router_deployment=plan.deployment if plan.router is not None else None,
                fleet=self.fleets[tier.fleet] if tier.fleet else None,
            )
            for tier in plan.tiers
        }
        self.dashboard = DeploymentDashboard(
            self,
            "Dashboard",
            tiers=[
                *(DashboardTier(f.name, fleet_summary(f), []) for f in plan.fleets),
                *(DashboardTier(t.name, tier_summary(t), self.tiers[t.name].graphs()) for t in plan.tiers),
            ],
        )
        if plan.monitoring.budget_usd_per_month is not None:
            DeploymentBudget(
                self,
                "Budget",
                deployment=plan.deployment,
                limit_usd_per_month=plan.monitoring.budget_usd_per_month,
                topic=self.notifications.alerts,
            )
        self.router: RequestRouter | None = None
        if plan.router is not None:
            self.router = RequestRouter(
                self,
                "Router",
                tiers=[self.tiers[t.name].routed(t) for t in plan.tiers],
                default_tier=plan.router.default_tier,
                rules=plan.router.rules,
                kms_key=key,
                deployment=plan.deployment,
            )
            cdk.CfnOutput(
                self,
                ROUTER_URL_OUTPUT,
                value=self.router.api.url,
                description=(
                    "The router API's base URL (SigV4), an OpenAI base_url: POST chat/completions, "
                    "GET models; POST invoke and stream, GET jobs/{id}"
                ),
            )
