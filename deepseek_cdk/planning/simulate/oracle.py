"""The oracle: each minute the least capacity that meets the objectives, at once (the package
docstring says how); a lower bound on the cost of any capacity that meets them."""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Sequence

from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.queueing import WAIT_QUANTILE, slot_wait_s
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.simulate.policy import bounds_at
from deepseek_cdk.planning.simulate.results import (
    MinuteStats,
    SimResult,
    alone_misses,
    duration_of,
    misses,
    quantile,
    to_ms,
    without_refused,
)
from deepseek_cdk.planning.simulate.service import Service
from deepseek_cdk.planning.traces import Request, Trace, week_offset_s


def oracle(tier: TierPlan, requests: Sequence[Request], *, duration_s: float | None = None) -> SimResult:
    """Each minute the least capacity that meets the objectives, at once (see the package's
    docstring); its requests wait for nothing and run at the fullest batch that meets them."""
    trace = Trace.of(requests)
    service = Service(tier)
    objectives = tier.objectives
    duration = duration_s if duration_s is not None else duration_of(trace)
    minutes = math.ceil(duration / 60)
    per_instance = fullest_batch(service, trace, objectives)
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
        add_busy(busy, full, arrival, end if end < duration else duration)
        latencies.append(total)
        ttfts.append(first)
        tpots.append(step)
    running = 0.0
    for minute in range(minutes):
        running += full[minute]
        busy[minute] += running
    bounds = bounds_at(tier.scaling.calendar, week_offset_s(trace.start))
    stats = []
    unmeetable_minutes = 0
    begin = 0
    for minute in range(minutes):
        end_index = bisect.bisect_left(trace.arrivals, 60 * (minute + 1))
        floor, _ = bounds(minute * 60.0)
        p90, p90_first, p90_step = (
            quantile(without_refused(values[begin:end_index], refused), 0.9)
            for values in (latencies, ttfts, tpots)
        )
        served = without_refused(latencies[begin:end_index], refused)
        needed = max(
            floor,
            least_instances(
                busy[minute] / 60,
                per_instance,
                sum(served) / len(served) if served else 0.0,
                (objectives.ttft_p90_s or math.inf) - (p90_first or 0.0) if objectives.streamed else math.inf,
            ),
        )
        missed = misses(objectives, p90_first if objectives.streamed else p90, p90_step)
        unmeetable = missed and alone_misses(
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
    served = without_refused(latencies, refused)
    hours = sum(m.in_service for m in stats) / 60
    price = tier.cost.price_per_hour if tier.cost else None
    return SimResult(
        minutes=tuple(stats),
        requests=len(trace),
        finished=len(served),
        rejected=0,
        timed_out=0,
        refused=refused,
        p50_s=quantile(served, 0.5),
        p90_s=quantile(served, 0.9),
        ttft_p90_s=quantile(without_refused(ttfts, refused), 0.9),
        tpot_p90_ms=to_ms(quantile(without_refused(tpots, refused), 0.9)),
        objectives=objectives,
        minutes_out_of_slo=0,
        minutes_unmeetable=unmeetable_minutes,
        minutes_at_max_short=0,
        instance_hours=hours,
        cost=None if price is None else hours * price,
        startup_s=None,
        billing="in-service",
    )


def least_instances(in_flight: float, per_instance: int, service_s: float, allowed_wait_s: float) -> int:
    """The fewest instances that hold `in_flight` requests on average at `per_instance` each
    and, with random arrivals pooled over all their slots (the best any routing does), keep
    the p90 wait for a slot within `allowed_wait_s` (planning.service_levels' queue model)."""
    count = math.ceil(in_flight / per_instance - 1e-9)
    if in_flight <= 0 or allowed_wait_s <= 0 or service_s <= 0:
        return count
    while slot_wait_s(count * per_instance, in_flight, service_s, WAIT_QUANTILE) > allowed_wait_s:
        count += 1
    return count


def add_busy(busy: list[float], full: list[float], start: float, end: float) -> None:
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


def fullest_batch(service: Service, requests: Sequence[Request], objectives: Objectives) -> int:
    """The most requests in flight per instance at which the trace's p90 request still meets
    the objectives with no wait (the full batch when none does): for streamed tiers the
    request of the trace's average input and its 90th percentile of output, whose TTFT and
    TPOT must meet theirs; async tiers run full batches."""
    trace = Trace.of(requests)
    if not objectives.streamed or not len(trace):
        return service.batch
    assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
    tokens_in = round(sum(trace.inputs) / len(trace))
    p90_out = int(quantile(trace.outputs, 0.9) or 1)

    def meets(batch: int) -> bool:
        first, _, tpot = service.times_of(tokens_in, p90_out, batch)
        return first <= (objectives.ttft_p90_s or 0) and tpot * 1000 <= (objectives.tpot_p90_ms or 0)

    fitting = [k for k in range(1, service.batch + 1) if meets(k)]
    # No batch meets them: nothing will, so the cheapest (fullest) instance is the bound.
    return max(fitting, default=service.batch)
