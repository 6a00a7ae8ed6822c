"""InferenceComponentTier: an inference-components tier's adapter, on an endpoint of its own
or on a shared fleet's (stacks.fleets)."""

from __future__ import annotations

from dataclasses import replace

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.component_monitoring import InferenceComponentMonitoring
from deepseek_cdk.constructs.inference_component_endpoint import Component, InferenceComponentEndpoint
from deepseek_cdk.constructs.naming import add_tags
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.router_props import RoutedTier
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.stacks.fleets import FleetResources
from deepseek_cdk.stacks.tier_base import TierResources, hosting_of, schedule, slot


class InferenceComponentTier(TierResources):
    """An inference-component tier: one component per live version, on an endpoint of its own
    or on a shared `fleet`'s (whose instances its copies then share with the other members');
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
        fleet: FleetResources | None = None,
    ) -> None:
        super().__init__(scope, construct_id, tier=tier, key=key)
        plan = tier.scaling
        live = tier.capacity.live
        if fleet is None:
            self.endpoint = InferenceComponentEndpoint(
                self,
                "Endpoint",
                execution_role=self.role.role,
                hosting=hosting_of(tier),
                min_instances=tier.capacity.instances_min,
                max_instances=tier.capacity.instances_max,
                kms_key=key,
                endpoint_name=tier.endpoint_name,
            )
            self.after_grants(self.endpoint.endpoint_config)
        else:
            self.endpoint = fleet.endpoint
        keys = [tier.component(slot(v)) for v in live]
        for key_, v in zip(keys, live, strict=True):
            self.endpoint.add_component(
                Component(
                    key_,
                    self.models[v.version].model_name,
                    accelerators=tier.tensor_parallel_degree,
                    memory_mb=tier.copy_memory_mb,
                    initial_copies=v.initial,
                    model_download_timeout_s=tier.model_download_timeout_s,
                    startup_health_check_timeout_s=tier.startup_health_check_timeout_s,
                )
            )
        self.scaling = [
            schedule(
                self.endpoint.scale_copies(
                    key_,
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
            for key_, v in zip(keys, live, strict=True)
        ]
        if fleet is not None:  # what it puts on the fleet's endpoint is the tier's, for cost allocation
            for key_, scaling in zip(keys, self.scaling, strict=True):
                for resource in (
                    self.endpoint.components[key_],
                    scaling,
                    self.endpoint.from_zero_alarms.get(key_),
                ):
                    if resource is not None:
                        add_tags(resource, {"tier": tier.name, "model": tier.model})
        self.monitoring = InferenceComponentMonitoring(
            self,
            "Alarms",
            endpoint=self.endpoint,
            notifications=notifications,
            settings=tier.alarms.settings,
            at_max_target=plan.target.target,
            tracked=plan.target.metric,
            components=keys,
        )
        self.measure_at_router(tier, router_deployment, notifications)
        rollout = tier.rollout
        if rollout is not None:
            assert rollout.step_percent is not None, "inference components roll out in batches"
            for key_ in keys:
                alarms = self.monitoring.rollback_alarms_of[key_]
                self.role.allow_describe_alarms(*alarms)
                if fleet is not None:  # the endpoint's own role may be the one that watches them
                    fleet.role.allow_describe_alarms(*alarms)
                self.endpoint.roll_out_component(
                    key_,
                    batch_percent=rollout.step_percent,
                    wait_s=rollout.bake_s,
                    max_execution_s=rollout.max_execution_s,
                    rollback_alarms=alarms,
                )

    def routed(self, tier: TierPlan) -> RoutedTier:
        live = tier.capacity.live
        names = [self.endpoint.component_names[tier.component(slot(v))] for v in live]
        components = tuple((name, v.weight) for name, v in zip(names, live, strict=True))
        versions = tuple((name, v.version) for name, v in zip(names, live, strict=True))
        return replace(super().routed(tier), components=components, versions=versions)
