"""Tier adapters: each renders one tier's plan into this package's constructs (its role, a
model per version, the endpoint, its scaling and its monitoring). `TIER_KINDS` is the one
table that says which adapter serves which endpoint kind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.endpoint_base import SageMakerEndpoint
from deepseek_cdk.constructs.endpoint_props import BlueGreen, Hosting
from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.inference_component_endpoint import Component, InferenceComponentEndpoint
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.constructs.monitoring import (
    AsyncMonitoring,
    EndpointMonitoring,
    InferenceComponentMonitoring,
    RealtimeMonitoring,
)
from deepseek_cdk.constructs.naming import add_tags, pascal
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.realtime_endpoint import DataCapture, RealtimeEndpoint, Variant
from deepseek_cdk.constructs.router_monitoring import RouterMonitoring
from deepseek_cdk.constructs.router_props import RoutedTier
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.constructs.scaling import CapacityScaling, ScheduledCapacity
from deepseek_cdk.kinds import EndpointKind
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
            versions={slot(v): v.version for v in tier.capacity.live} if streamed else None,
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


class RealtimeTier(TierResources):
    """A real-time tier: weighted variants, one per live version (named for its slot), each
    scaled on its own; optionally a shadow variant, data capture, and blue/green rollouts."""

    endpoint: RealtimeEndpoint

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tier: TierPlan,
        key: kms.IKey,
        bucket_name: str,
        notifications: Notifications,
        router_deployment: str | None = None,
    ) -> None:
        capture = S3Prefix(bucket_name, tier.data_capture.prefix) if tier.data_capture else None
        super().__init__(scope, construct_id, tier=tier, key=key, writes=(capture,) if capture else ())
        live, shadow = tier.capacity.live, tier.capacity.shadow
        self.endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            variants=[self._variant(v, v.weight) for v in live],
            shadow=self._variant(shadow, (tier.shadow_percent or 0) / 100) if shadow else None,
            hosting=hosting_of(tier),
            kms_key=key,
            endpoint_name=tier.endpoint_name,
            data_capture=(
                DataCapture(capture, tier.data_capture.sample_percent, key)
                if capture and tier.data_capture
                else None
            ),
        )
        # The endpoint name carries the instance type and the variant count
        # (planning.plan.endpoint_name), so a new instance type, or a variant added or removed,
        # replaces the endpoint and these targets with it instead of an update that SageMaker
        # would refuse while a variant is registered for autoscaling. The shadow keeps its
        # planned count: no AWS page documents registering a shadow variant for autoscaling
        # (planning.capacity).
        self.scaling = [
            schedule(
                track(self._scaling(v), tier.scaling, self.endpoint.metric_concurrent_requests(slot(v))),
                tier.scaling,
                v,
            )
            for v in live
        ]
        self.monitoring = RealtimeMonitoring(
            self,
            "Alarms",
            endpoint=self.endpoint,
            notifications=notifications,
            settings=tier.alarms.settings,
            at_max_target=tier.scaling.target.target,
            tracked=tier.scaling.target.metric,
        )
        self.measure_at_router(tier, router_deployment, notifications)
        roll_out(self, tier)

    def _variant(self, share: VersionCapacity, weight: float) -> Variant:
        return Variant(slot(share), self.models[share.version].model_name, weight, share.initial)

    def _scaling(self, share: VersionCapacity) -> CapacityScaling:
        return self.endpoint.auto_scale_instance_count(
            variant=slot(share), min_capacity=share.min, max_capacity=share.max
        )


class AsyncTier(TierResources):
    """An async tier: requests queue in SageMaker, results go to the deployment's bucket under
    `async/<tier>/`, and the tier scales on its backlog, from zero when min is 0."""

    endpoint: AsyncEndpoint

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tier: TierPlan,
        key: kms.IKey,
        bucket_name: str,
        notifications: Notifications,
        router_deployment: str | None = None,
    ) -> None:
        assert tier.queue is not None, "an async tier's plan has its queue prefixes"
        requests, responses, failures = (
            S3Prefix(bucket_name, prefix)
            for prefix in (tier.queue.requests, tier.queue.responses, tier.queue.failures)
        )
        super().__init__(
            scope, construct_id, tier=tier, key=key, reads=(requests,), writes=(responses, failures)
        )
        self.requests, self.responses, self.failures = requests, responses, failures
        (version,) = tier.capacity.live
        self.endpoint = AsyncEndpoint(
            self,
            "Endpoint",
            model_name=self.models[version.version].model_name,
            variant_name=slot(version),
            hosting=hosting_of(tier),
            output=self.responses,
            failure=self.failures,
            kms_key=key,
            max_concurrent_invocations=tier.max_concurrency,
            endpoint_name=tier.endpoint_name,
            failure_email=notifications.email,
        )
        self.role.allow_publish(self.endpoint.success_topic, self.endpoint.error_topic)
        plan = tier.scaling
        self.scaling = self.endpoint.scale_on_backlog(
            min_capacity=version.min,
            max_capacity=version.max,
            backlog_per_instance=plan.target.target,
            scale_out_cooldown=cdk.Duration.seconds(plan.scale_out_cooldown_s),
            scale_in_cooldown=cdk.Duration.seconds(plan.scale_in_cooldown_s),
            cold_start=cdk.Duration.seconds(plan.scale_from_zero_cooldown_s),
            from_zero=version.reaches_zero,
        )
        schedule(self.scaling, plan, version)
        self.monitoring = AsyncMonitoring(
            self,
            "Alarms",
            endpoint=self.endpoint,
            notifications=notifications,
            settings=tier.alarms.settings,
            at_max_target=plan.target.target,
        )
        self.measure_at_router(tier, router_deployment, notifications)
        roll_out(self, tier)

    def routed(self, tier: TierPlan) -> RoutedTier:
        return replace(
            super().routed(tier), requests=self.requests, responses=self.responses, failures=self.failures
        )


class InferenceComponentTier(TierResources):
    """An inference-component tier: one component per version on instances SageMaker manages;
    copies scale on concurrency and from zero on no-capacity failures, instances follow."""

    endpoint: InferenceComponentEndpoint

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tier: TierPlan,
        key: kms.IKey,
        bucket_name: str,
        notifications: Notifications,
        router_deployment: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, tier=tier, key=key)
        plan = tier.scaling
        live = tier.capacity.live
        self.endpoint = InferenceComponentEndpoint(
            self,
            "Endpoint",
            components=[
                Component(
                    slot(v),
                    self.models[v.version].model_name,
                    accelerators=tier.tensor_parallel_degree,
                    memory_mb=tier.copy_memory_mb,
                    initial_copies=v.initial,
                )
                for v in live
            ],
            execution_role=self.role.role,
            hosting=hosting_of(tier),
            min_instances=tier.capacity.instances_min,
            max_instances=tier.capacity.instances_max,
            kms_key=key,
            endpoint_name=tier.endpoint_name,
        )
        self.after_grants(self.endpoint.endpoint_config)
        self.scaling = [
            schedule(
                self.endpoint.scale_copies(
                    slot(v),
                    min_copies=v.min,
                    max_copies=v.max,
                    target=plan.target.target,
                    metric=plan.target.metric,
                    scale_out_cooldown=cdk.Duration.seconds(plan.scale_out_cooldown_s),
                    scale_in_cooldown=cdk.Duration.seconds(plan.scale_in_cooldown_s),
                    cold_start=cdk.Duration.seconds(plan.scale_from_zero_cooldown_s),
                    from_zero=v.reaches_zero,
                ),
                plan,
                v,
            )
            for v in live
        ]
        self.monitoring = InferenceComponentMonitoring(
            self,
            "Alarms",
            endpoint=self.endpoint,
            notifications=notifications,
            settings=tier.alarms.settings,
            at_max_target=plan.target.target,
            tracked=plan.target.metric,
        )
        self.measure_at_router(tier, router_deployment, notifications)
        rollout = tier.rollout
        if rollout is not None:
            assert rollout.step_percent is not None, "inference components roll out in batches"
            for v in live:
                alarms = self.monitoring.rollback_alarms_of[slot(v)]
                self.role.allow_describe_alarms(*alarms)
                self.endpoint.roll_out_component(
                    slot(v),
                    batch_percent=rollout.step_percent,
                    wait_s=rollout.bake_s,
                    max_execution_s=rollout.max_execution_s,
                    rollback_alarms=alarms,
                )

    def routed(self, tier: TierPlan) -> RoutedTier:
        live = tier.capacity.live
        components = tuple((self.endpoint.component_names[slot(v)], v.weight) for v in live)
        versions = tuple((self.endpoint.component_names[slot(v)], v.version) for v in live)
        return replace(super().routed(tier), components=components, versions=versions)


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
    return (
        f"### {tier.name}: {tier.endpoint}, {tier.model}\n"
        f"{tier.instance_type}, {tier.capacity.min}-{tier.capacity.max} instances; "
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


def roll_out(tier_resources: RealtimeTier | AsyncTier, tier: TierPlan) -> None:
    """Blue/green updates of the tier's endpoint per the plan's rollout, rolled back on the
    tier's rollback alarms, which the models' role may then describe."""
    rollout = tier.rollout
    if rollout is None:
        return
    alarms = tier_resources.monitoring.rollback_alarms
    tier_resources.role.allow_describe_alarms(*alarms)
    tier_resources.endpoint.roll_out(
        BlueGreen(
            strategy=rollout.strategy,
            step_percent=rollout.step_percent,
            bake_s=rollout.bake_s,
            termination_wait_s=rollout.termination_wait_s,
            max_execution_s=rollout.max_execution_s,
        ),
        rollback_alarms=alarms,
    )


def schedule(scaling: CapacityScaling, plan: ScalingPlan, share: VersionCapacity) -> CapacityScaling:
    """The tier's scheduled scenarios, each with this version's share of its min and max."""
    for scheduled, part in zip(plan.schedules, share.schedules, strict=True):
        scaling.scale_on_schedule(
            ScheduledCapacity(scheduled.name, scheduled.expression, scheduled.timezone, part.min, part.max)
        )
    return scaling


# The one place that says which constructs serve which endpoint kind.
TIER_KINDS: dict[EndpointKind, type[RealtimeTier] | type[AsyncTier] | type[InferenceComponentTier]] = {
    EndpointKind.REALTIME: RealtimeTier,
    EndpointKind.ASYNC: AsyncTier,
    EndpointKind.INFERENCE_COMPONENTS: InferenceComponentTier,
}


def build_tier(
    scope: Construct,
    tier: TierPlan,
    *,
    key: kms.IKey,
    bucket_name: str,
    notifications: Notifications,
    registry: ModelRegistry | None = None,
    router_deployment: str | None = None,
) -> TierResources:
    """The adapter of the tier's endpoint kind, under the construct id of the tier's name;
    each model is tagged with the ARN of its version's package in `registry`. With
    `router_deployment` (the deployment's name, when a router fronts the tier), alarms on
    the router's measurements of it too."""
    resources = TIER_KINDS[tier.endpoint](
        scope,
        pascal(tier.name),
        tier=tier,
        key=key,
        bucket_name=bucket_name,
        notifications=notifications,
        router_deployment=router_deployment,
    )
    if registry is not None:
        for version, model in resources.models.items():
            add_tags(model, {"model-package-arn": registry.package_arn(version)})
    return resources
