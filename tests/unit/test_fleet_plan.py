"""A fleet's plan: its members' copies packed onto its instances, the instance range that
follows, each member's cost as its GPU share, the fleet against separate endpoints, and the
choice of its instance type."""

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from deepseek_cdk.catalog.prices import HOME_REGION, PriceTable
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.planning import HOURS_PER_MONTH, Plan, PlanError, build_plan
from deepseek_cdk.planning.copy_request import copy_request
from deepseek_cdk.planning.fleet_choice import choose_fleet_instance
from deepseek_cdk.spec import load_deployment, parse_deployment
from tests.unit.test_fleet_spec import member as spec_member

ROOT = Path(__file__).resolve().parents[2]


def member(name: str, model: str = "deepseek-r1-distill-qwen-7b", **settings: Any) -> dict[str, Any]:
    """A fleet member (tests.unit.test_fleet_spec's) with an 8K context unless told otherwise."""
    return spec_member(name, model, **{"max_context_tokens": 8192, **settings})


def two_members(**fleet: Any) -> dict[str, Any]:
    return {
        "name": "f",
        "fleet": {"shared": {"instance_type": "ml.g6e.12xlarge", **fleet}},
        "tiers": [
            member("chat", scaling={"min": 2, "max": 4}),
            member("big", "deepseek-r1-distill-qwen-32b", scaling={"min": 1, "max": 3}),
        ],
    }


@pytest.fixture(scope="module")
def example() -> Plan:
    return build_plan(load_deployment(ROOT / "deployments/examples/shared-fleet.yaml"))


def test_members_share_the_fleets_endpoint_and_each_copy_takes_the_fewest_gpus(example: Plan) -> None:
    (fleet,) = example.fleets
    assert fleet.instance_type == "ml.p4d.24xlarge" and fleet.instance_chosen == "auto"
    assert {t.endpoint_name for t in example.tiers} == {fleet.endpoint_name} == {"fleet-shared-p4d-24xlarge"}
    # 7B on one A100 40 GB, 14B on two, 32B on four: the fewest that meet each tier's objectives.
    gpus = {name: shape.gpus for name, shape in fleet.shapes.items()}
    assert gpus == {"chat": 1, "coder": 2, "reasoning": 4}
    assert [t.tensor_parallel_degree for t in example.tiers] == [1, 2, 4]
    components = [t.component("live-1") for t in example.tiers]
    assert components == ["chat-live-1", "coder-live-1", "reasoning-live-1"]


def test_the_packing_is_printed_at_min_at_the_traffic_and_at_every_members_max(example: Plan) -> None:
    (fleet,) = example.fleets
    low, busy, most = fleet.layouts
    assert low.copies == {"chat": 1, "coder": 0, "reasoning": 0} and low.instances == 1
    assert busy.label.startswith("at the expected traffic, its busiest hour")
    assert busy.packing.count == 1 and busy.packing.free(0)[0] == 0  # 4 + 2 + 1 + 1 GPUs: exact fit
    assert most.copies == {"chat": 4, "coder": 2, "reasoning": 2} and most.instances == 2
    # The range follows from the packing: the members' min copies, every member at its max.
    assert (fleet.instances_min, fleet.instances_max, fleet.initial_instances) == (1, 2, 1)
    assert all(t.capacity.instances_max == 2 for t in example.tiers)


def test_a_members_cost_is_its_gpu_share_and_the_fleet_pays_whole_instances(example: Plan) -> None:
    (fleet,) = example.fleets
    price = fleet.price.usd_per_hour
    assert price is not None and fleet.monthly is not None
    reasoning = example.tier("reasoning")
    assert reasoning.price.usd_per_hour == pytest.approx(price * 4 / 8)
    assert reasoning.cost is not None
    assert reasoning.cost.monthly_at_max == pytest.approx(price * 4 / 8 * 2 * HOURS_PER_MONTH)
    assert fleet.monthly.at_max == pytest.approx(price * 2 * HOURS_PER_MONTH)
    shares = sum(t.cost.monthly_at_max for t in example.tiers if t.cost)
    assert fleet.monthly.shares[2] == pytest.approx(shares)
    # The deployment's total counts the fleet whole, idle GPUs included, not its members' shares.
    totals = example.monthly_totals()
    assert (totals.at_min, totals.at_max) == (fleet.monthly.at_min, fleet.monthly.at_max)
    note = reasoning.price.note("us-east-1")
    assert "a copy's GPU share: 4 of 8 GPUs of ml.p4d.24xlarge at $25.251/h" in note


def test_the_fleet_is_compared_with_each_member_on_an_endpoint_of_its_own(example: Plan) -> None:
    (fleet,) = example.fleets
    assert fleet.monthly is not None and fleet.monthly.separate is not None
    assert [s.tier for s in fleet.separate] == ["chat", "coder", "reasoning"]
    assert all(s.cost is not None for s in fleet.separate)
    expected, apart = fleet.monthly.expected, fleet.monthly.separate[1]
    assert expected is not None and apart is not None and expected < apart
    text = render_plan(example)
    assert "separate endpoints (chat on " in text and "(the fleet saves $" in text
    assert "ml.p4d.24xlarge of fleet shared (the fleet's auto choice): a copy on 4 of its 8 x" in text


def test_an_instance_too_small_for_a_member_names_the_tier_and_the_fleets_field() -> None:
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(two_members(instance_type="ml.g5.xlarge")))
    problems = err.value.problems
    assert [p.split(":")[0] for p in problems] == ["tiers[0]", "tiers[1]"]
    assert problems[1].startswith(
        "tiers[1]: a copy of deepseek-r1-distill-qwen-32b does not fit ml.g5.xlarge "
        "(fleet.shared.instance_type): a copy on 1 GPU(s) needs 75.5 GB of GPU memory"
    )


def test_a_max_below_the_members_min_copies_is_refused() -> None:
    data = two_members(max=1)
    data["tiers"][0]["scaling"] = {"min": 3, "max": 4}  # 3 + 2 GPUs: more than one instance's 4
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(data))
    assert err.value.problems == [
        "fleet.shared.max: the members' min copies need 2 instances of ml.g6e.12xlarge (chat 3, big 1), more "
        "than the fleet's 1"
    ]


def test_a_max_below_every_member_at_its_max_says_which_members_fall_short() -> None:
    (fleet,) = build_plan(parse_deployment(two_members(max=2))).fleets
    assert fleet.warnings == (
        "fleet.shared.max: every member at its max needs 3 instances, more than the fleet's 2: chat "
        "reaches 2 of its 4 copies; raise max or lower those tiers' scaling.max",
    )
    # The min copies keep their places; the rest fill what room is left.
    assert fleet.layouts[-1].packing.unplaced == {"chat": 2}


def test_without_managed_instance_scaling_the_fleet_keeps_a_fixed_count() -> None:
    (fleet,) = build_plan(parse_deployment(two_members(managed_instance_scaling=False))).fleets
    assert (fleet.instances_min, fleet.instances_max, fleet.initial_instances) == (3, 3, 3)
    assert fleet.range_source == "a fixed count, every member at its max"
    assert all(layout.instances == 3 for layout in fleet.layouts)
    (given,) = build_plan(parse_deployment(two_members(managed_instance_scaling=False, min=2))).fleets
    assert (given.instances_min, given.instances_max) == (2, 2)


def test_the_spec_min_and_max_are_the_range() -> None:
    (fleet,) = build_plan(parse_deployment(two_members(min=2, max=5))).fleets
    assert (fleet.instances_min, fleet.instances_max, fleet.range_source) == (2, 5, "the spec's min and max")
    assert fleet.layouts[0].instances == 2  # the packing needs 1, the fleet keeps its min


def test_auto_never_takes_an_unpriced_type_while_a_priced_one_holds_every_member() -> None:
    only_one = PriceTable(
        read="2026-12-07",
        source="test",
        complete=False,
        regions=MappingProxyType({HOME_REGION: MappingProxyType({"ml.g6e.48xlarge": 37.66})}),
    )
    d = parse_deployment(two_members(instance_type="auto"))
    requests = [copy_request(t, None) for t in d.tiers]
    choice = choose_fleet_instance(
        "fleet.shared", "auto", requests, region=None, prices=only_one, member_paths={"chat": "a", "big": "b"}
    )
    assert choice.instance_type == "ml.g6e.48xlarge"
    assert all(a.reason == "no price in the catalog" for a in choice.alternatives)


def test_auto_takes_the_lowest_cost_per_token_with_every_member_at_its_max() -> None:
    plan = build_plan(parse_deployment(two_members(instance_type="auto")))
    (fleet,) = plan.fleets
    assert fleet.usd_per_million_tokens is not None
    assert all(
        a.usd_per_million_tokens is None or a.usd_per_million_tokens >= fleet.usd_per_million_tokens
        for a in fleet.alternatives
    )


def test_a_max_below_the_copies_a_deploy_starts_is_refused() -> None:
    data = two_members(max=1)
    data["tiers"] = [
        member("chat", scaling={"min": 0, "max": 2}),
        member("big", "deepseek-r1-distill-qwen-32b", scaling={"min": 0, "max": 2}),
        member("other", "deepseek-r1-distill-qwen-32b", scaling={"min": 0, "max": 2}),
    ]
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(data))
    assert err.value.problems == [
        "fleet.shared.max: the copies a deploy starts (one per live version at least) need 2 instances of "
        "ml.g6e.12xlarge (chat 1, big 1, other 1), more than the fleet's 1"
    ]
