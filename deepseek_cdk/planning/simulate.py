"""Replay requests through a tier's scaling rules, the way SageMaker and Application Auto
Scaling apply them, and against an oracle that provisions perfectly.

The service (estimates, from planning.throughput):
- each instance (or copy) runs at most `max_concurrency` requests at once; a request takes
  its prefill and a step to its first token, then one step per output token at the step
  time of the batch it joins; requests beyond the batch wait at the instance (real-time:
  SageMaker sends each request to the instance with the fewest outstanding) or in SageMaker's
  queue (async), where a free slot takes the oldest;
- a request longer than the tier's context is refused, as the router refuses it; an
  inference-component tier with no copy fails requests (NoCapacityInvocationFailures);
- a real-time request still waiting for a slot after FIRST_TOKEN_WAIT_S is given up by the
  router and counted as timed out; an async request waiting longer than ASYNC_REQUEST_TTL_S
  expires.

Scaling (the constants below, with their sources in docs/simulation.md):
- target tracking on the plan's metric: requests in flight per instance (copy) sampled every
  10 s, as 10-second datapoints (predefined high-resolution) or their one-minute average,
  invocations per instance a minute, or async backlog per instance a minute; the scale-out
  alarm fires after `SCALE_OUT_DATAPOINTS` datapoints above the target, the scale-in alarm
  after `SCALE_IN_SECONDS` of datapoints below `SCALE_IN_MARGIN` x the target; the new
  capacity is in-service capacity x metric / target, rounded up; scale-in waits for its
  cooldown, and capacity already starting counts towards a scale-out;
- each scaling activity an alarm starts reaches SageMaker `reaction_s` after the alarm (a
  scheduled action acts at its time), then a new instance serves after `startup_s`; it bills
  from the request (or from InService: `billing`);
- the weekly schedules set min and max (the capacity calendar), on the week of the trace's own
  first timestamp; a tier at zero adds one instance (copy) on the from-zero alarm, then waits
  a cold start; an inference-component copy's instance bills IC_INSTANCE_LINGER_S after the
  copy is gone, unless a new copy takes it first.

A minute is out of the objectives when the p90 time to first token or time per output token
of the requests finished in it misses the tier's objectives (async: the p90 completion time),
when a request still waits longer than the TTFT (completion) objective, or when a request
failed or timed out for lack of capacity. A minute whose requests would miss even alone on an
idle instance is counted apart: no capacity meets it.

The oracle takes, each minute, the least capacity that meets the objectives: enough
instances for the requests' busy time that minute, each request at the fullest batch whose
p90 request still meets them, and, for random arrivals, enough slots pooled over all the
instances (the best any routing does) that the p90 wait for one keeps the TTFT objective;
no start-up; at least the tier's scheduled min (an availability choice); its max does not
bind. A lower bound on the cost of any capacity that meets the objectives.

The event loop keeps arrivals in their arrays and only finishes, ticks and starting
instances in its heap, and routes a request to the least-loaded instance through per-load
buckets: time grows with the number of requests, not with requests x instances.
"""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment
from deepseek_cdk.planning.service_levels import WAIT_QUANTILE, slot_wait_s
from deepseek_cdk.planning.throughput import decode_step_seconds, prefill_seconds
from deepseek_cdk.planning.traces import Request, Trace, week_offset_s
from deepseek_cdk.runtime.router.contract import ASYNC_REQUEST_TTL_S  # as the router sends it

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
# "The time to trigger the scaling action is usually 1-2 minutes longer" than the alarm's
# datapoints (AWS's scale-to-zero samples, sagemaker-genai-hosting-examples): the pessimistic end.
REACTION_S = 120
# The router waits this long for a stream's first bytes (runtime.router.streaming's
# STREAM_READ_TIMEOUT_S, held equal by a test) before it gives the request up.
FIRST_TOKEN_WAIT_S = 120
# Inference components: "copies scale to 0 after about 10-15 min without traffic; instances
# terminate after about 10 more minutes" (observed in AWS's scale-to-zero sample notebook).
IC_INSTANCE_LINGER_S = 600
BILLING = ("request", "in-service")  # when a new instance starts to bill; AWS does not say


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
    out_of_slo: bool  # a scaling miss (unmeetable minutes are not)
    unmeetable: bool  # its requests would miss the objectives even alone
    at_max_short: bool  # the scaling metric above its target with the tier at its max
    rejected: int


@dataclass(frozen=True)
class SimResult:
    minutes: tuple[MinuteStats, ...]
    requests: int
    finished: int
    rejected: int  # failed for lack of capacity (inference components at zero)
    timed_out: int  # given up while waiting for a slot (real-time) or expired in the queue (async)
    refused: int  # longer than the tier's context: the router refuses them
    p50_s: float | None
    p90_s: float | None
    ttft_p90_s: float | None
    tpot_p90_ms: float | None
    objectives: Objectives
    minutes_out_of_slo: int
    minutes_unmeetable: int
    minutes_at_max_short: int
    instance_hours: float
    cost: float | None
    startup_s: int | None  # None: the oracle starts nothing
    billing: str

    @property
    def share_out_of_slo(self) -> float:
        return self.minutes_out_of_slo / max(1, len(self.minutes))


class Service:
    """How long a request takes on one of the tier's instances (estimates). An instance that
    runs several model copies (the plan's layout) serves `copies` batches side by side, each on
    its own `tensor_parallel_degree` GPUs: its batch is the copies' together, and a request
    steps at the pace of its copy's share of it."""

    def __init__(self, tier: TierPlan) -> None:
        model, instance = MODELS[tier.model], INSTANCES[tier.instance_type]
        copies, gpus = tier.copies, tier.tensor_parallel_degree
        self.batch = tier.max_concurrency * copies
        self.context = tier.max_context_tokens

        # The same scales the plan planned with: the slow end of the calibration band, or a
        # loadtest's measurement.
        ttft_scale, tpot_scale = tier.service.ttft_scale, tier.service.tpot_scale

        def step(batch: int, context_tokens: int) -> float:
            return tpot_scale * decode_step_seconds(
                model,
                instance.gpu,
                gpus,
                batch=-(-batch // copies),
                context_tokens=context_tokens,
                kv_replicas=tier.memory.kv_replicas,
            )

        def prefill(tokens: int) -> float:
            return ttft_scale * prefill_seconds(
                model, instance.gpu, gpus, tokens, batched_tokens=tier.memory.batched_tokens
            )

        # Looked up once per request: plain dicts, filled on first use.
        self._step, self._prefill = step, prefill
        self._steps: dict[int, float] = {}
        self._prefills: dict[int, float] = {}

    def refuses(self, tokens_in: int) -> bool:
        """The router refuses a prompt that leaves no room for an answer in the context."""
        return tokens_in + 1 > self.context

    def times(self, request: Request, batch: int) -> tuple[float, float, float]:
        """(time to first token, total time, time per output token) for `request` joining a
        batch of `batch`; the output is cut at the context, as the engine would."""
        return self.times_of(request.input_tokens, request.output_tokens, batch)

    def times_of(self, tokens_in: int, tokens_out: int, batch: int) -> tuple[float, float, float]:
        # The replay's hottest path: conditionals instead of min/max, one dict lookup each.
        room = self.context - tokens_in
        if tokens_out > room:
            tokens_out = room if room > 1 else 1
        context = tokens_in + tokens_out // 2
        if context > self.context:
            context = self.context
        if batch > self.batch:
            batch = self.batch
        elif batch < 1:
            batch = 1
        bucket = -(-context // 256)  # the step time of contexts rounded up to 256 tokens
        key = batch << 20 | bucket
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = self._step(batch, bucket * 256)
        prefill = self._prefills.get(tokens_in)
        if prefill is None:
            prefill = self._prefills[tokens_in] = self._prefill(tokens_in)
        first = prefill + step
        return first, first + (tokens_out - 1) * step, step


class _Instance:
    __slots__ = ("billed_from", "draining", "queue", "ready", "ready_at", "running")

    def __init__(self, ready_at: float, billed_from: float) -> None:
        self.ready_at, self.billed_from = ready_at, billed_from
        self.running = 0
        self.queue: deque[tuple[int, float]] = deque()  # (request index, arrival)
        self.draining = False
        self.ready = False  # in service: in the load buckets

    @property
    def outstanding(self) -> int:
        return self.running + len(self.queue)


READY, TICK, FINISH = 0, 1, 2  # at one moment: instances ready first, then the tick that counts them


class _Replay:
    """The event loop: arrivals (from the trace's arrays), finishes, instances ready and
    10-second ticks, in time order."""

    def __init__(self, tier: TierPlan, trace: Trace, duration_s: float, billing: str) -> None:
        self.tier, self.trace, self.service = tier, trace, Service(tier)
        self.batch = self.service.batch
        self.duration = duration_s
        self.billing = billing
        self.queued_kind = tier.endpoint.queued
        self.objectives = tier.objectives
        self.instances: list[_Instance] = []
        self.levels: list[dict[_Instance, None]] = [{}]  # ready instances by outstanding requests
        self.lowest = 0
        self.ready_count = 0
        self.backlog: deque[tuple[int, float]] = deque()  # async: SageMaker's queue
        self.events: list[tuple[float, int, int, object]] = []
        self.sequence = 0
        self.billed_s = 0.0
        self.lingering: deque[float] = deque()  # inference components: instances left by copies
        self.waiting = 0  # queued at instances and in the backlog
        # Per finish: latency, TTFT, TPOT; alone on an idle instance: TTFT, TPOT (or latency).
        self.latencies, self.ttfts, self.tpots = array("d"), array("d"), array("d")
        self.minute_stats: dict[int, tuple[float | None, float | None, float | None, bool]] = {}
        self.finished_index = array("q")  # the request each finish was
        self._minute, self._minute_ends, self._minute_from = -1, 0.0, 0
        self.rejected_by_minute: dict[int, int] = {}
        self.timed_out = 0
        self.refused = 0
        # Per minute: in service, starting, queued, the oldest wait, and at max with load above target.
        self.snapshots: list[tuple[int, int, int, float, bool]] = []

    # -- capacity
    def desired(self) -> int:
        return sum(1 for i in self.instances if not i.draining)

    def ready_instances(self) -> list[_Instance]:
        return [i for i in self.instances if i.ready]

    def add(self, count: int, now: float, startup_s: float, reaction_s: float = 0.0) -> None:
        for _ in range(count):
            requested = now + reaction_s
            reused = bool(self.lingering) and self.tier.endpoint.per_component
            if reused:  # a copy on an instance still billing since its last copy went
                self.billed_s += min(IC_INSTANCE_LINGER_S, requested - self.lingering.popleft())
            ready_at = requested + startup_s
            instance = _Instance(ready_at, requested if self.billing == "request" else ready_at)
            self.instances.append(instance)
            self.push(ready_at, READY, instance)

    def remove(self, count: int, now: float) -> None:
        """Starting instances first, then the least busy; busy ones drain before they go."""
        candidates = sorted(
            (i for i in self.instances if not i.draining), key=lambda i: (i.ready_at <= now, i.outstanding)
        )
        for instance in candidates[:count]:
            self._leave(instance)
            instance.draining = True
            moved = list(instance.queue)
            self.waiting -= len(moved)
            instance.queue.clear()
            for index, arrived in moved:
                self.route(index, arrived, now)
            if instance.running == 0:
                self._retire(instance, now)

    def _retire(self, instance: _Instance, now: float) -> None:
        self.instances.remove(instance)
        self.billed_s += max(0.0, min(now, self.duration) - min(instance.billed_from, self.duration))
        if self.tier.endpoint.per_component:
            self.lingering.append(min(now, self.duration))

    def _enter(self, instance: _Instance) -> None:
        instance.ready = True
        self.ready_count += 1
        self._place(instance, instance.outstanding)

    def _leave(self, instance: _Instance) -> None:
        if instance.ready:
            instance.ready = False
            self.ready_count -= 1
            del self.levels[instance.outstanding][instance]

    def _place(self, instance: _Instance, load: int) -> None:
        while len(self.levels) <= load:
            self.levels.append({})
        self.levels[load][instance] = None
        if load < self.lowest:
            self.lowest = load

    def _moved(self, instance: _Instance, old: int) -> None:
        """`instance`'s outstanding requests changed from `old`."""
        if instance.ready:
            new = instance.running + len(instance.queue)
            if new != old:
                del self.levels[old][instance]
                self._place(instance, new)

    def _least(self) -> _Instance | None:
        if not self.ready_count:
            return None
        while not self.levels[self.lowest]:
            self.lowest += 1
        return next(iter(self.levels[self.lowest]))

    # -- requests
    def push(self, when: float, kind: int, payload: object) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (when, kind, self.sequence, payload))

    def start(self, instance: _Instance, index: int, arrived: float, now: float) -> None:
        instance.running += 1
        trace = self.trace
        first, total, tpot = self.service.times_of(
            trace.inputs[index], trace.outputs[index], instance.running
        )
        wait = now - arrived
        self.push(now + total, FINISH, (instance, index, wait + total, wait + first, tpot))

    def route(self, index: int, arrived: float, now: float) -> None:
        if self.queued_kind:
            self.backlog.append((index, arrived))
            self.waiting += 1
            self.pull(now)
            return
        instance = self._least()
        if instance is None:
            minute = int(now // 60)
            self.rejected_by_minute[minute] = self.rejected_by_minute.get(minute, 0) + 1
            return
        queue = instance.queue
        old = instance.running + len(queue)
        if instance.running < self.batch:
            self.start(instance, index, arrived, now)
        else:
            queue.append((index, arrived))
            self.waiting += 1
        levels = self.levels  # one more outstanding: the next bucket up
        del levels[old][instance]
        if len(levels) <= old + 1:
            levels.append({})
        levels[old + 1][instance] = None

    def next_waiting(
        self, queue: deque[tuple[int, float]], now: float, limit: float
    ) -> tuple[int, float] | None:
        """The oldest request in `queue` still within its wait `limit`; older ones time out."""
        while queue:
            index, arrived = queue.popleft()
            self.waiting -= 1
            if now - arrived <= limit:
                return index, arrived
            self.timed_out += 1
        return None

    def pull(self, now: float) -> None:
        """Async: free slots take the oldest queued requests."""
        for instance in self.ready_instances():
            while self.backlog and instance.running < self.batch:
                taken = self.next_waiting(self.backlog, now, ASYNC_REQUEST_TTL_S)
                if taken is None:
                    return
                old = instance.outstanding
                self.start(instance, *taken, now)
                self._moved(instance, old)

    def finish(self, payload: tuple[_Instance, int, float, float, float], now: float) -> None:
        instance, index, latency, ttft, tpot = payload
        old = instance.running + len(instance.queue)
        instance.running -= 1
        self.record(index, latency, ttft, tpot, now)
        if instance.queue:
            taken = self.next_waiting(instance.queue, now, FIRST_TOKEN_WAIT_S)
            if taken is not None:
                self.start(instance, *taken, now)
        self._moved(instance, old)
        if self.queued_kind and instance.ready:
            self.pull(now)
        if instance.draining and instance.running == 0 and instance in self.instances:
            self._retire(instance, now)

    def record(self, index: int, latency: float, ttft: float, tpot: float, now: float) -> None:
        """Finishes come in time order: a minute's are the arrays' tail since its first."""
        if now >= self._minute_ends:
            self.flush()
            self._minute = int(now // 60)
            self._minute_ends = (self._minute + 1) * 60
            self._minute_from = len(self.latencies)
        self.latencies.append(latency)
        self.ttfts.append(ttft)
        self.tpots.append(tpot)
        self.finished_index.append(index)

    def flush(self) -> None:
        """The finished minute's p90s, and, when they miss, whether its requests would miss
        even alone on an idle instance."""
        start = self._minute_from
        if len(self.latencies) > start:
            p90 = _quantile(self.latencies[start:], 0.9)
            ttft, tpot = _quantile(self.ttfts[start:], 0.9), _quantile(self.tpots[start:], 0.9)
            missed = _misses(self.objectives, ttft if self.objectives.streamed else p90, tpot)
            unmeetable = missed and _alone_misses(
                self.service, self.trace, self.finished_index[start:], self.objectives
            )
            self.minute_stats[self._minute] = (p90, ttft, tpot, unmeetable)
        self._minute_from = len(self.latencies)

    # -- the loop
    def run(self, on_tick: Callable[[float], None], progress: Callable[[float], None] | None = None) -> None:
        duration = self.duration
        for tick in range(TICK_S, int(duration) + TICK_S, TICK_S):
            self.push(float(tick), TICK, None)
        arrivals, inputs, events = self.trace.arrivals, self.trace.inputs, self.events
        count, index = len(arrivals), 0
        next_arrival = arrivals[0] if count else math.inf
        while events or index < count:
            if events and events[0][0] <= next_arrival:
                now, kind, _, payload = heapq.heappop(events)
                if kind == FINISH:
                    self.finish(payload, now)  # type: ignore[arg-type]
                elif kind == READY:
                    instance = payload
                    assert isinstance(instance, _Instance)
                    if not instance.draining and instance in self.instances:
                        self._enter(instance)
                        if self.queued_kind:
                            self.pull(now)
                elif now <= duration:
                    self.tick(now, on_tick, progress)
                continue
            now = next_arrival
            if self.service.refuses(inputs[index]):
                self.refused += 1
            else:
                self.route(index, now, now)
            index += 1
            next_arrival = arrivals[index] if index < count else math.inf
        self.flush()
        # Still waiting at the end, and older than the router or the queue would wait.
        limit = ASYNC_REQUEST_TTL_S if self.queued_kind else FIRST_TOKEN_WAIT_S
        waiting = [*self.backlog, *(entry for i in self.instances for entry in i.queue)]
        self.timed_out += sum(1 for _, arrived in waiting if duration - arrived > limit)
        for instance in list(self.instances):
            self.billed_s += max(0.0, duration - min(instance.billed_from, duration))
        if self.tier.endpoint.per_component:
            self.billed_s += sum(min(IC_INSTANCE_LINGER_S, duration - since) for since in self.lingering)

    def tick(
        self, now: float, on_tick: Callable[[float], None], progress: Callable[[float], None] | None
    ) -> None:
        if int(now) % 60 == 0:  # the minute that ends now, before this tick changes it
            oldest = max(
                (now - i.queue[0][1] for i in self.instances if i.queue),
                default=0.0,
            )
            if self.backlog:
                oldest = max(oldest, now - self.backlog[0][1])
            ready = self.ready_count
            self.snapshots.append((ready, self.desired() - ready, self.waiting, oldest, self.at_max_short))
        on_tick(now)
        if progress is not None and (int(now) % 3600 == 0 or now >= self.duration):
            progress(min(1.0, now / self.duration))

    at_max_short = False  # set by the scaling state each tick

    def result(self, price_per_hour: float | None, startup_s: int | None) -> SimResult:
        minutes = []
        out = unmeetable_minutes = short = 0
        objectives = self.objectives
        arrivals = self.trace.arrivals
        for minute, (ready, starting, queued, oldest_wait, at_max) in enumerate(self.snapshots):
            p90, ttft, tpot, unmeetable = self.minute_stats.get(minute, (None, None, None, False))
            rejected = self.rejected_by_minute.get(minute, 0)
            wait_limit = (
                objectives.ttft_p90_s if objectives.streamed else objectives.completion_p90_s
            ) or math.inf
            late = _misses(objectives, ttft if objectives.streamed else p90, tpot) or oldest_wait > wait_limit
            missed = bool(rejected) or (late and not unmeetable)
            out += missed
            unmeetable_minutes += unmeetable
            short += at_max
            minutes.append(
                MinuteStats(
                    minute,
                    bisect.bisect_left(arrivals, 60 * (minute + 1))
                    - bisect.bisect_left(arrivals, 60 * minute),
                    ready,
                    starting,
                    queued,
                    p90,
                    ttft,
                    None if tpot is None else tpot * 1000,
                    missed,
                    unmeetable,
                    at_max,
                    rejected,
                )
            )
        hours = self.billed_s / 3600
        return SimResult(
            minutes=tuple(minutes),
            requests=len(self.trace),
            finished=len(self.latencies),
            rejected=sum(self.rejected_by_minute.values()),
            timed_out=self.timed_out,
            refused=self.refused,
            p50_s=_quantile(self.latencies, 0.5),
            p90_s=_quantile(self.latencies, 0.9),
            ttft_p90_s=_quantile(self.ttfts, 0.9),
            tpot_p90_ms=_scaled(_quantile(self.tpots, 0.9), 1000),
            objectives=objectives,
            minutes_out_of_slo=out,
            minutes_unmeetable=unmeetable_minutes,
            minutes_at_max_short=short,
            instance_hours=hours,
            cost=None if price_per_hour is None else hours * price_per_hour,
            startup_s=startup_s,
            billing=self.billing,
        )


def _alone_misses(service: Service, trace: Trace, indices: Sequence[int], objectives: Objectives) -> bool:
    """Whether these requests' p90 misses the objectives even alone on an idle instance."""
    alone = [service.times_of(trace.inputs[i], trace.outputs[i], 1) for i in indices]
    first = _quantile([a[0] if objectives.streamed else a[1] for a in alone], 0.9)
    return _misses(objectives, first, _quantile([a[2] for a in alone], 0.9))


def _misses(objectives: Objectives, first: float | None, tpot: float | None) -> bool:
    """Whether a p90 TTFT (async: completion time) or TPOT in seconds misses the objectives."""
    if objectives.streamed:
        return (first is not None and first > (objectives.ttft_p90_s or math.inf)) or (
            tpot is not None and tpot * 1000 > (objectives.tpot_p90_ms or math.inf)
        )
    return first is not None and first > (objectives.completion_p90_s or math.inf)


def simulate(
    tier: TierPlan,
    requests: Sequence[Request],
    policy: Policy,
    *,
    duration_s: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Replay `requests` through `policy` on the tier's instances, on the week of the trace's
    first request; `progress` hears the share done every simulated hour."""
    trace = Trace.of(requests)
    if policy.billing not in BILLING:
        raise ValueError(f"billing: one of {', '.join(BILLING)} (got {policy.billing!r})")
    replay = _Replay(tier, trace, duration_s if duration_s is not None else _duration(trace), policy.billing)
    bounds = _bounds(policy.calendar, week_offset_s(trace.start))
    first_min, _ = bounds(0.0)
    initial = max(first_min, sum(v.initial for v in tier.capacity.live))
    replay.add(initial, 0.0, 0.0)
    for instance in replay.instances:  # deployed before the trace starts: billed from its start
        instance.billed_from = 0.0
    state = _ScalingState(policy)

    def tick(now: float) -> None:
        state.tick(replay, now, bounds)

    replay.run(tick, progress)
    return replay.result(tier.cost.price_per_hour if tier.cost else None, policy.startup_s)


def oracle(tier: TierPlan, requests: Sequence[Request], *, duration_s: float | None = None) -> SimResult:
    """Each minute the least capacity that meets the objectives, at once (see the module's
    docstring); its requests wait for nothing and run at the fullest batch that meets them."""
    trace = Trace.of(requests)
    service = Service(tier)
    objectives = tier.objectives
    duration = duration_s if duration_s is not None else _duration(trace)
    minutes = math.ceil(duration / 60)
    per_instance = _fullest_batch(service, trace, objectives)
    busy, full = [0.0] * (minutes + 1), [0.0] * (minutes + 2)
    # Per request, in trace order (-1: refused), so a minute's arrivals are one slice.
    latencies, ttfts, tpots = array("d"), array("d"), array("d")
    refused = 0
    times_of, outputs = service.times_of, trace.outputs
    for index, (arrival, tokens_in) in enumerate(zip(trace.arrivals, trace.inputs, strict=True)):
        if service.refuses(tokens_in):
            refused += 1
            latencies.append(-1.0)
            ttfts.append(-1.0)
            tpots.append(-1.0)
            continue
        first, total, step = times_of(tokens_in, outputs[index], per_instance)
        end = arrival + total
        _add_busy(busy, full, arrival, end if end < duration else duration)
        latencies.append(total)
        ttfts.append(first)
        tpots.append(step)
    running = 0.0
    for minute in range(minutes):
        running += full[minute]
        busy[minute] += running
    bounds = _bounds(tier.scaling.calendar, week_offset_s(trace.start))
    stats = []
    unmeetable_minutes = 0
    begin = 0
    for minute in range(minutes):
        end_index = bisect.bisect_left(trace.arrivals, 60 * (minute + 1))
        floor, _ = bounds(minute * 60.0)
        p90, p90_first, p90_step = (
            _quantile(_served(values[begin:end_index], refused), 0.9) for values in (latencies, ttfts, tpots)
        )
        served = _served(latencies[begin:end_index], refused)
        needed = max(
            floor,
            _least_instances(
                busy[minute] / 60,
                per_instance,
                sum(served) / len(served) if served else 0.0,
                (objectives.ttft_p90_s or math.inf) - (p90_first or 0.0) if objectives.streamed else math.inf,
            ),
        )
        missed = _misses(objectives, p90_first if objectives.streamed else p90, p90_step)
        unmeetable = missed and _alone_misses(
            service, trace, [i for i in range(begin, end_index) if latencies[i] >= 0], objectives
        )
        unmeetable_minutes += unmeetable
        stats.append(
            MinuteStats(
                minute,
                end_index - begin,
                needed,
                0,
                0,
                p90,
                p90_first,
                None if p90_step is None else p90_step * 1000,
                False,
                unmeetable,
                False,
                0,
            )
        )
        begin = end_index
    served = _served(latencies, refused)
    hours = sum(m.in_service for m in stats) / 60
    price = tier.cost.price_per_hour if tier.cost else None
    return SimResult(
        minutes=tuple(stats),
        requests=len(trace),
        finished=len(served),
        rejected=0,
        timed_out=0,
        refused=refused,
        p50_s=_quantile(served, 0.5),
        p90_s=_quantile(served, 0.9),
        ttft_p90_s=_quantile(_served(ttfts, refused), 0.9),
        tpot_p90_ms=_scaled(_quantile(_served(tpots, refused), 0.9), 1000),
        objectives=objectives,
        minutes_out_of_slo=0,
        minutes_unmeetable=unmeetable_minutes,
        minutes_at_max_short=0,
        instance_hours=hours,
        cost=None if price is None else hours * price,
        startup_s=None,
        billing="in-service",
    )


def _least_instances(in_flight: float, per_instance: int, service_s: float, allowed_wait_s: float) -> int:
    """The fewest instances that hold `in_flight` requests on average at `per_instance` each
    and, with random arrivals pooled over all their slots (the best any routing does), keep
    the p90 wait for a slot within `allowed_wait_s` (planning.service_levels' queue model)."""
    count = math.ceil(in_flight / per_instance - 1e-9)
    if in_flight <= 0 or allowed_wait_s <= 0 or service_s <= 0:
        return count
    while slot_wait_s(count * per_instance, in_flight, service_s, WAIT_QUANTILE) > allowed_wait_s:
        count += 1
    return count


def _add_busy(busy: list[float], full: list[float], start: float, end: float) -> None:
    """Add the interval [start, end) to per-minute busy seconds: partial minutes directly,
    whole minutes through the `full` difference array."""
    if end <= start:
        return
    first, last = int(start // 60), int(end // 60)
    if first == last:
        busy[first] += end - start
        return
    busy[first] += (first + 1) * 60 - start
    if last < len(busy):
        busy[last] += end - last * 60
    full[first + 1] += 60
    full[min(last, len(full) - 1)] -= 60


def _fullest_batch(service: Service, requests: Sequence[Request], objectives: Objectives) -> int:
    """The most requests in flight per instance at which the trace's p90 request still meets
    the objectives with no wait (the full batch when none does): for streamed tiers the
    request of the trace's average input and its 90th percentile of output, whose TTFT and
    TPOT must meet theirs; async tiers run full batches."""
    trace = Trace.of(requests)
    if not objectives.streamed or not len(trace):
        return service.batch
    assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
    tokens_in = round(sum(trace.inputs) / len(trace))
    p90_out = int(_quantile(trace.outputs, 0.9) or 1)

    def meets(batch: int) -> bool:
        first, _, tpot = service.times_of(tokens_in, p90_out, batch)
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
        self.rejected_seen = 0

    def tick(self, replay: _Replay, now: float, bounds: Callable[[float], tuple[int, int]]) -> None:
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

    def _metric(self, replay: _Replay, ready: int, now: float) -> float:
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
            replay.add(1, now, self.policy.startup_s, self.policy.reaction_s)
            self.last_from_zero = now


def _bounds(calendar: CapacityCalendar, offset_s: float) -> Callable[[float], tuple[int, int]]:
    """min and max at `now` seconds into the replay, which starts `offset_s` into the week."""
    segments = calendar.segments

    def at(now: float) -> tuple[int, int]:
        week_minute = int((now + offset_s) // 60) % MINUTES_PER_WEEK
        segment = next(s for s in segments if s.start <= week_minute < s.end)
        return segment.min, segment.max

    return at


def _duration(trace: Trace) -> float:
    last = trace.arrivals[-1] if len(trace) else 0.0
    return (int(last // 60) + 1) * 60


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _served(values: Sequence[float], refused: int) -> Sequence[float]:
    """The oracle's values without the refused requests' -1 (a copy only when there are any)."""
    return [v for v in values if v >= 0] if refused else values
