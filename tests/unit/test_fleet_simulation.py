"""The joint replay of a shared fleet on cases worked by hand: where copies go, when an
instance is added, refused or released, and what the fleet bills (planning.simulate.fleet,
planning.simulate.joint)."""

from __future__ import annotations

from typing import Any

import pytest

from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.planning.packing import CopyShape, Host
from deepseek_cdk.planning.simulate import (
    FleetPool,
    FleetResult,
    Service,
    aligned,
    fleet_lower_bound,
    oracle,
    policy_of,
    simulate,
    simulate_fleet,
)
from deepseek_cdk.planning.traces import MONDAY, Request, Trace
from deepseek_cdk.spec import parse_deployment

HOST = Host(gpus=4, memory_mb=100_000)
BIG, SMALL = CopyShape("big", 2, 10_000), CopyShape("small", 1, 10_000)


def pool(**overrides: Any) -> FleetPool:
    settings: dict[str, Any] = {
        "instances": 1,
        "low": 1,
        "high": 2,
        "managed": True,
        "billing": "request",
        "duration_s": 3600.0,
        "launch_s": 200.0,
        "release_s": 600.0,
    }
    made = FleetPool(HOST, **{**settings, **overrides})
    made.deployed()
    return made


def test_copies_that_fit_on_one_instance_never_add_a_second() -> None:
    fleet = pool()
    seats = [fleet.seat(shape, 60.0, 300.0) for shape in (BIG, SMALL, SMALL)]
    assert all(seat is not None for seat in seats)
    assert len(fleet.instances) == 1
    # On an instance already serving, a copy serves after its own start-up alone.
    assert [seat[1] for seat in seats if seat is not None] == [360.0, 360.0, 360.0]


def test_a_copy_with_no_room_adds_an_instance_and_waits_its_launch_and_its_start_up() -> None:
    fleet = pool()
    assert fleet.seat(BIG, 0.0, 300.0) is not None
    assert fleet.seat(BIG, 0.0, 300.0) is not None  # the first instance's 4 GPUs are taken
    placed = fleet.seat(SMALL, 100.0, 300.0)
    assert placed is not None
    assert len(fleet.instances) == 2
    assert placed[1] == 100.0 + 200.0 + 300.0  # requested, launched, started
    # The next small copy fits beside it, and waits for the same instance's launch.
    later = fleet.seat(SMALL, 150.0, 300.0)
    assert later is not None and later[1] == 600.0 and len(fleet.instances) == 2


def test_at_the_fleets_max_a_copy_finds_no_room_and_is_counted() -> None:
    fleet = pool(high=1)
    assert fleet.seat(BIG, 0.0, 300.0) is not None
    assert fleet.seat(BIG, 0.0, 300.0) is not None
    assert fleet.seat(SMALL, 100.0, 300.0) is None
    assert fleet.seat(SMALL, 110.0, 300.0) is None
    assert fleet.no_room == {"small": 2}
    assert len(fleet.instances) == 1


def test_a_fixed_fleet_never_adds_an_instance() -> None:
    fleet = pool(managed=False, high=1)
    fleet.seat(BIG, 0.0, 0.0)
    fleet.seat(BIG, 0.0, 0.0)
    assert fleet.seat(SMALL, 100.0, 300.0) is None
    assert fleet.no_room == {"small": 1}


@pytest.mark.parametrize("managed", [True, False])
def test_an_emptied_instance_is_released_under_managed_scaling_and_kept_on_a_fixed_fleet(
    managed: bool,
) -> None:
    fleet = pool(managed=managed, instances=2, high=2)
    first, second = fleet.instances
    fleet.seat(BIG, 0.0, 0.0)
    fleet.seat(BIG, 0.0, 0.0)
    seat = fleet.seat(SMALL, 0.0, 0.0)
    assert seat is not None and seat[0][0] is second
    fleet.vacate(seat[0], 1000.0)
    for now in range(1010, 3610, 10):
        fleet.tick(float(now))
    fleet.close()
    if managed:  # released 600 s after its last copy went: billed 0-1600 s
        assert fleet.instances == [first]
        assert fleet.billed_s == 3600.0 + 1600.0
    else:
        assert fleet.instances == [first, second]
        assert fleet.billed_s == 2 * 3600.0


def test_a_copy_that_takes_an_idle_instance_keeps_it() -> None:
    fleet = pool(instances=2)
    fleet.seat(BIG, 0.0, 0.0)
    fleet.seat(BIG, 0.0, 0.0)
    seat = fleet.seat(SMALL, 0.0, 0.0)
    assert seat is not None
    fleet.vacate(seat[0], 100.0)
    fleet.tick(600.0)
    assert fleet.seat(SMALL, 650.0, 300.0) is not None  # before its 600 s idle ran out
    fleet.tick(800.0)
    assert len(fleet.instances) == 2


def test_the_fleet_never_releases_below_its_min() -> None:
    fleet = pool(instances=2, low=2)
    fleet.tick(3000.0)  # both idle since the start, for longer than 600 s
    assert len(fleet.instances) == 2


def member(name: str, low: int, high: int) -> dict[str, Any]:
    return {
        "name": name,
        "model": "deepseek-r1-distill-qwen-7b",
        "endpoint": "inference-components",
        "fleet": "pool",
        "max_context_tokens": 4096,
        "max_concurrency": 8,
        "scaling": {"min": low, "max": high},
    }


def fleet_plan(fleet: dict[str, Any], *members: dict[str, Any]) -> Plan:
    """Members of one copy a GPU on ml.g6e.12xlarge: 4 GPUs an instance."""
    return build_plan(
        parse_deployment(
            {
                "name": "sim",
                "fleet": {"pool": {"instance_type": "ml.g6e.12xlarge", **fleet}},
                "tiers": list(members),
            }
        )
    )


def replay(plan: Plan, traffic: dict[str, list[Request]], **options: Any) -> FleetResult:
    fleet = plan.fleets[0]
    members = {t.name: t for t in plan.tiers}
    traces = aligned({n: Trace.of(traffic[n]) if n in traffic else None for n in fleet.members}, MONDAY)
    policies = {n: policy_of(members[n], startup_s=300) for n in fleet.members}
    return simulate_fleet(fleet, members, traces, policies, launch_s=200, **options)


def every(seconds: float, start: float, end: float) -> list[Request]:
    return [Request(start + k * seconds, 100, 100) for k in range(int((end - start) / seconds))]


def heavy_step(plan: Plan) -> list[Request]:
    """Light for 10 minutes, then more than one copy's 8 slots from t = 600 s to 3600 s."""
    _, seconds, _ = Service(plan.tier("b")).times(Request(0, 100, 100), 8)
    return every(60, 0, 600) + every(seconds / 30, 600, 3600)


def test_a_member_scaling_out_on_a_full_instance_waits_for_a_new_ones_launch() -> None:
    plan = fleet_plan({"min": 1, "max": 2}, member("a", 3, 3), member("b", 1, 2))
    result = replay(plan, {"b": heavy_step(plan)})
    b = result.members["b"]
    first_extra = next(m.minute for m in b.minutes if m.in_service > 1)
    # Alone, b's second copy serves at t = 1050 s (minute 17: three datapoints to t = 630 s, the
    # activity 120 s later, 300 s of start-up). On the fleet, a's 3 copies and b's first take the
    # instance's 4 GPUs: the copy waits for a new instance, requested at t = 750 s and ready 200 s
    # later, then starts: it serves at t = 1250 s, in minute 20.
    alone = simulate(plan.tier("b"), heavy_step(plan), policy_of(plan.tier("b"), startup_s=300))
    assert next(m.minute for m in alone.minutes if m.in_service > 1) == 17
    assert first_extra == 20
    instances = [(m.in_service, m.launching) for m in result.minutes]
    assert instances[11] == (1, 0) and instances[12] == (1, 1) and instances[15] == (2, 0)
    assert result.no_room == {"a": 0, "b": 0}


def test_two_members_whose_copies_fit_never_add_a_second_instance() -> None:
    plan = fleet_plan({"min": 1, "max": 2}, member("a", 1, 2), member("b", 1, 2))
    result = replay(plan, {"a": heavy_step(plan), "b": heavy_step(plan)})
    assert max(m.copies["a"] for m in result.minutes) == 2
    assert max(m.copies["b"] for m in result.minutes) == 2
    assert {(m.in_service, m.launching) for m in result.minutes} == {(1, 0)}
    assert result.instance_hours == 1.0


def test_at_the_fleets_max_the_scale_out_finds_no_room() -> None:
    plan = fleet_plan({"min": 1, "max": 1}, member("a", 3, 3), member("b", 1, 2))
    result = replay(plan, {"b": heavy_step(plan)})
    assert result.no_room["b"] > 0 and result.no_room["a"] == 0
    assert max(m.copies["b"] for m in result.minutes) == 1
    assert result.minutes_at_max == len(result.minutes) == 60


@pytest.mark.parametrize("managed", [True, False])
def test_an_idle_members_instance_is_released_only_under_managed_scaling(managed: bool) -> None:
    # a's 4 copies fill the first instance; b's first copy, deployed with it, takes a second.
    # Idle, b scales in at t = 900 s (90 ten-second datapoints below the margin), and its
    # instance goes 600 s later, at t = 1500 s; a fixed fleet keeps both for the hour.
    spec = {"min": 1, "max": 2} if managed else {"min": 2, "managed_instance_scaling": False}
    plan = fleet_plan(spec, member("a", 4, 4), member("b", 0, 1))
    result = replay(plan, {"a": every(60, 0, 3600)})
    assert result.minutes[0].in_service == 2
    assert result.minutes[-1].copies["b"] == 0
    price = plan.fleets[0].price.usd_per_hour
    assert price is not None
    seconds = 3600 + 1500 if managed else 2 * 3600
    assert result.minutes[-1].in_service == (1 if managed else 2)
    assert result.instance_hours * 3600 == pytest.approx(seconds)
    assert result.cost == pytest.approx(seconds / 3600 * price)


def test_members_pay_their_gpu_share_and_the_fleet_its_instances() -> None:
    plan = fleet_plan({"min": 1, "managed_instance_scaling": False}, member("a", 2, 2), member("b", 1, 1))
    result = replay(plan, {"a": every(60, 0, 3600)})
    price = plan.fleets[0].price.usd_per_hour
    assert price is not None
    assert result.cost == pytest.approx(price)  # one instance for the hour
    # Each copy is a GPU of four: a quarter of the price an hour.
    assert result.members["a"].cost == pytest.approx(2 * price / 4)
    assert result.members["b"].cost == pytest.approx(price / 4)


def test_the_fleets_lower_bound_fills_gpus_whole_and_keeps_its_min() -> None:
    plan = fleet_plan({"min": 1, "max": 2}, member("a", 3, 3), member("b", 1, 2))
    fleet = plan.fleets[0]
    oracles = {n: oracle(plan.tier(n), heavy_step(plan), duration_s=3600) for n in fleet.members}
    hours, cost = fleet_lower_bound(fleet, oracles)
    minutes = [
        max(1, -(-(oracles["a"].minutes[m].in_service + oracles["b"].minutes[m].in_service) // 4))
        for m in range(60)
    ]
    assert hours == sum(minutes) / 60
    assert cost == pytest.approx(hours * (fleet.price.usd_per_hour or 0))


def test_a_members_replay_alone_is_the_single_tier_replay() -> None:
    """A fleet with room to spare changes nothing for a member: its figures are the single-tier
    replay's, its cost its GPU share."""
    plan = fleet_plan({"min": 2, "max": 2}, member("a", 1, 4), member("b", 1, 1))
    trace = heavy_step(plan)
    joint = replay(plan, {"a": trace}).members["a"]
    alone = simulate(plan.tier("a"), trace, policy_of(plan.tier("a"), startup_s=300))
    assert joint.minutes == alone.minutes
    assert (joint.finished, joint.ttft_p90_s, joint.tpot_p90_ms) == (
        alone.finished,
        alone.ttft_p90_s,
        alone.tpot_p90_ms,
    )
