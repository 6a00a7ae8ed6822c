"""Tier adapters: each renders one tier's plan into this package's constructs (its role, a
model per version, the endpoint, its scaling and its monitoring): the real-time and async ones
here, the inference-components one in stacks.component_tier, what they share in
stacks.tier_base. `TIER_KINDS` is the one table that says which adapter serves which kind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.endpoint_props import BlueGreen
from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.constructs.monitoring import AsyncMonitoring, RealtimeMonitoring
from deepseek_cdk.constructs.naming import add_tags, pascal
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.realtime_endpoint import DataCapture, RealtimeEndpoint, Variant
from deepseek_cdk.constructs.router_props import RoutedTier
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.constructs.scaling import CapacityScaling
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.capacity import VersionCapacity
from deepseek_cdk.stacks.component_tier import InferenceComponentTier
from deepseek_cdk.stacks.fleets import FleetResources
from deepseek_cdk.stacks.tier_base import TierResources, hosting_of, schedule, slot, track


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
    fleet: FleetResources | None = None,
) -> TierResources:
    """The adapter of the tier's endpoint kind, under the construct id of the tier's name;
    each model is tagged with the ARN of its version's package in `registry`. With
    `router_deployment` (the deployment's name, when a router fronts the tier), alarms on
    the router's measurements of it too. A fleet's member puts its components on `fleet`."""
    common: dict[str, Any] = {
        "tier": tier,
        "key": key,
        "bucket_name": bucket_name,
        "notifications": notifications,
        "router_deployment": router_deployment,
    }
    resources = (
        InferenceComponentTier(scope, pascal(tier.name), **common, fleet=fleet)
        if fleet is not None
        else TIER_KINDS[tier.endpoint](scope, pascal(tier.name), **common)
    )
    if registry is not None:
        for version, model in resources.models.items():
            add_tags(model, {"model-package-arn": registry.package_arn(version)})
    return resources
