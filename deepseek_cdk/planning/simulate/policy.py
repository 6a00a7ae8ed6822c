"""The scaling rules a replay applies (the plan's, the naive one, or any other), the constants
of target tracking it follows (their sources in docs/simulation.md), and the min and max the
weekly schedules set at each moment of a replay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment

TICK_S = 10
# Target tracking's alarms (docs/simulation.md quotes the sources): the scale-out alarm needs 3
# datapoints above the target, the scale-in alarm 15 minutes of datapoints below 90% of it.
# High-resolution metrics have 10-second datapoints (AWS's faster-autoscaling sample: "> 5 for
# 3 datapoints within 30 seconds", "< 4.5 for 90 datapoints within 15 minutes"), the others
# one-minute ones (3 within 3 minutes, 15 within 15 minutes).
SCALE_OUT_DATAPOINTS = 3
SCALE_IN_SECONDS = 15 * 60
SCALE_IN_MARGIN = 0.9
# The from-zero alarms as the constructs render them: one-minute datapoints, 2 for async
# (HasBacklogWithoutCapacity, AWS's documented setup), 1 for inference components.
FROM_ZERO_PERIOD_S = 60
FROM_ZERO_DATAPOINTS = {"backlog": 2, "concurrency": 1, "invocations": 1}
# "The time to trigger the scaling action is usually 1-2 minutes longer" than the alarm's
# datapoints (AWS's scale-to-zero samples, sagemaker-genai-hosting-examples): the pessimistic end.
REACTION_S = 120
BILLING = ("request", "in-service")  # when a new instance starts to bill; AWS does not say


def check_billing(billing: str) -> None:
    """ValueError unless `billing` is one of BILLING."""
    if billing not in BILLING:
        raise ValueError(f"billing: one of {', '.join(BILLING)} (got {billing!r})")


@dataclass(frozen=True)
class Policy:
    """The scaling rules a replay applies: the plan's (`policy_of`), the naive one, or any other."""

    metric: str  # concurrency | invocations | backlog
    target: float
    high_resolution: bool  # 10-second datapoints; else one-minute
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    calendar: CapacityCalendar  # min and max over the week
    startup_s: int
    from_zero_cooldown_s: int
    reaction_s: int = REACTION_S
    billing: str = "request"  # request | in-service


def policy_of(
    tier: TierPlan, *, startup_s: int | None = None, billing: str = "request", reaction_s: int = REACTION_S
) -> Policy:
    """The plan's rules; a new instance starts in `startup_s`, by default the tier's typical
    start-up (planning.startup), not its worst-case allowance."""
    scaling = tier.scaling
    return Policy(
        metric=scaling.target.metric,
        target=scaling.target.target,
        high_resolution=scaling.target.period_s < 60,
        scale_out_cooldown_s=scaling.scale_out_cooldown_s,
        scale_in_cooldown_s=scaling.scale_in_cooldown_s,
        calendar=scaling.calendar,
        startup_s=tier.typical_start_s if startup_s is None else startup_s,
        from_zero_cooldown_s=scaling.scale_from_zero_cooldown_s,
        reaction_s=reaction_s,
        billing=billing,
    )


NAIVE_TARGET = 10.0  # invocations per instance a minute, a guess of the kind examples use


def naive_policy(tier: TierPlan, base: Policy) -> Policy:
    """What common examples configure: invocations per instance (async: backlog per instance)
    with a guessed target of 10 a minute, one-minute metrics, no schedules, and 5-minute
    cooldowns, between the tier's own min and max (the availability floor is not what is
    compared); start-up, reaction and billing as `base`'s."""
    flat = CapacityCalendar((CapacitySegment(0, MINUTES_PER_WEEK, tier.capacity.min, tier.capacity.max),), ())
    return Policy(
        metric="backlog" if tier.endpoint.queued else "invocations",
        target=NAIVE_TARGET,
        high_resolution=False,
        scale_out_cooldown_s=300,
        scale_in_cooldown_s=300,
        calendar=flat,
        startup_s=base.startup_s,
        from_zero_cooldown_s=base.from_zero_cooldown_s,
        reaction_s=base.reaction_s,
        billing=base.billing,
    )


def bounds_at(calendar: CapacityCalendar, offset_s: float) -> Callable[[float], tuple[int, int]]:
    """min and max at `now` seconds into the replay, which starts `offset_s` into the week."""
    segments = calendar.segments

    def at(now: float) -> tuple[int, int]:
        week_minute = int((now + offset_s) // 60) % MINUTES_PER_WEEK
        segment = next(s for s in segments if s.start <= week_minute < s.end)
        return segment.min, segment.max

    return at
