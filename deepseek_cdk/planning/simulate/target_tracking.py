"""Target tracking, the from-zero steps and the schedules, as Application Auto Scaling applies
them, evaluated every tick of a replay."""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from deepseek_cdk.planning.simulate.policy import (
    FROM_ZERO_DATAPOINTS,
    FROM_ZERO_PERIOD_S,
    SCALE_IN_MARGIN,
    SCALE_IN_SECONDS,
    SCALE_OUT_DATAPOINTS,
    TICK_S,
    Policy,
)

if TYPE_CHECKING:
    from deepseek_cdk.planning.simulate.replay import Replay


class ScalingState:
    """Target tracking, from-zero steps and schedules, evaluated every tick."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.period = TICK_S if policy.high_resolution else 60
        self.scale_in_points = SCALE_IN_SECONDS // self.period
        self.samples: list[float] = []
        self.datapoints: deque[float] = deque(maxlen=self.scale_in_points)
        self.zero_points: deque[bool] = deque(maxlen=FROM_ZERO_DATAPOINTS.get(policy.metric, 1))
        self.last_scale_in = -math.inf
        self.last_scale_out = -math.inf
        self.last_from_zero = -math.inf
        self.rejected_seen = 0

    def tick(self, replay: Replay, now: float, bounds: Callable[[float], tuple[int, int]]) -> None:
        policy = self.policy
        low, high = bounds(now)
        desired = replay.desired()
        if desired < low:  # a scheduled action: it acts at its time, no alarm to wait for
            replay.add(low - desired, now, policy.startup_s)
        elif desired > high:
            replay.remove(desired - high, now)
        ready = replay.ready_count
        sample = self._metric(replay, ready, now)
        self.samples.append(sample)
        replay.at_max_short = replay.desired() >= high and sample > policy.target
        if int(now) % FROM_ZERO_PERIOD_S == 0:
            self._from_zero(replay, now, high)
        if int(now) % self.period:
            return
        value = sum(self.samples) / len(self.samples) if self.samples else 0.0
        self.samples = []
        if not ready:
            return  # no instance publishes the metric: target tracking waits for data
        self.datapoints.append(value)
        recent = list(self.datapoints)
        desired = replay.desired()
        proposed = math.ceil(ready * value / policy.target)
        if len(recent) >= SCALE_OUT_DATAPOINTS and all(
            v > policy.target for v in recent[-SCALE_OUT_DATAPOINTS:]
        ):
            want = min(high, proposed)
            if want > desired:
                replay.add(want - desired, now, policy.startup_s, policy.reaction_s)
                self.last_scale_out = now
        elif (
            len(recent) >= self.scale_in_points
            and all(v < SCALE_IN_MARGIN * policy.target for v in recent)
            and now - self.last_scale_in >= policy.scale_in_cooldown_s
            and now - self.last_scale_out >= policy.scale_out_cooldown_s
        ):
            want = max(low, proposed)
            if want < desired:
                replay.remove(desired - want, now)
                self.last_scale_in = now
                self.datapoints.clear()

    def _metric(self, replay: Replay, ready: int, now: float) -> float:
        metric = self.policy.metric
        per = max(1, ready)
        if metric == "backlog":
            # ApproximateBacklogSize counts the requests being processed and those waiting.
            return (len(replay.backlog) + sum(i.running for i in replay.ready_instances())) / per
        if metric == "invocations":
            # Invocations in the minute up to now (a one-minute metric), per instance.
            times = replay.trace.arrivals
            return (bisect.bisect_right(times, now) - bisect.bisect_right(times, now - 60)) / per
        return sum(i.outstanding for i in replay.ready_instances()) / per

    def _from_zero(self, replay: Replay, now: float, high: int) -> None:
        """A tier at zero: +1 on the from-zero alarm, then a cold start's cooldown. The alarm
        reads the last minute only: failures while a copy was starting do not count later."""
        rejected = sum(replay.rejected_by_minute.values())
        failed_this_minute, self.rejected_seen = rejected > self.rejected_seen, rejected
        if replay.desired() > 0 or high == 0:
            self.zero_points.clear()
            return
        waiting = bool(replay.backlog) if replay.queued_kind else failed_this_minute
        self.zero_points.append(waiting)
        if (
            len(self.zero_points) == self.zero_points.maxlen
            and all(self.zero_points)
            and now - self.last_from_zero >= self.policy.from_zero_cooldown_s
        ):
            replay.add(1, now, self.policy.startup_s, self.policy.reaction_s)
            self.last_from_zero = now
