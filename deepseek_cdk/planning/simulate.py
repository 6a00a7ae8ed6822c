"""Replay requests through a tier's scaling rules, the way SageMaker and Application Auto
Scaling apply them, and through an oracle that provisions perfectly.

The service (estimates, from planning.throughput):
- each instance (or copy) runs at most `max_concurrency` requests at once; a request takes
  its prefill, then its output tokens at the step time of the batch it joins; requests
  beyond the batch wait in the instance's queue (real-time: SageMaker sends each request
  to the instance with the fewest outstanding); async requests wait in SageMaker's queue
  and an instance takes the next one when a slot frees;
- an inference-component tier with no copy fails the request (NoCapacityInvocationFailures).

Scaling (the constants below, with their sources in the README's "Simulation"):
- target tracking on the plan's metric: requests in flight per instance sampled every 10 s
  (high-resolution), invocations per instance a minute, or async backlog per instance a
  minute; the scale-out alarm fires after `SCALE_OUT_DATAPOINTS` datapoints above the target,
  the scale-in alarm after `SCALE_IN_DATAPOINTS` below `SCALE_IN_MARGIN` x the target; the new
  capacity is in-service capacity x metric / target, rounded up; scale-in waits for its
  cooldown, and capacity already starting counts towards a scale-out;
- new instances serve after `startup_s` (default: the plan's cold-start allowance, an upper
  bound); they bill from the moment they are requested;
- the weekly schedules set min and max (the capacity calendar; the replay starts Monday
  00:00 UTC); a tier at zero adds one instance (copy) on the from-zero alarm, then waits a
  cold start.

A minute is out of its objectives when the p90 time to first token or time per output token
of the requests finished in it misses the tier's objectives (async: the p90 completion time),
when a request still waits longer than the TTFT (completion) objective, or when a request
failed for lack of capacity.

The oracle serves the same requests with, each minute, exactly the instances the minute's
work needs with every instance as full as the objectives allow, and no start-up time: a lower
bound on cost.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.plan import TierPlan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar
from deepseek_cdk.planning.throughput import decode_step_seconds, prefill_seconds
from deepseek_cdk.planning.traces import Request

TICK_S = 10
# Target tracking's alarms (README "Simulation" quotes the sources): the scale-out alarm needs 3
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
INVOCATION_TIMEOUT_S = 60  # InvokeEndpoint ("must respond within 60 seconds"); streams may run longer


@dataclass(frozen=True)
class Policy:
    """The scaling rules a replay applies: the plan's (`policy_of`), or any other."""

    metric: str  # concurrency | invocations | backlog
    target: float
    high_resolution: bool  # 10-second datapoints; else one-minute
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    calendar: CapacityCalendar  # min and max over the week
    startup_s: int
    from_zero_cooldown_s: int


def policy_of(tier: TierPlan, *, startup_s: int | None = None) -> Policy:
    scaling = tier.scaling
    return Policy(
        metric=scaling.target.metric,
        target=scaling.target.target,
        high_resolution=bool(
            scaling.target.predefined_metric and "HighResolution" in scaling.target.predefined_metric
        ),
        scale_out_cooldown_s=scaling.scale_out_cooldown_s,
        scale_in_cooldown_s=scaling.scale_in_cooldown_s,
        calendar=scaling.calendar,
        startup_s=tier.cold_start_s if startup_s is None else startup_s,
        from_zero_cooldown_s=scaling.scale_from_zero_cooldown_s,
    )


@dataclass(frozen=True)
class MinuteStats:
    minute: int
    arrivals: int
    in_service: int  # at the end of the minute
    starting: int
    queued: int
    p90_s: float | None  # latency of the requests finished in the minute
    ttft_p90_s: float | None  # their time to first token
    tpot_p90_ms: float | None  # their time per output token
    out_of_slo: bool
    rejected: int


@dataclass(frozen=True)
class SimResult:
    minutes: tuple[MinuteStats, ...]
    requests: int
    finished: int
    rejected: int  # failed for lack of capacity (inference components at zero)
    timed_out: int  # real-time answers over the invocation timeout
    p50_s: float | None
    p90_s: float | None
    ttft_p90_s: float | None
    tpot_p90_ms: float | None
    objectives: Objectives
    minutes_out_of_slo: int
    instance_hours: float
    cost: float | None

    @property
    def share_out_of_slo(self) -> float:
        return self.minutes_out_of_slo / max(1, len(self.minutes))


class Service:
    """How long a request takes on one of the tier's instances (estimates)."""

    def __init__(self, tier: TierPlan) -> None:
        model, instance = MODELS[tier.model], INSTANCES[tier.instance_type]
        self.batch = tier.max_concurrency
        self.context = tier.max_context_tokens

        @cache
        def step(batch: int, context_bucket: int) -> float:
            return decode_step_seconds(
                model,
                instance.gpu,
                instance.gpu_count,
                batch=batch,
                context_tokens=context_bucket,
                kv_replicas=tier.memory.kv_replicas,
            )

        @cache
        def prefill(tokens: int) -> float:
            return prefill_seconds(model, instance.gpu, instance.gpu_count, tokens)

        self._step, self._prefill = step, prefill

    def times(self, request: Request, batch: int) -> tuple[float, float, float]:
        """(time to first token, total time, time per output token) for `request` joining a
        batch of `batch`; input and output are cut at the context, as the engine would."""
        tokens_in = min(request.input_tokens, self.context)
        tokens_out = min(request.output_tokens, max(1, self.context - tokens_in))
        context = min(self.context, tokens_in + tokens_out // 2)
        step = self._step(max(1, min(batch, self.batch)), -(-context // 256) * 256)
        first = self._prefill(tokens_in) + step
        return first, first + (tokens_out - 1) * step, step


@dataclass(frozen=True)
class _Finish:
    instance: _Instance
    latency: float
    ttft: float
    tpot: float


@dataclass(eq=False)
class _Instance:
    ready_at: float
    running: int = 0
    queue: deque[tuple[Request, float]] = field(default_factory=deque)
    draining: bool = False

    @property
    def outstanding(self) -> int:
        return self.running + len(self.queue)


class _Replay:
    """The event loop: arrivals, finishes and 10-second ticks in time order."""

    def __init__(self, tier: TierPlan, requests: Sequence[Request]) -> None:
        self.tier, self.service = tier, Service(tier)
        self.queued_kind = tier.endpoint.queued
        self.per_component = tier.endpoint.per_component
        self.requests = requests
        self.arrival_times = sorted(r.arrival_s for r in requests)
        self.objectives = tier.objectives
        self.instances: list[_Instance] = []
        self.backlog: deque[tuple[Request, float]] = deque()  # async: SageMaker's queue
        self.events: list[tuple[float, int, Request | _Finish | _Instance | None]] = []
        self.sequence = itertools.count()
        self.instance_seconds = 0.0
        self.latencies: list[float] = []
        self.ttfts: list[float] = []
        self.tpots: list[float] = []
        self.minute_latencies: dict[int, list[float]] = {}
        self.minute_ttfts: dict[int, list[float]] = {}
        self.minute_tpots: dict[int, list[float]] = {}
        self.rejected_by_minute: dict[int, int] = {}
        self.arrivals_by_minute: dict[int, int] = {}
        self.timed_out = 0
        # Per minute: in service, starting, queued, and how long the oldest queued request has waited.
        self.snapshots: list[tuple[int, int, int, float]] = []

    # -- capacity
    def in_service(self, now: float) -> list[_Instance]:
        return [i for i in self.instances if i.ready_at <= now and not i.draining]

    def desired(self) -> int:
        return sum(1 for i in self.instances if not i.draining)

    def add(self, count: int, now: float, startup_s: float) -> None:
        for _ in range(count):
            instance = _Instance(ready_at=now + startup_s)
            self.instances.append(instance)
            self.push(instance.ready_at, instance)

    def remove(self, count: int, now: float) -> None:
        """Starting instances first, then the least busy; busy ones drain before they go."""
        candidates = sorted(
            (i for i in self.instances if not i.draining), key=lambda i: (i.ready_at <= now, i.outstanding)
        )
        for instance in candidates[:count]:
            instance.draining = True
            for request, arrived in instance.queue:
                self.route(request, arrived, now)
            instance.queue.clear()
        self.instances = [i for i in self.instances if not (i.draining and i.running == 0)]

    # -- requests
    def push(self, when: float, event: Request | _Finish | _Instance | None) -> None:
        """An arrival (Request), a finish, an instance ready, or a tick (None)."""
        heapq.heappush(self.events, (when, next(self.sequence), event))

    def start(self, instance: _Instance, request: Request, arrived: float, now: float) -> None:
        instance.running += 1
        first, total, tpot = self.service.times(request, instance.running)
        wait = now - arrived
        self.push(now + total, _Finish(instance, wait + total, wait + first, tpot))

    def route(self, request: Request, arrived: float, now: float) -> None:
        if self.queued_kind:
            self.backlog.append((request, arrived))
            self.pull(now)
            return
        ready = self.in_service(now)
        if not ready:
            minute = int(now // 60)
            self.rejected_by_minute[minute] = self.rejected_by_minute.get(minute, 0) + 1
            return
        instance = min(ready, key=lambda i: i.outstanding)
        if instance.running < self.service.batch:
            self.start(instance, request, arrived, now)
        else:
            instance.queue.append((request, arrived))

    def pull(self, now: float) -> None:
        """Async: free slots take the oldest queued requests."""
        for instance in self.in_service(now):
            while self.backlog and instance.running < self.service.batch:
                request, arrived = self.backlog.popleft()
                self.start(instance, request, arrived, now)

    def finish(self, event: _Finish, now: float) -> None:
        instance, latency = event.instance, event.latency
        instance.running -= 1
        minute = int(now // 60)
        self.latencies.append(latency)
        self.ttfts.append(event.ttft)
        self.tpots.append(event.tpot)
        self.minute_latencies.setdefault(minute, []).append(latency)
        self.minute_ttfts.setdefault(minute, []).append(event.ttft)
        self.minute_tpots.setdefault(minute, []).append(event.tpot)
        if not self.queued_kind and latency > INVOCATION_TIMEOUT_S:
            self.timed_out += 1
        if instance.queue:
            request, queued_at = instance.queue.popleft()
            self.start(instance, request, queued_at, now)
        elif self.queued_kind and not instance.draining:
            self.pull(now)
        if instance.draining and instance.running == 0:
            self.instances.remove(instance)

    # -- the loop
    def run(
        self,
        duration_s: float,
        on_tick: Callable[[float], None],
        progress: Callable[[float], None] | None = None,
    ) -> None:
        # Ticks first: at the same moment, capacity a tick adds is there for the arrivals.
        for tick in range(TICK_S, int(duration_s) + TICK_S, TICK_S):
            self.push(float(tick), None)
        for request in self.requests:
            self.push(request.arrival_s, request)
        last = 0.0
        while self.events:
            now, _, event = heapq.heappop(self.events)
            # Billing covers the replayed window only.
            self.instance_seconds += (min(now, duration_s) - min(last, duration_s)) * len(self.instances)
            last = now
            if isinstance(event, Request):
                minute = int(now // 60)
                self.arrivals_by_minute[minute] = self.arrivals_by_minute.get(minute, 0) + 1
                self.route(event, now, now)
            elif isinstance(event, _Finish):
                self.finish(event, now)
            elif isinstance(event, _Instance):
                if self.queued_kind:
                    self.pull(now)
            elif now <= duration_s:
                if int(now) % 60 == 0:  # the minute that ends now, before this tick changes it
                    waiting = [*self.backlog, *(entry for i in self.instances for entry in i.queue)]
                    oldest = max((now - arrived for _, arrived in waiting), default=0.0)
                    ready = len(self.in_service(now))
                    self.snapshots.append((ready, self.desired() - ready, len(waiting), oldest))
                on_tick(now)
                if progress is not None and (int(now) % 3600 == 0 or now >= duration_s):
                    progress(min(1.0, now / duration_s))

    def result(self, price_per_hour: float | None) -> SimResult:
        minutes = []
        out_of_slo = 0
        objectives = self.objectives
        for minute, (ready, starting, queued, oldest_wait) in enumerate(self.snapshots):
            p90 = _quantile(self.minute_latencies.get(minute, []), 0.9)
            ttft = _quantile(self.minute_ttfts.get(minute, []), 0.9)
            tpot = _quantile(self.minute_tpots.get(minute, []), 0.9)
            rejected = self.rejected_by_minute.get(minute, 0)
            # Out of SLO: a failed request, finished requests too slow, or one still waiting longer.
            if objectives.streamed:
                assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
                late = (
                    (ttft is not None and ttft > objectives.ttft_p90_s)
                    or (tpot is not None and tpot * 1000 > objectives.tpot_p90_ms)
                    or oldest_wait > objectives.ttft_p90_s
                )
            else:
                limit = objectives.completion_p90_s or math.inf
                late = (p90 is not None and p90 > limit) or oldest_wait > limit
            missed = bool(rejected) or late
            out_of_slo += missed
            minutes.append(
                MinuteStats(
                    minute,
                    self.arrivals_by_minute.get(minute, 0),
                    ready,
                    starting,
                    queued,
                    p90,
                    ttft,
                    None if tpot is None else tpot * 1000,
                    missed,
                    rejected,
                )
            )
        hours = self.instance_seconds / 3600
        return SimResult(
            minutes=tuple(minutes),
            requests=len(self.requests),
            finished=len(self.latencies),
            rejected=sum(self.rejected_by_minute.values()),
            timed_out=self.timed_out,
            p50_s=_quantile(self.latencies, 0.5),
            p90_s=_quantile(self.latencies, 0.9),
            ttft_p90_s=_quantile(self.ttfts, 0.9),
            tpot_p90_ms=None if not self.tpots else 1000 * (_quantile(self.tpots, 0.9) or 0.0),
            objectives=self.objectives,
            minutes_out_of_slo=out_of_slo,
            instance_hours=hours,
            cost=None if price_per_hour is None else hours * price_per_hour,
        )


def simulate(
    tier: TierPlan,
    requests: Sequence[Request],
    policy: Policy,
    *,
    duration_s: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Replay `requests` through `policy` on the tier's instances; `progress` hears the share
    done every simulated hour."""
    replay = _Replay(tier, requests)
    duration = duration_s if duration_s is not None else _duration(requests)
    bounds = _bounds(policy.calendar)
    first_min, _ = bounds(0)
    initial = max(first_min, sum(v.initial for v in tier.capacity.live))
    replay.add(initial, 0.0, 0.0)
    state = _ScalingState(policy)

    def tick(now: float) -> None:
        state.tick(replay, now, bounds)

    replay.run(duration, tick, progress)
    cost = tier.cost.price_per_hour if tier.cost else None
    return replay.result(cost)


def oracle(tier: TierPlan, requests: Sequence[Request], *, duration_s: float | None = None) -> SimResult:
    """Each minute exactly the instances its work needs, at once: each instance as full as the
    SLO allows (the largest batch at which the trace's p90 request still meets it; async: a
    full batch)."""
    replay = _Replay(tier, requests)
    duration = duration_s if duration_s is not None else _duration(requests)
    service = replay.service
    per_instance = _fullest_batch(service, requests, tier.objectives)
    work = [0.0] * (int(duration // 60) + 2)
    for request in requests:
        _, seconds, _ = service.times(request, per_instance)
        work[int(request.arrival_s // 60)] += seconds
    floor = 0 if tier.endpoint.scales_to_zero else 1
    needed = [max(floor, math.ceil(w / 60 / per_instance)) for w in work]

    def tick(now: float) -> None:
        if int(now) % 60 == 0:
            want = needed[min(int(now // 60), len(needed) - 1)]
            have = replay.desired()
            if want > have:
                replay.add(want - have, now, 0.0)
            elif want < have:
                replay.remove(have - want, now)

    replay.add(needed[0], 0.0, 0.0)
    replay.run(duration, tick)
    return replay.result(tier.cost.price_per_hour if tier.cost else None)


def _fullest_batch(service: Service, requests: Sequence[Request], objectives: Objectives) -> int:
    """The most requests in flight per instance at which the trace's p90 request still meets
    the objectives with no wait (the full batch when none does): for streamed tiers the
    request of the trace's average input and its 90th percentile of output, whose TTFT and
    TPOT must meet theirs; async tiers run full batches."""
    if not objectives.streamed or not requests:
        return service.batch
    assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
    p90 = Request(
        0.0,
        round(statistics.fmean(r.input_tokens for r in requests)),
        int(_quantile([r.output_tokens for r in requests], 0.9) or 1),
    )

    def meets(batch: int) -> bool:
        first, _, tpot = service.times(p90, batch)
        return first <= (objectives.ttft_p90_s or 0) and tpot * 1000 <= (objectives.tpot_p90_ms or 0)

    fitting = [k for k in range(1, service.batch + 1) if meets(k)]
    # No batch meets them: nothing will, so the cheapest (fullest) instance is the bound.
    return max(fitting, default=service.batch)


class _ScalingState:
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
        self.minute_arrivals = 0
        self.rejected_seen = 0

    def tick(self, replay: _Replay, now: float, bounds: Callable[[int], tuple[int, int]]) -> None:
        policy = self.policy
        low, high = bounds(int(now // 60))
        desired = replay.desired()
        if desired < low:
            replay.add(low - desired, now, policy.startup_s)
        elif desired > high:
            replay.remove(desired - high, now)
        ready = replay.in_service(now)
        self.samples.append(self._metric(replay, ready, now))
        if int(now) % FROM_ZERO_PERIOD_S == 0:
            self._from_zero(replay, now, high)
        if int(now) % self.period:
            return
        value = statistics.fmean(self.samples) if self.samples else 0.0
        self.samples = []
        if not ready:
            return  # no instance publishes the metric: target tracking waits for data
        self.datapoints.append(value)
        recent = list(self.datapoints)
        desired = replay.desired()
        proposed = math.ceil(len(ready) * value / policy.target)
        if len(recent) >= SCALE_OUT_DATAPOINTS and all(
            v > policy.target for v in recent[-SCALE_OUT_DATAPOINTS:]
        ):
            want = min(high, proposed)
            if want > desired:
                replay.add(want - desired, now, policy.startup_s)
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

    def _metric(self, replay: _Replay, ready: list[_Instance], now: float) -> float:
        metric = self.policy.metric
        per = max(1, len(ready))
        if metric == "backlog":
            # ApproximateBacklogSize counts the requests being processed and those waiting.
            return (len(replay.backlog) + sum(i.running for i in ready)) / per
        if metric == "invocations":
            # Invocations in the minute up to now (a one-minute metric), per instance.
            times = replay.arrival_times
            return (bisect.bisect_right(times, now) - bisect.bisect_right(times, now - 60)) / per
        return sum(i.outstanding for i in ready) / per

    def _from_zero(self, replay: _Replay, now: float, high: int) -> None:
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
            replay.add(1, now, self.policy.startup_s)
            self.last_from_zero = now


def _bounds(calendar: CapacityCalendar) -> Callable[[int], tuple[int, int]]:
    def at(minute: int) -> tuple[int, int]:
        week_minute = minute % MINUTES_PER_WEEK
        segment = next(s for s in calendar.segments if s.start <= week_minute < s.end)
        return segment.min, segment.max

    return at


def _duration(requests: Sequence[Request]) -> float:
    last = max((r.arrival_s for r in requests), default=0.0)
    return (int(last // 60) + 1) * 60


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
