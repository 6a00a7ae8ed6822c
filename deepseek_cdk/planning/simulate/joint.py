"""The joint replay of a shared fleet: every member's traffic through its own scaling rules,
advanced together in time, its copies placed on the fleet's instances (planning.simulate.fleet).

Each member keeps its own replay: its copies, its requests, its target tracking, from-zero
alarm and schedules, as the plan derives them (policy_of). Every 10-second tick each member is
stepped to the tick, the fleet releases its idle instances and counts them, then each member's
scaling acts, in the fleet's order. A copy asks the fleet for room when its member adds it, not
when the scaling activity reaches SageMaker `reaction_s` later: the room is held from the
alarm (a simplification; the instance a copy needs is requested at the activity).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.simulate.fleet import FleetPool
from deepseek_cdk.planning.simulate.policy import TICK_S, Policy
from deepseek_cdk.planning.simulate.replay import ARRIVAL, TICK, deployed
from deepseek_cdk.planning.simulate.results import SimResult, duration_of, replay_result
from deepseek_cdk.planning.traces import Trace


@dataclass(frozen=True)
class FleetMinute:
    minute: int
    in_service: int  # instances, at the end of the minute
    launching: int
    copies: Mapping[str, int]  # per member, in service


@dataclass(frozen=True)
class FleetResult:
    """A joint replay: each member's own figures (its cost its copies' GPU share) and the
    fleet's instances, their cost, the copies that found no room and the minutes at its max."""

    fleet: str
    instance_type: str
    members: Mapping[str, SimResult]
    minutes: tuple[FleetMinute, ...]
    instance_hours: float
    cost: float | None
    no_room: Mapping[str, int]  # per member: copies its scaling added that found no room
    minutes_at_max: int  # minutes whose end finds the fleet at its max instances
    instances_min: int
    instances_max: int
    managed: bool
    launch_s: float
    release_s: float
    billing: str


def simulate_fleet(
    fleet: FleetPlan,
    members: Mapping[str, TierPlan],
    traces: Mapping[str, Trace],
    policies: Mapping[str, Policy],
    *,
    billing: str = "request",
    duration_s: float | None = None,
    launch_s: float | None = None,
) -> FleetResult:
    """Replay each member's trace (all starting at the same moment: `aligned`) through its
    policy on the fleet's shared instances; `launch_s` overrides the fleet's instance launch."""
    duration = duration_s if duration_s is not None else max(duration_of(t) for t in traces.values())
    pool = FleetPool(
        fleet.host,
        instances=fleet.initial_instances,
        low=fleet.instances_min,
        high=fleet.instances_max,
        managed=fleet.managed_instance_scaling,
        billing=billing,
        duration_s=duration,
        **({} if launch_s is None else {"launch_s": launch_s}),
    )
    # The deploy places the members' first copies largest first: first-fit decreasing, as the
    # plan packs them.
    shapes = fleet.shapes
    order = sorted(fleet.members, key=lambda n: (-shapes[n].gpus, -shapes[n].memory_mb))
    started = {
        name: deployed(members[name], traces[name], policies[name], duration, pool.seats(shapes[name]))
        for name in order
    }
    pool.deployed()
    replays = [started[name] for name in fleet.members]
    for tick in range(TICK_S, int(duration) + TICK_S, TICK_S):
        now = float(tick)
        for replay, _ in replays:
            replay.advance(now, TICK)
        pool.tick(now)
        for replay, on_tick in replays:
            replay.tick(now, on_tick, None)
    for replay, _ in replays:
        replay.advance(math.inf, ARRIVAL)
        replay.close()
    pool.close()
    results = {
        name: replay_result(replay, _share_price(members[name]), policies[name].startup_s)
        for name, (replay, _) in started.items()
    }
    minutes = tuple(
        FleetMinute(m, ready, launching, {n: results[n].minutes[m].in_service for n in fleet.members})
        for m, (ready, launching) in enumerate(pool.snapshots)
    )
    hours = pool.billed_s / 3600
    price = fleet.price.usd_per_hour
    return FleetResult(
        fleet=fleet.name,
        instance_type=fleet.instance_type,
        members={name: results[name] for name in fleet.members},
        minutes=minutes,
        instance_hours=hours,
        cost=None if price is None else hours * price,
        no_room={name: pool.no_room[name] for name in fleet.members},
        minutes_at_max=sum(1 for m in minutes if m.in_service + m.launching >= fleet.instances_max),
        instances_min=fleet.instances_min,
        instances_max=fleet.instances_max,
        managed=fleet.managed_instance_scaling,
        launch_s=pool.launch_s,
        release_s=pool.release_s,
        billing=billing,
    )


def fleet_lower_bound(fleet: FleetPlan, oracles: Mapping[str, SimResult]) -> tuple[float, float | None]:
    """Instance-hours and cost no placement of the members' oracle copies beats: each minute at
    least the instances their GPUs and their memory fill, whole, and the fleet's min (a fixed
    fleet: its count)."""
    host, shapes = fleet.host, fleet.shapes
    minutes = max((len(r.minutes) for r in oracles.values()), default=0)
    total = 0
    for minute in range(minutes):
        copies = {n: r.minutes[minute].in_service for n, r in oracles.items() if minute < len(r.minutes)}
        gpus = sum(shapes[n].gpus * c for n, c in copies.items())
        memory = sum(shapes[n].memory_mb * c for n, c in copies.items())
        total += max(fleet.instances_min, math.ceil(gpus / host.gpus), math.ceil(memory / host.memory_mb))
    hours = total / 60
    price = fleet.price.usd_per_hour
    return hours, None if price is None else hours * price


def aligned(traces: Mapping[str, Trace | None], start: datetime) -> dict[str, Trace]:
    """The members' traces on one clock starting at the earliest of theirs (`start` when none
    has a request); a member without one (None) has no requests."""
    given = [t for t in traces.values() if t is not None and len(t)]
    first = min((t.start for t in given), default=start)
    return {
        name: Trace(array("d"), array("q"), array("q"), first)
        if trace is None
        else Trace(
            array("d", (a + (trace.start - first).total_seconds() for a in trace.arrivals)),
            trace.inputs,
            trace.outputs,
            first,
        )
        for name, trace in traces.items()
    }


def _share_price(member: TierPlan) -> float | None:
    """A member's copy an hour: its GPU share of the instance's price, as the plan prices it."""
    cost = member.cost
    return None if cost is None else cost.price_per_hour
