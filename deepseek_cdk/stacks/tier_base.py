"""What every tier adapter shares: TierResources (tags, role, a model per version, the
router's alarms) and the helpers that render a tier's plan (hosting, scaling, schedules, the
dashboard's summary). The adapters: stacks.tiers (real-time, async) and stacks.component_tier
(inference components, on an endpoint of their own or a shared fleet's)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.endpoint_base import SageMakerEndpoint
from deepseek_cdk.constructs.endpoint_props import Hosting
from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.monitoring import EndpointMonitoring
from deepseek_cdk.constructs.naming import add_tags, pascal
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.router_monitoring import RouterMonitoring
from deepseek_cdk.constructs.router_props import RoutedTier
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.constructs.scaling import CapacityScaling, ScheduledCapacity
from deepseek_cdk.money import money, money_span
from deepseek_cdk.planning import ScalingPlan, TierPlan
from deepseek_cdk.planning.capacity import VersionCapacity


class TierResources(Construct):
    """What every tier has: its tags, an execution role, one LlmModel per version (staged
    versions included), and, from the subclass, an endpoint and its monitoring; behind a
    router, alarms on what the router measures of it (`router_monitoring`)."""

    endpoint: SageMakerEndpoint
    monitoring: EndpointMonitoring[Any]
    router_monitoring: RouterMonitoring | None = None

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tier: TierPlan,
        key: kms.IKey,
        reads: tuple[S3Prefix, ...] = (),
        writes: tuple[S3Prefix, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        add_tags(self, {"tier": tier.name, "model": tier.model})
        weights = {S3Prefix.parse(v.weights_uri, "weights_uri") for v in tier.versions if v.weights_uri}
        self.role = ModelExecutionRole(
            self,
            "ExecutionRole",
            image_repositories=[tier.image_repository],
            read_prefixes=[*sorted(weights, key=lambda p: p.uri), *reads],
            write_prefixes=writes,
            kms_key=key,
            endpoint_name=tier.endpoint_name,
        )
        self.models: dict[str, LlmModel] = {}
        for version in tier.versions:
            model = LlmModel(
                self,
                f"Model{pascal(version.name)}",
                image_repository=tier.image_repository,
                image_tag=tier.image_tag,
                environment=version.env,
                weights_uri=version.weights_uri,
                role=self.role.role,
            )
            self.after_grants(model.model)
            add_tags(model, {"version": version.name})
            self.models[version.name] = model

    def routed(self, tier: TierPlan) -> RoutedTier:
        """How the router reaches this tier, and which version each variant serves."""
        return RoutedTier(
            tier.name,
            tier.endpoint,
            tier.endpoint_name,
            context_tokens=tier.max_context_tokens,
            buffered_max_tokens=tier.answers.buffered_max_tokens,
            stream_max_tokens=tier.answers.stream_max_tokens,
            versions=tuple((slot(v), v.version) for v in tier.capacity.live),
        )

    def measure_at_router(self, tier: TierPlan, deployment: str | None, notifications: Notifications) -> None:
        """Behind a router (`deployment`: the name its metrics carry; None: no router), alarms
        on the router's metrics of this tier at the plan's objectives; each live version's
        join the rollback alarms of the variant (component) serving it. Call it before the
        rollout is wired, which reads the rollback alarms."""
        if deployment is None:
            return
        streamed = tier.objectives.streamed
        self.router_monitoring = RouterMonitoring(
            self,
            "RouterAlarms",
            deployment=deployment,
            tier=tier.name,
            objectives=tier.objectives,
            notifications=notifications,
            versions={tier.component(slot(v)): v.version for v in tier.capacity.live} if streamed else None,
            settings=tier.alarms.settings,
        )
        for name, alarms in self.router_monitoring.alarms_of.items():
            self.monitoring.add_rollback_alarms(name, *alarms)

    def graphs(self) -> list[cloudwatch.IWidget]:
        """The dashboard's graphs of this tier: its endpoint's, then the router's."""
        router = self.router_monitoring.graphs() if self.router_monitoring else []
        return [*self.monitoring.graphs(), *router]

    def after_grants(self, resource: Construct) -> None:
        """Create `resource` only once the role's policies exist (the role itself is already a
        dependency wherever its ARN is used); SageMaker checks the role's access on creation."""
        for policy in (self.role.policy, self.role.data_policy):
            if policy is not None:
                resource.node.add_dependency(policy)


def tier_summary(tier: TierPlan) -> str:
    """The dashboard's text for a tier: what it runs on and what the plan says it costs."""
    cost = (
        f"{money_span(tier.cost.monthly_at_min, tier.cost.monthly_at_max)} a month (scheduled min-max, "
        f"{tier.price.region} prices)"
        + (
            f", {money(tier.cost.monthly_expected)} expected at the traffic"
            if tier.cost.monthly_expected is not None
            else ""
        )
        if tier.cost
        else f"no catalog price for {tier.instance_type}"
    )
    where = f"{tier.instance_type} of fleet {tier.fleet}" if tier.fleet else tier.instance_type
    return (
        f"### {tier.name}: {tier.endpoint}, {tier.model}\n"
        f"{where}, {tier.capacity.min}-{tier.capacity.max} {'copies' if tier.fleet else 'instances'}; "
        f"planned cost {cost}"
    )


def hosting_of(tier: TierPlan) -> Hosting:
    """The plan's instance type, start-up timeouts, storage and initial instance count."""
    return Hosting(
        instance_type=tier.instance_type,
        initial_instance_count=tier.capacity.initial_instances,
        model_download_timeout_s=tier.model_download_timeout_s,
        startup_health_check_timeout_s=tier.startup_health_check_timeout_s,
        volume_size_gb=tier.volume_size_gb,
        local_nvme=tier.local_nvme,
    )


def track(scaling: CapacityScaling, plan: ScalingPlan, concurrency: cloudwatch.IMetric) -> CapacityScaling:
    """Target tracking on the plan's metric and target: the `concurrency` metric's one-minute
    average where the plan tracks a customized metric (planning.scaling), else the predefined one."""
    cooldowns = {
        "scale_out_cooldown": cdk.Duration.seconds(plan.scale_out_cooldown_s),
        "scale_in_cooldown": cdk.Duration.seconds(plan.scale_in_cooldown_s),
    }
    target = plan.target
    if target.customized_metric is not None:
        scaling.scale_to_track_metric("Concurrency", concurrency, target.target, **cooldowns)
    elif target.metric == "concurrency":
        scaling.scale_on_concurrency(target.target, **cooldowns)
    else:
        scaling.scale_on_invocations(target.target, **cooldowns)
    return scaling


def slot(share: VersionCapacity) -> str:
    """The variant or component that serves a version."""
    assert share.slot is not None, "a serving version has a slot"
    return share.slot


def schedule(scaling: CapacityScaling, plan: ScalingPlan, share: VersionCapacity) -> CapacityScaling:
    """The tier's scheduled scenarios, each with this version's share of its min and max."""
    for scheduled, part in zip(plan.schedules, share.schedules, strict=True):
        scaling.scale_on_schedule(
            ScheduledCapacity(scheduled.name, scheduled.expression, scheduled.timezone, part.min, part.max)
        )
    return scaling
