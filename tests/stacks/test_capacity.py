"""The template deploys the capacity the plan prints and prices, for every shipped deployment
and for tiers with several versions: initial counts, scalable-target bounds, every scheduled
action, managed instance scaling; and the plan's cost is those capacities times the price."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.planning import HOURS_PER_MONTH, Plan, TierPlan, build_plan
from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.packing import pack
from deepseek_cdk.planning.schedules import capacity_calendar
from deepseek_cdk.spec import Schedule, load_deployment, parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import ROOT, SYNTH_DEPLOYMENTS, TEST_ENV, Synthesized, make_app

TWO_VERSIONS: dict[str, Any] = {
    "name": "versions",
    "tiers": [
        {
            "name": "chat",
            "model": "deepseek-r1-distill-qwen-7b",
            "max_context_tokens": 8192,
            "scaling": {
                "min": 2,
                "max": 4,
                "schedules": [
                    {"name": "busy", "cron": "0 8 ? * MON-FRI *", "min": 3, "max": 6},
                    {"name": "quiet", "cron": "0 18 ? * MON-FRI *", "min": 2},
                ],
            },
            "versions": [
                {"name": "v1", "weight": 90},
                {"name": "v2", "weight": 10},
                {"name": "v3", "weight": 0},  # staged: a model, no instances
            ],
        },
        {
            "name": "burst",
            "model": "deepseek-r1-distill-qwen-14b",
            "endpoint": "inference-components",
            "max_context_tokens": 8192,
            "scaling": {
                "min": 0,
                "max": 3,
                "schedules": [{"name": "launch", "at": "2030-03-01T06:00:00", "min": 2, "max": 6}],
            },
            "versions": [{"name": "v1", "weight": 50}, {"name": "v2", "weight": 50}],
        },
        {
            "name": "batch",
            "model": "deepseek-r1-distill-qwen-32b",
            "endpoint": "async",
            "max_context_tokens": 8192,
            "scaling": {
                "min": 1,
                "max": 2,
                "schedules": [
                    {"name": "night", "cron": "0 20 ? * * *", "min": 0},
                    {"name": "day", "cron": "0 6 ? * * *", "min": 1},
                ],
            },
        },
    ],
}


class Rendered:
    """What a tier's resources in a template add up to."""

    def __init__(self, template: Template, tier: str) -> None:
        self.resources = [
            r
            for r in template.to_json()["Resources"].values()
            if {"Key": "tier", "Value": tier} in r.get("Properties", {}).get("Tags", [])
        ]

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        return [r["Properties"] for r in self.resources if r["Type"] == resource_type]

    def targets(self) -> list[dict[str, Any]]:
        return self.of("AWS::ApplicationAutoScaling::ScalableTarget")

    def scheduled(self) -> dict[str, tuple[int | None, int | None]]:
        """Per scheduled action name: the min and max it sets, summed over targets."""
        sums: dict[str, list[list[int]]] = defaultdict(lambda: [[], []])
        for target in self.targets():
            for action in target.get("ScheduledActions", []):
                bounds = action["ScalableTargetAction"]
                for i, key in enumerate(("MinCapacity", "MaxCapacity")):
                    if key in bounds:
                        sums[action["ScheduledActionName"]][i].append(bounds[key])
        return {
            name: (sum(low) if low else None, sum(high) if high else None)
            for name, (low, high) in sums.items()
        }


def target_version(target: dict[str, Any], tier: TierPlan) -> str:
    """The version a scalable target scales: its slot's variant, or its component's name suffix."""
    resource = json.dumps(target["ResourceId"])
    (version,) = [
        v.version
        for v in tier.capacity.versions
        if v.slot and (f"/variant/{v.slot}" in resource or resource.endswith(f'-{v.slot}"'))
    ]
    return version


def assert_capacity_agrees(template: Template, tier: TierPlan, schedules: list[Schedule]) -> None:
    rendered = Rendered(template, tier.name)
    capacity = tier.capacity
    targets = rendered.targets()
    serving = [v for v in capacity.versions if v.slot and v.role != "shadow"]  # a shadow is never autoscaled
    assert len(targets) == len(serving)
    # Each version's own share, not only the sums: swapping two versions' shares would fail.
    shares = {v.version: v for v in serving}
    for target in targets:
        share = shares[target_version(target, tier)]
        assert (target["MinCapacity"], target["MaxCapacity"]) == (share.min, share.max)
        actions = {
            a["ScheduledActionName"]: (
                a["ScalableTargetAction"].get("MinCapacity"),
                a["ScalableTargetAction"].get("MaxCapacity"),
            )
            for a in target.get("ScheduledActions", [])
        }
        assert actions == {s.name: (s.min, s.max) for s in share.schedules}
    # The live versions share the tier's totals; a shadow's instances come on top.
    live = [t for t in targets if shares[target_version(t, tier)].role == "live"]
    least, most = sum(t["MinCapacity"] for t in live), sum(t["MaxCapacity"] for t in live)
    assert (least, most) == (capacity.min, capacity.max)
    assert rendered.scheduled() == {s.name: (s.min, s.max) for s in schedules}
    configs = rendered.of("AWS::SageMaker::EndpointConfig")
    config: dict[str, Any] = configs[0] if configs else {}
    if tier.fleet is not None:  # the endpoint is the fleet's: assert_fleet_agrees
        assert configs == []
    elif tier.endpoint == "inference-components":
        (variant,) = config["ProductionVariants"]
        managed = variant["ManagedInstanceScaling"]
        assert (managed["MinInstanceCount"], managed["MaxInstanceCount"]) == (
            capacity.instances_min,
            capacity.instances_max,
        )
        # One copy fills an instance: the instances can hold the most copies any schedule allows.
        highest = max([most, *(b for s in schedules for b in (s.min, s.max) if b is not None)])
        assert managed["MaxInstanceCount"] >= highest
        assert variant["InitialInstanceCount"] == capacity.initial_instances
        copies = [c["RuntimeConfig"]["CopyCount"] for c in rendered.of("AWS::SageMaker::InferenceComponent")]
        assert sum(copies) == capacity.initial <= capacity.initial_instances
    else:
        (config,) = configs
        variants = config["ProductionVariants"]
        assert [v["VariantName"] for v in variants] == [v.slot for v in capacity.live]
        shadows = config.get("ShadowProductionVariants", [])
        assert [v["VariantName"] for v in shadows] == ([capacity.shadow.slot] if capacity.shadow else [])
        assert sum(v["InitialInstanceCount"] for v in [*variants, *shadows]) == capacity.initial
    # The plan's cost is the template's capacity, through the same weekly calendar, x the price
    # (a fleet member's: its copies x their GPU share of the instance's price).
    if tier.cost is not None:
        calendar = capacity_calendar(
            least,
            most,
            [
                s.model_copy(update=dict(zip(("min", "max"), rendered.scheduled()[s.name], strict=True)))
                for s in schedules
            ],
            at="template",
        )
        price = tier.cost.price_per_hour
        # A shadow runs its own fixed count of instances on top (it is never autoscaled).
        shadows = config.get("ShadowProductionVariants", []) if tier.endpoint == "realtime" else []
        low = calendar.average_min + sum(v["InitialInstanceCount"] for v in shadows)
        high = calendar.average_max + sum(v["InitialInstanceCount"] for v in shadows)
        assert tier.cost.monthly_at_min == pytest.approx(price * low * HOURS_PER_MONTH)
        assert tier.cost.monthly_at_max == pytest.approx(price * high * HOURS_PER_MONTH)


def assert_fleet_agrees(template: Template, plan: Plan, fleet: FleetPlan) -> None:
    """The fleet's endpoint runs the planned instance range, and every member's components ask
    for the GPUs and memory the plan packs and start with the planned copies."""
    (config,) = [
        r["Properties"]
        for r in template.find_resources("AWS::SageMaker::EndpointConfig").values()
        if {"Key": "fleet", "Value": fleet.name} in r["Properties"]["Tags"]
    ]
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == fleet.instance_type
    assert variant["InitialInstanceCount"] == fleet.initial_instances
    if fleet.managed_instance_scaling:
        managed = variant["ManagedInstanceScaling"]
        assert (managed["MinInstanceCount"], managed["MaxInstanceCount"]) == (
            fleet.instances_min,
            fleet.instances_max,
        )
        assert managed["ScaleInPolicy"] == {"Strategy": "IDLE_RELEASE"}
    else:
        assert "ManagedInstanceScaling" not in variant
        assert fleet.instances_min == fleet.instances_max == variant["InitialInstanceCount"]
    first: dict[str, int] = {}
    for member in fleet.members:
        tier = plan.tier(member)
        assert (tier.capacity.instances_min, tier.capacity.instances_max) == (
            fleet.instances_min,
            fleet.instances_max,
        )
        components = {
            c["InferenceComponentName"]: c
            for c in Rendered(template, member).of("AWS::SageMaker::InferenceComponent")
        }
        assert set(components) == {tier.component_name(str(v.slot)) for v in tier.capacity.live}
        for v in tier.capacity.live:
            component = components[tier.component_name(str(v.slot))]
            needs = component["Specification"]["ComputeResourceRequirements"]
            shape = fleet.shapes[member]
            assert (needs["NumberOfAcceleratorDevicesRequired"], needs["MinMemoryRequiredInMb"]) == (
                shape.gpus,
                shape.memory_mb,
            )
            assert component["RuntimeConfig"]["CopyCount"] == v.initial
            assert component["Specification"]["SchedulingConfig"]["PlacementStrategy"] == "BINPACK"
        first[member] = sum(v.initial for v in tier.capacity.live)
    # The copies a deploy starts fit the instances it starts with, as the plan packs them.
    started = pack([(fleet.shapes[m], first[m]) for m in fleet.members], fleet.host)
    assert started.count <= variant["InitialInstanceCount"] and not started.unplaced


@pytest.mark.parametrize("name", SYNTH_DEPLOYMENTS)
def test_every_shipped_deployment_deploys_the_planned_capacity(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    s = synthesized[name]
    deployment = load_deployment(ROOT / SYNTH_DEPLOYMENTS[name])
    for tier in deployment.tiers:
        assert_capacity_agrees(s.inference, s.plan.tier(tier.name), list(tier.scaling.schedules))
    for fleet in s.plan.fleets:
        assert_fleet_agrees(s.inference, s.plan, fleet)


@pytest.fixture(scope="module")
def versions() -> tuple[Template, Any, Any]:
    deployment = parse_deployment(TWO_VERSIONS)
    plan = build_plan(deployment)
    stacks = build_deployment(make_app(), plan, env=TEST_ENV)
    return Template.from_stack(stacks.inference), plan, deployment


def test_several_versions_share_the_tier_bounds_instead_of_each_taking_them(
    versions: tuple[Template, Any, Any],
) -> None:
    template, plan, deployment = versions
    for tier in deployment.tiers:
        assert_capacity_agrees(template, plan.tier(tier.name), list(tier.scaling.schedules))
    chat = plan.tier("chat").capacity
    assert [(v.version, v.role, v.min, v.max) for v in chat.versions] == [
        ("v1", "live", 1, 3),
        ("v2", "live", 1, 1),
        ("v3", "staged", 0, 0),
    ]
    assert [(s.name, s.min, s.max) for s in chat.versions[0].schedules] == [
        ("busy", 2, 5),
        ("quiet", 1, None),
    ]


def test_a_staged_version_has_a_model_and_no_variant(versions: tuple[Template, Any, Any]) -> None:
    template, _, _ = versions
    rendered = Rendered(template, "chat")
    models = [r for r in rendered.resources if r["Type"] == "AWS::SageMaker::Model"]
    assert {t["Value"] for m in models for t in m["Properties"]["Tags"] if t["Key"] == "version"} == {
        "v1",
        "v2",
        "v3",
    }
    (config,) = rendered.of("AWS::SageMaker::EndpointConfig")
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["live-1", "live-2"]


def test_components_at_zero_start_with_one_copy_each_to_prove_the_model_loads(
    versions: tuple[Template, Any, Any],
) -> None:
    _, plan, _ = versions
    burst = plan.tier("burst").capacity
    assert [(v.min, v.max, v.initial) for v in burst.live] == [(0, 2, 1), (0, 1, 1)]
    # The launch schedule allows 6 copies: the managed instances may grow to 6.
    assert (burst.instances_min, burst.instances_max, burst.initial_instances) == (0, 6, 2)


def test_a_schedule_to_zero_keeps_a_way_back_up(versions: tuple[Template, Any, Any]) -> None:
    template, plan, _ = versions
    (batch,) = plan.tier("batch").capacity.live
    assert batch.min == 1 and batch.reaches_zero
    rendered = Rendered(template, "batch")
    alarms = [
        a for a in rendered.of("AWS::CloudWatch::Alarm") if a["MetricName"] == "HasBacklogWithoutCapacity"
    ]
    policies = json.dumps(template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy"))
    assert alarms and '"PolicyType": "StepScaling"' in policies
