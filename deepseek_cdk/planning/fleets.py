"""The deployment's shared fleets, from spec to plan: each fleet's instance type (planning.
fleet_choice), each member's seat on it (what planning.plan plans the member with), then each
fleet's packing, range and cost (planning.fleet_plan) against its members planned alone; last,
the members' endpoint instances become the fleet's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from deepseek_cdk.catalog import INSTANCES
from deepseek_cdk.catalog.prices import PriceTable
from deepseek_cdk.names import endpoint_name
from deepseek_cdk.planning import startup
from deepseek_cdk.planning.copy_request import copy_request
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.fleet_choice import FleetChoice, FleetChoiceError, Seat, choose_fleet_instance
from deepseek_cdk.planning.fleet_plan import FleetPlan, SeparateEndpoint, plan_fleet
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.spec import Deployment, Tier
from deepseek_cdk.spec.wording import field_path

PlanAlone = Callable[[str, Tier], TierPlan]  # (the tier's path, the tier) -> its plan


@dataclass(frozen=True)
class FleetSeat:
    """A member's place on its fleet: the fleet, its endpoint, the copy's seat, and whether
    the fleet's instance type was chosen (auto) or given (explicit)."""

    fleet: str
    endpoint_name: str
    seat: Seat
    instance_chosen: str


def choose_fleets(deployment: Deployment, prices: PriceTable) -> tuple[dict[str, FleetChoice], list[str]]:
    """Each fleet's instance type and its members' seats; the problems of those that have none."""
    choices: dict[str, FleetChoice] = {}
    problems: list[str] = []
    for name, fleet in deployment.fleet.items():
        members = [(i, t) for i, t in enumerate(deployment.tiers) if t.fleet == name]
        try:
            choices[name] = choose_fleet_instance(
                field_path(("fleet", name)),
                fleet.instance_type,
                [copy_request(t, deployment.traffic.get(t.name)) for _, t in members],
                region=deployment.region,
                prices=prices,
                member_paths={t.name: f"tiers[{i}]" for i, t in members},
            )
        except FleetChoiceError as err:
            problems += err.problems
    return choices, problems


def fleet_seat(deployment: Deployment, tier: Tier, choice: FleetChoice) -> FleetSeat:
    """Where the member `tier` runs on its fleet (chosen as `choice`)."""
    assert tier.fleet is not None, "a member names its fleet"
    return FleetSeat(
        tier.fleet,
        fleet_endpoint_name(deployment, tier.fleet, choice),
        choice.seats[tier.name],
        "auto" if deployment.fleet[tier.fleet].instance_type == "auto" else "explicit",
    )


def fleet_endpoint_name(deployment: Deployment, fleet: str, choice: FleetChoice) -> str:
    """`<deployment>-<fleet>-<instance family and size>`, named like an inference-components
    tier's endpoint, so that a new instance type replaces it (names.endpoint_name)."""
    return endpoint_name(deployment.name, fleet, choice.instance_type, variants=None)


def plan_fleets(
    deployment: Deployment,
    tiers: list[TierPlan],
    choices: dict[str, FleetChoice],
    prices: PriceTable,
    alone: PlanAlone,
) -> tuple[list[FleetPlan], list[TierPlan]]:
    """Every fleet's plan, and the tiers with each member's endpoint instances the fleet's;
    PlanError with every fleet's problems."""
    fleets: list[FleetPlan] = []
    problems: list[str] = []
    for name, spec in deployment.fleet.items():
        choice = choices[name]
        try:
            fleets.append(
                plan_fleet(
                    field_path(("fleet", name)),
                    name,
                    spec,
                    choice,
                    [t for t in tiers if t.fleet == name],
                    endpoint_name=fleet_endpoint_name(deployment, name, choice),
                    price=prices.price(deployment.region, choice.instance_type),
                    traffic=deployment.traffic,
                    separate=_separate(deployment, name, alone),
                    volume_size_gb=startup.volume_size_gb(
                        INSTANCES[choice.instance_type],
                        sum(t.memory.weights_gb for t in tiers if t.fleet == name),
                    ),
                )
            )
        except PlanError as err:
            problems += err.problems
    if problems:
        raise PlanError(problems)
    by_name = {f.name: f for f in fleets}
    return fleets, [t if t.fleet is None else _on_fleet(t, by_name[t.fleet]) for t in tiers]


def _separate(deployment: Deployment, fleet: str, alone: PlanAlone) -> list[SeparateEndpoint]:
    """Each member planned on an inference-components endpoint of its own."""
    separate = []
    for i, tier in enumerate(deployment.tiers):
        if tier.fleet != fleet:
            continue
        try:
            own = alone(f"tiers[{i}]", tier.model_copy(update={"fleet": None}))
        except PlanError as err:
            separate.append(SeparateEndpoint(tier.name, None, None, err.problems[0]))
            continue
        reason = None if own.cost else f"no price for {own.instance_type}"
        separate.append(SeparateEndpoint(tier.name, own.instance_type, own.cost, reason))
    return separate


def _on_fleet(tier: TierPlan, fleet: FleetPlan) -> TierPlan:
    """The member with its endpoint's instances: the fleet's range and first count."""
    capacity = replace(
        tier.capacity,
        instances_min=fleet.instances_min,
        instances_max=fleet.instances_max,
        initial_instances=fleet.initial_instances,
    )
    return replace(tier, capacity=capacity)
