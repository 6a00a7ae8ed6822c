"""InferenceStack: the stateless part: models and endpoints, rendered from the Plan."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.common import add_tags
from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.realtime_endpoint import RealtimeEndpoint, Variant
from deepseek_cdk.constructs.scaling import CapacityScaling, ScheduledCapacity
from deepseek_cdk.planning import Plan, ScalingPlan, TierPlan


def construct_id(name: str) -> str:
    """`chat` -> `Chat`, `long-reasoning` -> `LongReasoning`: stable PascalCase ids."""
    return "".join(part.capitalize() for part in name.split("-"))


class InferenceStack(cdk.Stack):
    """One construct per tier: an execution role, a model per version, and the endpoint.

    Cost: the endpoints' GPU instances, billed per second while they exist (see
    `deepseek-cdk plan` for the monthly range per tier).
    """

    def __init__(
        self, scope: Construct, construct_id_: str, *, plan: Plan, key: kms.IKey, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id_, **kwargs)
        self.endpoints: dict[str, RealtimeEndpoint] = {}
        for tier in plan.tiers:
            self.endpoints[tier.name] = RealtimeTier(
                self, construct_id(tier.name), tier=tier, key=key
            ).endpoint


class RealtimeTier(Construct):
    """Feeds a real-time tier of the Plan into ModelExecutionRole, LlmModel and RealtimeEndpoint."""

    def __init__(self, scope: Construct, construct_id_: str, *, tier: TierPlan, key: kms.IKey) -> None:
        super().__init__(scope, construct_id_)
        add_tags(self, {"tier": tier.name, "model": tier.model})
        weight_uris = sorted({v.weights_uri for v in tier.versions if v.weights_uri})
        self.role = ModelExecutionRole(
            self,
            "ExecutionRole",
            image_repositories=[tier.image_repository],
            read_prefixes=weight_uris,
            kms_key=key,
            endpoint_name=tier.endpoint_name,
        )
        variants = []
        for version in tier.versions:
            model = LlmModel(
                self,
                f"Model{construct_id(version.name)}",
                image_repository=tier.image_repository,
                image_tag=tier.image_tag,
                environment=version.env,
                weights_uri=version.weights_uri,
                role=self.role.role,
            )
            model.model.node.add_dependency(self.role.policy)
            add_tags(model, {"version": version.name})
            variants.append(Variant(version.name, model.model_name, version.weight))
        self.endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            variants=variants,
            instance_type=tier.instance_type,
            initial_instance_count=tier.min_capacity,
            model_download_timeout_s=tier.model_download_timeout_s,
            startup_health_check_timeout_s=tier.startup_health_check_timeout_s,
            volume_size_gb=tier.volume_size_gb,
            local_nvme=tier.local_nvme,
            kms_key=key,
            endpoint_name=tier.endpoint_name,
        )
        self.scaling = [self._scale(version.name, tier.scaling) for version in tier.versions]

    def _scale(self, variant: str, plan: ScalingPlan) -> CapacityScaling:
        # The endpoint name carries the instance type (planning.plan.endpoint_name), so a new
        # instance type replaces the endpoint and this target with it instead of an update
        # that SageMaker would refuse while the variant is registered for autoscaling.
        scaling = self.endpoint.scale_instances(
            variant=variant, min_capacity=plan.min_capacity, max_capacity=plan.max_capacity
        )
        track = scaling.on_concurrency if plan.target.metric == "concurrency" else scaling.on_invocations
        track(
            plan.target.target,
            scale_out_cooldown=cdk.Duration.seconds(plan.scale_out_cooldown_s),
            scale_in_cooldown=cdk.Duration.seconds(plan.scale_in_cooldown_s),
        )
        for s in plan.schedules:
            scaling.on_schedule(ScheduledCapacity(s.name, s.expression, s.timezone, s.min, s.max))
        return scaling
