"""How an update reaches a tier's instances: SageMaker's deployment guardrails, resolved.

Real-time and async endpoints update blue/green: SageMaker starts a second (green) fleet as
large as the current one, shifts traffic to it all at once, a canary first, or in linear
steps, waits `bake_minutes` after each shift while it watches the tier's rollback alarms
(p90 latency and 5XX of each live version; async: failed invocations), and moves all
traffic back if one fires. After the last shift it keeps the old fleet for
`termination_wait_minutes`, then terminates it. Inference components update each component
in batches of `linear_step_percent` of its copies (a rolling update), rolled back the same
way.

Limits (SageMaker API reference, read 2026-11-30: API_TrafficRoutingConfig,
API_BlueGreenUpdatePolicy, API_InferenceComponentRollingUpdatePolicy, API_AutoRollbackConfig):
a canary is at most 50% of a variant's instances, a linear step 10-50%, a component batch
5-50% of its copies; waits 0-3600 s; the whole deployment 600-28800 s and longer than its
waits; 1-10 rollback alarms. A variant of one instance cannot hold a canary or a step that
is half of it or less, so those strategies need two instances per live version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.capacity import CapacityPlan
from deepseek_cdk.spec import Rollout

EXECUTION_RANGE_S = (600, 28_800)
MAX_ROLLBACK_ALARMS = 10
ROLLBACK_ALARMS_PER_VERSION = 2  # p90 latency and 5XX rate
ROUTER_ALARMS_PER_VERSION = 2  # behind a router, a streamed tier's p90 TTFT and TPOT too


class RolloutError(ValueError):
    """A rollout SageMaker would refuse; the message names the spec field."""


@dataclass(frozen=True)
class RolloutPlan:
    """How a new version replaces the old one: its shifts and bakes, how long that takes, its cost."""

    strategy: str  # all-at-once | canary | linear
    method: str  # blue/green (the endpoint) | rolling (each inference component)
    step_percent: int | None  # the canary, a linear step or a batch, in percent
    bake_s: int  # the wait after each shift, watching the rollback alarms
    termination_wait_s: int  # the old fleet kept after the last shift (blue/green)
    shifts: int  # traffic shifts, each followed by a bake
    duration_s: int  # estimate: a cold start per batch, every bake, the termination wait
    max_execution_s: int  # SageMaker stops (and rolls back) a deployment that runs longer
    extra_instances: int  # the second fleet at the tier's min (blue/green) or one batch (rolling)
    extra_instances_at_max: int  # the same with the tier scaled out to its max
    cost_per_rollout: float | None  # extra_instances x duration x the instance price
    cost_per_rollout_at_max: float | None

    def describe(self) -> str:
        step = {
            "all-at-once": "all traffic at once",
            "canary": f"a {self.step_percent}% canary, then the rest",
            "linear": f"steps of {self.step_percent}%",
        }[self.strategy]
        return (
            f"{self.method}: {step}, {self.bake_s // 60} min bake after each of {self.shifts} shift(s), "
            f"rollback on the tier's alarms; about {self.duration_s / 3600:.1f} h, at most "
            f"{self.max_execution_s / 3600:.1f} h"
        )


def rollout_plan(
    rollout: Rollout,
    *,
    kind: EndpointKind,
    capacity: CapacityPlan,
    cold_start_s: int,
    price_per_hour: float | None,
    at: str,
    routed: bool = False,
) -> RolloutPlan:
    """Resolve `rollout` for a tier; RolloutError names the field SageMaker would refuse."""
    bake_s = rollout.bake_minutes * 60
    step = rollout.step_percent
    if kind.per_component:
        assert step is not None, "the spec allows inference components linear rollouts only"
        copies = max((v.min for v in capacity.live), default=0)
        batches = math.ceil(100 / step)
        extra = max(1, math.ceil(copies * step / 100))
        extra_at_max = max(1, math.ceil(max(v.max for v in capacity.live) * step / 100))
        duration = batches * (cold_start_s + bake_s)
        shifts, termination_s, method = batches, 0, "rolling"
    else:
        if step is not None:
            _check_split(rollout.strategy, step, capacity, at)
        shifts = {"all-at-once": 1, "canary": 2, "linear": math.ceil(100 / (step or 100))}[rollout.strategy]
        termination_s = 60 * (
            5 if rollout.termination_wait_minutes is None else rollout.termination_wait_minutes
        )
        duration = cold_start_s + shifts * bake_s + termination_s
        live = [*capacity.live, *([capacity.shadow] if capacity.shadow else [])]
        extra = sum(max(1, v.min) for v in live)
        extra_at_max = sum(max(1, v.max) for v in live)
        method = "blue/green"
    per_version = ROLLBACK_ALARMS_PER_VERSION + (
        ROUTER_ALARMS_PER_VERSION if routed and not kind.queued else 0
    )
    alarms = per_version * (1 if kind.per_component or kind.queued else len(capacity.live))
    if alarms > MAX_ROLLBACK_ALARMS:
        watched = "p90 latency and 5XX" + (", and the router's p90 TTFT and TPOT," if per_version > 2 else "")
        raise RolloutError(
            f"{at}.rollout: a rollout watches {watched} of each live version, and SageMaker "
            f"takes at most {MAX_ROLLBACK_ALARMS} rollback alarms: at most "
            f"{MAX_ROLLBACK_ALARMS // per_version} live versions (got {len(capacity.live)})"
        )
    # Room for provisioning slower than planned: a third more, within SageMaker's range.
    max_execution = max(EXECUTION_RANGE_S[0], math.ceil(duration * 4 / 3 / 60) * 60)
    if max_execution > EXECUTION_RANGE_S[1]:
        raise RolloutError(
            f"{at}.rollout.bake_minutes: {shifts} shift(s) of {rollout.bake_minutes} min each, cold starts "
            f"and the termination wait take about {duration / 3600:.1f} h, and SageMaker ends a deployment "
            f"after at most {EXECUTION_RANGE_S[1] // 3600} h; shorten the bakes or take larger steps"
        )
    return RolloutPlan(
        strategy=rollout.strategy,
        method=method,
        step_percent=step,
        bake_s=bake_s,
        termination_wait_s=termination_s,
        shifts=shifts,
        duration_s=duration,
        max_execution_s=max_execution,
        extra_instances=extra,
        extra_instances_at_max=extra_at_max,
        cost_per_rollout=None if price_per_hour is None else extra * duration / 3600 * price_per_hour,
        cost_per_rollout_at_max=None
        if price_per_hour is None
        else extra_at_max * duration / 3600 * price_per_hour,
    )


def _check_split(strategy: str, percent: int, capacity: CapacityPlan, at: str) -> None:
    """A canary or a linear step must be at most half of each variant: one instance is all of
    it, at the tier's min and under every schedule's."""
    small = []
    for v in capacity.live:
        least = min([v.min, *(s.min for s in v.schedules if s.min is not None)])
        if least < 2:
            small.append(f"{v.version} ({least})")
    if small:
        names = ", ".join(small)
        raise RolloutError(
            f"{at}.rollout.strategy: a {strategy} of {percent}% needs at least 2 instances in every live "
            "version at the tier's min, since SageMaker caps it at half a variant and one instance is all "
            f"of it; raise {at}.scaling.min (and the schedules' min) or use strategy: all-at-once "
            f"(fewest instances: {names})"
        )
