"""A tier's capacity and how its versions share it: the one answer the stacks render and the
cost prices, so the plan and the template cannot disagree.

`scaling.min` and `scaling.max` (and each schedule's min and max) are the tier's totals, in
instances; on an inference-component tier, in copies, one copy filling an instance. A tier
with several live versions (weight above 0) splits each total across them by weight:
every live version first gets its floor, then each further instance goes to the version
whose weight per instance is highest (D'Hondt). That split never takes an instance away
from a version when the total grows, so a version's share of the min never exceeds its
share of the max, and the shares always add up to the total.

Floors: a real-time variant always has at least one instance (SageMaker serves a variant
only from its own instances), so the tier's min must cover one per live version. An
inference-component version has a copy whenever the tier has any (0 copies for all is
scaling to zero). A version with weight 0 is staged: its model exists, it gets no capacity.
The shadow version (real-time tiers only) gets its own instances, outside the totals, and a
fixed count of them: the tier's max times the sampled share of requests it receives (the
load it sees at the tier's peak), rounded up, and one at least (two under a canary or linear
rollout, whose step must stay within half of every variant). It is not registered for
autoscaling: SageMaker's shadow-variant and autoscaling pages (model-shadow-deployment,
endpoint-auto-scaling-add-policy: "register your production variant") document scaling
production variants only, so neither schedules nor target tracking move it.

Slots: each live version is served by the variant (component) named for its position among
the live versions, `live-1`, `live-2`, ...; the shadow by `shadow`. Names that do not carry
the version let a new version take an old one's place as an update of the same variant: the
scaling registered on it stays valid, and a blue/green rollout shifts its traffic.

Initial counts: what CloudFormation creates before scaling takes over. A real-time variant
starts at its min. Async and inference-component tiers start with at least one instance
(copy) per live version even when min is 0, so a deploy proves the model loads; they
scale in once idle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.spec import Schedule


class CapacityError(ValueError):
    """The tier's bounds cannot give every live version its floor."""


@dataclass(frozen=True)
class ScheduledShare:
    """One version's part of a scheduled action (the action's name, its min and max)."""

    name: str
    min: int | None
    max: int | None


@dataclass(frozen=True)
class VersionCapacity:
    """One version's instances (real-time, async) or copies (inference components)."""

    version: str
    role: str  # live | shadow | staged
    slot: str | None  # the variant (component) serving it; None when staged
    weight: float
    initial: int
    min: int
    max: int
    schedules: tuple[ScheduledShare, ...]

    @property
    def reaches_zero(self) -> bool:
        """Its min, or a scheduled min, is 0: it needs a way back up from zero."""
        return self.role != "staged" and (self.min == 0 or any(s.min == 0 for s in self.schedules))


@dataclass(frozen=True)
class CapacityPlan:
    """A tier's capacity bounds, and each version's share of them and of its schedules."""

    unit: str  # instances | copies
    min: int  # the tier's totals
    max: int
    versions: tuple[VersionCapacity, ...]
    # The endpoint's own instances: for inference components, what managed instance scaling
    # may use (min, max: the most copies any schedule allows, one copy filling an instance)
    # and how many instances the endpoint is created with (what the initial copies need).
    instances_min: int
    instances_max: int
    initial_instances: int

    @property
    def one(self) -> str:
        """The unit of one: "copy" or "instance"."""
        return "copy" if self.unit == "copies" else "instance"

    @property
    def live(self) -> tuple[VersionCapacity, ...]:
        return tuple(v for v in self.versions if v.role == "live")

    @property
    def shadow(self) -> VersionCapacity | None:
        return next((v for v in self.versions if v.role == "shadow"), None)

    @property
    def initial(self) -> int:
        """Instances (copies) running right after a deploy, before any scaling."""
        return sum(v.initial for v in self.versions)


def share(total: int, weights: Sequence[float], floor: int) -> list[int]:
    """`total` split over `weights`: `floor` each first, then one at a time to the highest
    weight per share (ties to the first). Raises CapacityError if the floors do not fit."""
    if total < floor * len(weights):
        raise CapacityError(f"{len(weights)} live versions need at least {floor * len(weights)}")
    shares = [floor] * len(weights)
    for _ in range(total - sum(shares)):
        best = max(range(len(weights)), key=lambda i: (weights[i] / (shares[i] + 1), -i))
        shares[best] += 1
    return shares


def capacity_plan(
    *,
    kind: EndpointKind,
    versions: Sequence[tuple[str, float]],
    min_total: int,
    max_total: int,
    schedules: Sequence[Schedule],
    at: str,
    shadow: tuple[str, float] | None = None,
    shadow_min: int = 1,
) -> CapacityPlan:
    """Split the tier's bounds and schedules across its live versions (name, weight), and
    size the `shadow` (version name, percent of requests it receives) on its own.

    Raises CapacityError naming the spec path when a bound cannot give every live version
    its floor."""
    shadow_name = shadow[0] if shadow else None
    live = [(name, weight) for name, weight in versions if weight > 0 and name != shadow_name]
    weights = [weight for _, weight in live]
    always_one = not kind.scales_to_zero  # a real-time variant serves only from its instances

    def split(total: int, where: str) -> list[int]:
        floor = 1 if always_one or total > 0 else 0
        try:
            return share(total, weights, floor)
        except CapacityError:
            one = "one instance" if kind.capacity_unit == "instances" else "one copy"
            zero = "" if always_one else ", or 0 for all"
            raise CapacityError(
                f"{at}.{where}: {len(live)} live versions need at least {len(live)} ({one} each{zero}) "
                f"(got {total})"
            ) from None

    mins = split(min_total, "scaling.min")
    maxes = split(max_total, "scaling.max")
    scheduled: list[list[ScheduledShare]] = [[] for _ in live]
    for k, s in enumerate(schedules):
        low = split(s.min, f"scaling.schedules[{k}].min") if s.min is not None else None
        high = split(s.max, f"scaling.schedules[{k}].max") if s.max is not None else None
        for i in range(len(live)):
            scheduled[i].append(
                ScheduledShare(s.name, None if low is None else low[i], None if high is None else high[i])
            )
    by_name = {name: i for i, (name, _) in enumerate(live)}
    entries = []
    for name, weight in versions:
        index = by_name.get(name)
        if shadow is not None and name == shadow_name:
            fixed = max(shadow_min, math.ceil(max_total * shadow[1] / 100))
            entries.append(VersionCapacity(name, "shadow", "shadow", weight, fixed, fixed, fixed, ()))
        elif index is None:
            entries.append(VersionCapacity(name, "staged", None, weight, 0, 0, 0, ()))
        else:
            least, most = mins[index], maxes[index]
            initial = least if always_one else max(1, least)
            entries.append(
                VersionCapacity(
                    name, "live", f"live-{index + 1}", weight, initial, least, most, tuple(scheduled[index])
                )
            )
    return CapacityPlan(
        unit=kind.capacity_unit,
        min=min_total,
        max=max_total,
        versions=tuple(entries),
        instances_min=min_total,
        instances_max=most_capacity(max_total, schedules),
        initial_instances=max(1, sum(e.initial for e in entries)),
    )


class Bounds(Protocol):
    """A schedule's bounds, as the spec writes them or the plan renders them."""

    @property
    def min(self) -> int | None: ...

    @property
    def max(self) -> int | None: ...


def most_capacity(max_total: int, schedules: Sequence[Bounds]) -> int:
    """The most instances (copies) the tier's max and its schedules allow at any moment."""
    return max([max_total, *(bound for s in schedules for bound in (s.min, s.max) if bound is not None)])


def weekly_share(share: VersionCapacity, weekly: list[Schedule]) -> VersionCapacity:
    """`share` with only the parts of the weekly schedules (one-offs are left out of cost)."""
    names = {x.name for x in weekly}
    return replace(share, schedules=tuple(part for part in share.schedules if part.name in names))
