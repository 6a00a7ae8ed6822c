"""What a replay reports, minute by minute and in total, and how a minute is judged against
the tier's objectives."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.simulate.service import Service
from deepseek_cdk.planning.traces import Trace

if TYPE_CHECKING:
    from deepseek_cdk.planning.simulate.replay import Replay


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


def alone_misses(service: Service, trace: Trace, indices: Sequence[int], objectives: Objectives) -> bool:
    """Whether these requests' p90 misses the objectives even alone on an idle instance."""
    alone = [service.times_of(trace.inputs[i], trace.outputs[i], 1) for i in indices]
    first = quantile([a[0] if objectives.streamed else a[1] for a in alone], 0.9)
    return misses(objectives, first, quantile([a[2] for a in alone], 0.9))


def misses(objectives: Objectives, first: float | None, tpot: float | None) -> bool:
    """Whether a p90 TTFT (async: completion time) or TPOT in seconds misses the objectives."""
    if objectives.streamed:
        return (first is not None and first > (objectives.ttft_p90_s or math.inf)) or (
            tpot is not None and tpot * 1000 > (objectives.tpot_p90_ms or math.inf)
        )
    return first is not None and first > (objectives.completion_p90_s or math.inf)


def duration_of(trace: Trace) -> float:
    last = trace.arrivals[-1] if len(trace) else 0.0
    return (int(last // 60) + 1) * 60


def quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def to_ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def without_refused(values: Sequence[float], refused: int) -> Sequence[float]:
    """The oracle's values without the refused requests' -1 (a copy only when there are any)."""
    return [v for v in values if v >= 0] if refused else values


def replay_result(replay: Replay, price_per_hour: float | None, startup_s: int | None) -> SimResult:
    """What a replay found, minute by minute and in total; its cost at `price_per_hour`."""
    minutes = []
    out = unmeetable_minutes = short = 0
    objectives = replay.objectives
    arrivals = replay.trace.arrivals
    for minute, (ready, starting, queued, oldest_wait, at_max) in enumerate(replay.snapshots):
        p90, ttft, tpot, unmeetable = replay.minute_stats.get(minute, (None, None, None, False))
        rejected = replay.rejected_by_minute.get(minute, 0)
        wait_limit = (
            objectives.ttft_p90_s if objectives.streamed else objectives.completion_p90_s
        ) or math.inf
        late = misses(objectives, ttft if objectives.streamed else p90, tpot) or oldest_wait > wait_limit
        missed = bool(rejected) or (late and not unmeetable)
        out += missed
        unmeetable_minutes += unmeetable
        short += at_max
        minutes.append(
            MinuteStats(
                minute,
                bisect.bisect_left(arrivals, 60 * (minute + 1)) - bisect.bisect_left(arrivals, 60 * minute),
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
    hours = replay.billed_s / 3600
    return SimResult(
        minutes=tuple(minutes),
        requests=len(replay.trace),
        finished=len(replay.latencies),
        rejected=sum(replay.rejected_by_minute.values()),
        timed_out=replay.timed_out,
        refused=replay.refused,
        p50_s=quantile(replay.latencies, 0.5),
        p90_s=quantile(replay.latencies, 0.9),
        ttft_p90_s=quantile(replay.ttfts, 0.9),
        tpot_p90_ms=to_ms(quantile(replay.tpots, 0.9)),
        objectives=objectives,
        minutes_out_of_slo=out,
        minutes_unmeetable=unmeetable_minutes,
        minutes_at_max_short=short,
        instance_hours=hours,
        cost=None if price_per_hour is None else hours * price_per_hour,
        startup_s=startup_s,
        billing=replay.billing,
    )
