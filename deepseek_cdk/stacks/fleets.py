"""FleetResources: one shared fleet's endpoint, on which its member tiers (stacks.component_tier,
InferenceComponentTier) put their components, scaling and alarms."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.endpoint_props import Hosting
from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.inference_component_endpoint import InferenceComponentEndpoint
from deepseek_cdk.constructs.naming import add_tags
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.money import money, money_span
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.fleet_plan import FleetPlan


class FleetResources(Construct):
    """A shared fleet: an execution role for its endpoint (the members' image repositories and
    weights prefixes, nothing else) and an InferenceComponentEndpoint on the fleet's instance
    type, between the plan's min and max instances with managed instance scaling (scale-in
    IDLE_RELEASE: only instances that hold no copy) or a fixed count without it. Copies are
    placed BINPACK, as the plan packs them. The members add their components. Tagged
    `fleet: <name>`.

    Cost: the fleet's instances, billed per second while they exist, whatever copies they
    hold; `deepseek-cdk plan` prints them against separate endpoints for the same tiers.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        fleet: FleetPlan,
        members: Sequence[TierPlan],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        add_tags(self, {"fleet": fleet.name})
        weights = {
            S3Prefix.parse(v.weights_uri, "weights_uri") for t in members for v in t.versions if v.weights_uri
        }
        prefixes: list[S3Prefix] = sorted(weights, key=lambda p: p.uri)
        self.role = ModelExecutionRole(
            self,
            "ExecutionRole",
            image_repositories=sorted({t.image_repository for t in members}),
            read_prefixes=prefixes,
            kms_key=key,
            endpoint_name=fleet.endpoint_name,
        )
        self.endpoint = InferenceComponentEndpoint(
            self,
            "Endpoint",
            execution_role=self.role.role,
            hosting=Hosting(
                instance_type=fleet.instance_type,
                initial_instance_count=fleet.initial_instances,
                # The endpoint's defaults; each member's component carries its own.
                model_download_timeout_s=max(t.model_download_timeout_s for t in members),
                startup_health_check_timeout_s=max(t.startup_health_check_timeout_s for t in members),
                volume_size_gb=fleet.volume_size_gb,
                local_nvme=fleet.local_nvme,
            ),
            min_instances=fleet.instances_min,
            max_instances=fleet.instances_max,
            managed=fleet.managed_instance_scaling,
            scale_in="IDLE_RELEASE" if fleet.managed_instance_scaling else None,
            placement="BINPACK",
            kms_key=key,
            endpoint_name=fleet.endpoint_name,
        )
        for policy in (self.role.policy, self.role.data_policy):
            if policy is not None:  # SageMaker checks the role's access when it creates the config
                self.endpoint.endpoint_config.node.add_dependency(policy)


def fleet_summary(fleet: FleetPlan) -> str:
    """The dashboard's text for a fleet: its instances, members and planned cost."""
    monthly = fleet.monthly
    cost = (
        f"{money_span(monthly.at_min, monthly.at_max)} a month (members at their scheduled min-max, "
        f"{fleet.price.region} prices)"
        + (f", {money(monthly.expected)} expected at the traffic" if monthly.expected is not None else "")
        if monthly
        else f"no catalog price for {fleet.instance_type}"
    )
    return (
        f"### fleet {fleet.name}: {', '.join(fleet.members)}\n"
        f"{fleet.instance_type}, {fleet.instances_min}-{fleet.instances_max} instances; planned cost {cost}"
    )
