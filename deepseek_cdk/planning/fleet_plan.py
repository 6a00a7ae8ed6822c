"""A shared fleet's plan: its members' copies packed onto its instances (planning.packing) at
the members' min, at the expected traffic and with every member at its max; the instance
range that follows; its cost over the week against separate endpoints for the same tiers.

Instance range. With managed instance scaling SageMaker adds an instance when a copy finds no
room, and the fleet's scale-in policy IDLE_RELEASE "Releases instances that have no hosted
inference component copies" (ProductionVariantManagedInstanceScalingScaleInPolicy, SageMaker
API Reference, read 2026-12-07; the other strategy, CONSOLIDATION, moves copies to free
instances, and the fleet does not use it). So scaling in never takes an instance away under a
running copy. The range is `min`..`max` (MinInstanceCount, MaxInstanceCount); absent, `min`
is what the members' min copies need and `max` what every member at its max needs. Without
managed instance scaling the fleet keeps a fixed count, `min` (absent: what every member at
its max needs). The fleet's max must hold the members' min copies and the first copy of every
live version (what a deploy creates: a component starts with at least one copy), or the plan
refuses it; a max below what every member at its max needs is a warning naming the members
that cannot reach theirs.

Cost. Over the reference week, at each moment, the instances the members' copies need (their
scheduled min, their expected copies at the traffic, their scheduled max), packed, within the
fleet's range, times the instance's price. Each member's own cost is its GPU share: its copies
times their GPUs' share of the instance's price; the rest of the fleet's cost is GPUs no copy
holds ("idle"), the price of sharing instances. The separate endpoints it is compared with are
each member planned on an inference-components endpoint of its own, at the same scaling and
traffic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deepseek_cdk.catalog import INSTANCES
from deepseek_cdk.catalog.prices import Price
from deepseek_cdk.kinds import MAX_COMPONENTS_PER_ENDPOINT
from deepseek_cdk.planning.capacity import most_capacity
from deepseek_cdk.planning.cost import CostRange
from deepseek_cdk.planning.demand import demand_steps
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.fleet_choice import FleetChoice
from deepseek_cdk.planning.instance_choice import Alternative
from deepseek_cdk.planning.packing import CopyShape, Host, Packing, pack
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, week_time
from deepseek_cdk.planning.units import HOURS_PER_MONTH
from deepseek_cdk.spec import Fleet, TrafficProfile

if TYPE_CHECKING:
    from deepseek_cdk.planning.records import TierPlan

Packer = Callable[[Mapping[str, int], int | None], Packing]
Steps = list[list[tuple[int, int, int]]]  # per member: (start, end, copies) over the week

# What the plan says of the limits a fleet lives within, each with its source.
LIMITS = (
    "a copy takes whole GPUs (NumberOfAcceleratorDevicesRequired, at least 1) and reserves host memory "
    "(MinMemoryRequiredInMb, at least 128 MB): SageMaker API Reference, "
    "InferenceComponentComputeResourceRequirements, read 2026-12-07",
    "copies per instance: as many as its GPUs and memory hold; no other limit found (NOT RETRIEVED)",
    f"components per endpoint: at most {MAX_COMPONENTS_PER_ENDPOINT} here; no AWS limit found "
    "(NOT RETRIEVED)",
    "scale-in releases only instances that hold no copy (ScaleInPolicy IDLE_RELEASE, SageMaker API "
    "Reference, read 2026-12-07); what SageMaker does with the copies of an instance that fails: NOT "
    "RETRIEVED (plan on losing them until the instance is replaced)",
)


@dataclass(frozen=True)
class FleetLayout:
    """One moment's copies per member, how they pack, and the instances the fleet runs then."""

    label: str
    copies: Mapping[str, int]
    packing: Packing
    instances: int


@dataclass(frozen=True)
class SeparateEndpoint:
    """A member planned on an endpoint of its own, for the comparison."""

    tier: str
    instance_type: str | None
    cost: CostRange | None
    reason: str | None  # why there is no cost


@dataclass(frozen=True)
class FleetMonthly:
    """A month of the fleet's instances, and of the same tiers on separate endpoints: at the
    scheduled min, at the expected traffic (None without every member's traffic), at the max."""

    at_min: float
    expected: float | None
    at_max: float
    average_instances: tuple[float, float | None, float]  # over the week, as the three above
    shares: tuple[float, float | None, float]  # the members' own costs: their GPU shares
    separate: tuple[float, float | None, float] | None  # None: a member has no separate price

    @property
    def idle(self) -> tuple[float, float | None, float]:
        """What no copy's GPU share pays: GPUs the packing leaves free, or a min no copy needs."""
        expected = None if self.expected is None or self.shares[1] is None else self.expected - self.shares[1]
        return (self.at_min - self.shares[0], expected, self.at_max - self.shares[2])


@dataclass(frozen=True)
class FleetPlan:
    """A shared fleet resolved: its instances, its members' copies packed on them, and its cost."""

    name: str
    endpoint_name: str
    instance_type: str
    instance_chosen: str  # auto | explicit
    alternatives: tuple[Alternative, ...]  # auto: the next types, and why each lost
    usd_per_million_tokens: float | None  # every member at its most copies
    gpu: str
    host: Host  # what each instance offers copies
    price: Price
    managed_instance_scaling: bool
    instances_min: int
    instances_max: int
    initial_instances: int
    range_source: str  # where min and max come from
    members: tuple[str, ...]  # tier names, in spec order
    shapes: Mapping[str, CopyShape]  # per member: one copy
    layouts: tuple[FleetLayout, ...]  # at min, at the expected traffic, every member at its max
    monthly: FleetMonthly | None  # None: the instance type has no price
    separate: tuple[SeparateEndpoint, ...]
    local_nvme: bool
    volume_size_gb: int | None  # EBS for every member's weights; None on local NVMe
    warnings: tuple[str, ...]
    limits: tuple[str, ...] = LIMITS


def plan_fleet(
    at: str,
    name: str,
    spec: Fleet,
    choice: FleetChoice,
    members: Sequence[TierPlan],
    *,
    endpoint_name: str,
    price: Price,
    traffic: Mapping[str, TrafficProfile],
    separate: Sequence[SeparateEndpoint],
    volume_size_gb: int | None,
) -> FleetPlan:
    """The fleet's packings, instance range and cost (the module's docstring); PlanError names
    the field when the members' min or first copies cannot fit its max."""
    instance = INSTANCES[choice.instance_type]
    host = Host.of(instance)
    shapes = {t.name: CopyShape(t.name, t.tensor_parallel_degree, t.copy_memory_mb) for t in members}
    least = {t.name: t.capacity.min for t in members}

    def packed(copies: Mapping[str, int], limit: int | None = None) -> Packing:
        """The copies packed; past a `limit` that binds, the members' min copies first (they
        are always running), then the rest in the room left."""
        every = pack([(shapes[t.name], copies[t.name]) for t in members], host)
        if limit is None or every.count <= limit:
            return every
        rest = [(shapes[t.name], max(0, copies[t.name] - least[t.name])) for t in members]
        return pack(
            rest, host, limit=limit, onto=pack([(shapes[t.name], least[t.name]) for t in members], host)
        )

    first = {t.name: t.capacity.initial for t in members}
    most = {t.name: most_capacity(t.capacity.max, t.scaling.schedules) for t in members}
    at_least, at_first, at_most = packed(least), packed(first), packed(most)
    managed = spec.managed_instance_scaling
    bound = "max" if managed else "min"
    if managed:
        low = spec.min if spec.min is not None else at_least.count
        high = spec.max if spec.max is not None else max(1, low, at_most.count)
    else:
        low = high = spec.min if spec.min is not None else max(1, at_most.count)
    problems = [
        f"{at}.{bound}: {what} need {need.count} instances of {instance.name} ({_copies_of(counts)}), more "
        f"than the fleet's {high}"
        for need, counts, what in (
            (at_least, least, "the members' min copies"),
            (at_first, first, "the copies a deploy starts (one per live version at least)"),
        )
        if need.count > high and (counts is least or first != least)
    ]
    if problems:
        raise PlanError(problems)
    capped = packed(most, high)
    warnings = []
    if capped.unplaced:
        short = [
            f"{tier} reaches {capped.placed(tier)} of its {most[tier]} copies" for tier in capped.unplaced
        ]
        warnings.append(
            f"{at}.{bound}: every member at its max needs {at_most.count} instances, more than the fleet's "
            f"{high}: {', '.join(short)}; raise {bound} or lower those tiers' scaling.max"
        )
    week = _Week(members, packed, low, high, managed, traffic)
    layouts = [_layout(f"at the members' min ({_copies_of(least)})", least, at_least, week)]
    if week.busiest is not None:
        minute, copies = week.busiest
        layouts.append(
            _layout(
                f"at the expected traffic, its busiest hour ({week_time(minute)} UTC: {_copies_of(copies)})",
                copies,
                packed(copies, high),
                week,
            )
        )
    layouts.append(_layout(f"every member at its max ({_copies_of(most)})", most, capped, week))
    return FleetPlan(
        name=name,
        endpoint_name=endpoint_name,
        instance_type=instance.name,
        instance_chosen="auto" if spec.instance_type == "auto" else "explicit",
        alternatives=choice.alternatives,
        usd_per_million_tokens=choice.usd_per_million_tokens,
        gpu=f"{instance.gpu_count} x {instance.gpu.name} {instance.gpu.memory_gb:g} GB",
        host=host,
        price=price,
        managed_instance_scaling=managed,
        instances_min=low,
        instances_max=high,
        initial_instances=min(high, max(1, low, at_first.count)),
        range_source=_source(spec),
        members=tuple(t.name for t in members),
        shapes=shapes,
        layouts=tuple(layouts),
        monthly=week.monthly(price, members, separate),
        separate=tuple(separate),
        local_nvme=instance.local_nvme,
        volume_size_gb=volume_size_gb,
        warnings=tuple(warnings),
    )


def _layout(label: str, copies: Mapping[str, int], packing: Packing, week: _Week) -> FleetLayout:
    return FleetLayout(label, copies, packing, week.within(packing.count))


class _Week:
    """The fleet over the reference week: at each moment each member's copies (its scheduled
    min, its expected copies, its scheduled max), packed, within the fleet's range."""

    def __init__(
        self,
        members: Sequence[TierPlan],
        packed: Packer,
        low: int,
        high: int,
        managed: bool,
        traffic: Mapping[str, TrafficProfile],
    ) -> None:
        self.packed, self.low, self.high, self.managed = packed, low, high, managed
        self.names = [t.name for t in members]
        self.at_min: Steps = [[(s.start, s.end, s.min) for s in t.scaling.calendar.segments] for t in members]
        self.at_max: Steps = [[(s.start, s.end, s.max) for s in t.scaling.calendar.segments] for t in members]
        self.expected: Steps | None = None
        self.busiest: tuple[int, dict[str, int]] | None = None
        if all(t.name in traffic for t in members):
            self.expected = [
                [
                    (s.start, s.end, s.held)
                    for s in demand_steps(traffic[t.name], t.scaling.calendar, rate=t.rate_at_target)
                ]
                for t in members
            ]
            start, _, copies = max(
                self._moments(self.expected), key=lambda m: (self._instances(m[2]), sum(m[2].values()), -m[0])
            )
            self.busiest = (start, copies)

    def within(self, needed: int) -> int:
        """The instances the fleet runs when its copies need `needed`."""
        return min(max(needed, self.low), self.high) if self.managed else self.high

    def _moments(self, steps: Steps) -> list[tuple[int, int, dict[str, int]]]:
        """The week cut at every member's changes: (start, end, copies per member)."""
        cuts = sorted({0, MINUTES_PER_WEEK} | {start for member in steps for start, _, _ in member})
        return [
            (
                start,
                end,
                {
                    name: next(n for s, e, n in member if s <= start < e)
                    for name, member in zip(self.names, steps, strict=True)
                },
            )
            for start, end in itertools.pairwise(cuts)
        ]

    def _instances(self, copies: dict[str, int]) -> int:
        return self.within(self.packed(copies, self.high).count)

    def average(self, steps: Steps) -> float:
        return (
            sum((end - start) * self._instances(copies) for start, end, copies in self._moments(steps))
            / MINUTES_PER_WEEK
        )

    def monthly(
        self, price: Price, members: Sequence[TierPlan], separate: Sequence[SeparateEndpoint]
    ) -> FleetMonthly | None:
        if price.usd_per_hour is None:
            return None
        per_month = price.usd_per_hour * HOURS_PER_MONTH
        low, high = self.average(self.at_min), self.average(self.at_max)
        expected = None if self.expected is None else self.average(self.expected)
        return FleetMonthly(
            at_min=per_month * low,
            expected=None if expected is None else per_month * expected,
            at_max=per_month * high,
            average_instances=(low, expected, high),
            shares=_sums([t.cost for t in members]),
            separate=None if any(s.cost is None for s in separate) else _sums([s.cost for s in separate]),
        )


def _sums(costs: Sequence[CostRange | None]) -> tuple[float, float | None, float]:
    priced = [c for c in costs if c is not None]
    expected = [c.monthly_expected for c in priced]
    return (
        sum(c.monthly_at_min for c in priced),
        None if None in expected else sum(e or 0.0 for e in expected),
        sum(c.monthly_at_max for c in priced),
    )


def _source(spec: Fleet) -> str:
    if not spec.managed_instance_scaling:
        return "a fixed count, " + ("the spec's min" if spec.min is not None else "every member at its max")
    said = {"min": spec.min is not None, "max": spec.max is not None}
    if all(said.values()):
        return "the spec's min and max"
    if not any(said.values()):
        return "from the packing: the members' min copies, and every member at its max"
    given, derived = ("min", "max") if said["min"] else ("max", "min")
    what = "every member at its max" if derived == "max" else "the members' min copies"
    return f"the spec's {given}; {derived} from the packing ({what})"


def _copies_of(copies: Mapping[str, int]) -> str:
    return ", ".join(f"{tier} {n}" for tier, n in copies.items())
