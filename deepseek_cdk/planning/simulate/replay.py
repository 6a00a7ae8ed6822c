"""The replay of a trace through a tier's scaling rules: an event loop over arrivals, finishes,
instances ready and 10-second ticks (the package docstring says what it models)."""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.simulate.policy import TICK_S, Policy, bounds_at, check_billing
from deepseek_cdk.planning.simulate.results import (
    SimResult,
    alone_misses,
    duration_of,
    misses,
    quantile,
    replay_result,
)
from deepseek_cdk.planning.simulate.service import Service
from deepseek_cdk.planning.simulate.target_tracking import ScalingState
from deepseek_cdk.planning.traces import Request, Trace, week_offset_s
from deepseek_cdk.runtime.router.contract import ASYNC_REQUEST_TTL_S  # as the router sends it

# The router waits this long for a stream's first bytes (runtime.router.streaming's
# STREAM_READ_TIMEOUT_S, held equal by a test) before it gives the request up.
FIRST_TOKEN_WAIT_S = 120
# Inference components: "copies scale to 0 after about 10-15 min without traffic; instances
# terminate after about 10 more minutes" (observed in AWS's scale-to-zero sample notebook).
IC_INSTANCE_LINGER_S = 600


class Seats(Protocol):
    """Where a shared fleet's member places its copies: on the fleet's instances
    (planning.simulate.fleet), which bill for them."""

    def seat(self, requested: float, startup_s: float) -> tuple[object, float] | None:
        """A place for a copy asked for at `requested`, and when it serves; None: no room."""

    def vacate(self, seat: object, now: float) -> None:
        """The copy in `seat` is gone at `now`."""


class _Instance:
    __slots__ = ("billed_from", "draining", "queue", "ready", "ready_at", "running", "seat")

    def __init__(self, ready_at: float, billed_from: float, seat: object = None) -> None:
        self.ready_at, self.billed_from, self.seat = ready_at, billed_from, seat
        self.running = 0
        self.queue: deque[tuple[int, float]] = deque()  # (request index, arrival)
        self.draining = False
        self.ready = False  # in service: in the load buckets

    @property
    def outstanding(self) -> int:
        return self.running + len(self.queue)


READY, TICK, FINISH = 0, 1, 2  # at one moment: instances ready first, then the tick that counts them
ARRIVAL = 3  # and arrivals after every event of their moment


class Replay:
    """The event loop: arrivals (from the trace's arrays), finishes, instances ready and
    10-second ticks, in time order. A shared fleet's member places its copies on the fleet's
    `seats`, which bill the instances: the member bills its copies' own seconds."""

    def __init__(
        self, tier: TierPlan, trace: Trace, duration_s: float, billing: str, seats: Seats | None = None
    ) -> None:
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
        self.seats = seats
        self.lingers = tier.endpoint.per_component and seats is None
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
        self.next_index = 0  # the next arrival

    # -- capacity
    def desired(self) -> int:
        return sum(1 for i in self.instances if not i.draining)

    def ready_instances(self) -> list[_Instance]:
        return [i for i in self.instances if i.ready]

    def add(self, count: int, now: float, startup_s: float, reaction_s: float = 0.0) -> None:
        for _ in range(count):
            requested = now + reaction_s
            # A copy on an instance still billing since its last copy went.
            if self.lingering and self.lingers:
                self.billed_s += min(IC_INSTANCE_LINGER_S, requested - self.lingering.popleft())
            ready_at, seat = requested + startup_s, None
            if self.seats is not None:
                placed = self.seats.seat(requested, startup_s)
                if placed is None:  # no room on the fleet: the copy is not added
                    continue
                seat, ready_at = placed
            instance = _Instance(ready_at, requested if self.billing == "request" else ready_at, seat)
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
        if self.seats is not None:
            self.seats.vacate(instance.seat, now)
        elif self.lingers:
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
            p90 = quantile(self.latencies[start:], 0.9)
            ttft, tpot = quantile(self.ttfts[start:], 0.9), quantile(self.tpots[start:], 0.9)
            missed = misses(self.objectives, ttft if self.objectives.streamed else p90, tpot)
            unmeetable = missed and alone_misses(
                self.service, self.trace, self.finished_index[start:], self.objectives
            )
            self.minute_stats[self._minute] = (p90, ttft, tpot, unmeetable)
        self._minute_from = len(self.latencies)

    # -- the loop
    def run(self, on_tick: Callable[[float], None], progress: Callable[[float], None] | None = None) -> None:
        """The whole replay, its own ticks in the event heap."""
        for tick in range(TICK_S, int(self.duration) + TICK_S, TICK_S):
            self.push(float(tick), TICK, None)
        self.advance(math.inf, ARRIVAL, on_tick, progress)
        self.close()

    def advance(
        self,
        until: float,
        before: int,
        on_tick: Callable[[float], None] = lambda now: None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        """Handle events and arrivals in time order, up to those at `until` of kind `before`
        and later (an arrival is the last kind of its moment): a joint replay steps its
        members to each tick this way and ticks them itself."""
        arrivals, inputs, events = self.trace.arrivals, self.trace.inputs, self.events
        duration = self.duration
        count, index = len(arrivals), self.next_index
        next_arrival = arrivals[index] if index < count else math.inf
        while events or index < count:
            if events and events[0][0] <= next_arrival:
                when, kind = events[0][0], events[0][1]
                if when > until or (when == until and kind >= before):
                    break
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
            if next_arrival > until or (next_arrival == until and before <= ARRIVAL):
                break
            now = next_arrival
            if self.service.refuses(inputs[index]):
                self.refused += 1
            else:
                self.route(index, now, now)
            index += 1
            next_arrival = arrivals[index] if index < count else math.inf
        self.next_index = index

    def close(self) -> None:
        """The end of the replay: the last minute's figures, what still waits, and the bill."""
        duration = self.duration
        self.flush()
        # Still waiting at the end, and older than the router or the queue would wait.
        limit = ASYNC_REQUEST_TTL_S if self.queued_kind else FIRST_TOKEN_WAIT_S
        waiting = [*self.backlog, *(entry for i in self.instances for entry in i.queue)]
        self.timed_out += sum(1 for _, arrived in waiting if duration - arrived > limit)
        for instance in list(self.instances):
            self.billed_s += max(0.0, duration - min(instance.billed_from, duration))
        if self.lingers:
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
    replay, tick = deployed(tier, trace, policy, duration_s if duration_s is not None else duration_of(trace))
    replay.run(tick, progress)
    return replay_result(replay, tier.cost.price_per_hour if tier.cost else None, policy.startup_s)


def deployed(
    tier: TierPlan, trace: Trace, policy: Policy, duration_s: float, seats: Seats | None = None
) -> tuple[Replay, Callable[[float], None]]:
    """A replay of `trace` with the capacity a deploy starts (the schedule's min at the trace's
    start, at least one per live version), billed from the start, and its scaling's tick."""
    check_billing(policy.billing)
    replay = Replay(tier, trace, duration_s, policy.billing, seats)
    bounds = bounds_at(policy.calendar, week_offset_s(trace.start))
    first_min, _ = bounds(0.0)
    initial = max(first_min, sum(v.initial for v in tier.capacity.live))
    replay.add(initial, 0.0, 0.0)
    for instance in replay.instances:  # deployed before the trace starts: billed from its start
        instance.billed_from = 0.0
    state = ScalingState(policy)

    def tick(now: float) -> None:
        state.tick(replay, now, bounds)

    return replay, tick
