"""Alarm thresholds per tier, in the units CloudWatch reports, with how each was derived.

- ModelLatency is in microseconds: seconds x 1,000,000. It times whole answers, not tokens,
  so it only stands in for the objectives: by default the p90 answer at the TTFT and TPOT
  objectives (at most an hour). The objectives themselves are alarmed on the router's
  TimeToFirstToken and TimePerOutputToken (constructs.monitoring).
- No GPU-memory alarm: vLLM reserves `gpu_memory_utilization` of every GPU at start-up and
  fills it with KV-cache blocks, so GPUMemoryUtilization reads that reservation whatever the
  load and says nothing about memory pressure. Pressure shows as requests queueing: the
  at-max alarm (concurrency above target) and latency catch it.
- Error rates: the Average of Invocation5XXErrors / Invocation4XXErrors is the share of
  requests that failed.
- Async: the oldest queued request against the completion objective, and a backlog of
  more than two targets' worth per instance at max capacity.
- At max: the tracked scaling metric stays above its target for `at_max_minutes`; target
  tracking would have added capacity unless the tier is at its maximum.
- No capacity (async requests waiting with no instance, inference-component requests failing
  with no copy): pages only after the tier's whole cold-start allowance (provisioning +
  download + start-up health check, planning.startup), so a normal cold start never pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deepseek_cdk.alarm_settings import AlarmSettings
from deepseek_cdk.objectives import DEFAULT_COMPLETION_P90_S, Objectives
from deepseek_cdk.spec import Tier

DEFAULT_LATENCY_S = 60.0
MAX_LATENCY_S = 3600.0  # the spec's own upper bound for latency_p90_seconds


@dataclass(frozen=True)
class AlarmPlan:
    """A tier's alarm settings and how the derived ones were derived."""

    settings: AlarmSettings
    derivation: tuple[str, ...]


def alarm_plan(
    tier: Tier,
    objectives: Objectives,
    *,
    p90_output_tokens: int,
    max_capacity: int,
    target: float,
    cold_start_s: int,
) -> AlarmPlan:
    spec_alarms = tier.alarms
    if objectives.streamed:
        assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
        # ModelLatency times whole answers: the p90 request's at the objectives stands in.
        derived_s = objectives.ttft_p90_s + p90_output_tokens * objectives.tpot_p90_ms / 1000
        derived_from = (
            f"the p90 answer at the objectives: {objectives.ttft_p90_s:g} s + {p90_output_tokens} tokens x "
            f"{objectives.tpot_p90_ms:g} ms"
        )
    else:
        derived_s, derived_from = DEFAULT_LATENCY_S, "the default"
    latency_s = min(spec_alarms.latency_p90_seconds or derived_s, MAX_LATENCY_S)
    latency_from = "alarms.latency_p90_seconds" if spec_alarms.latency_p90_seconds else derived_from
    no_capacity_minutes = math.ceil(cold_start_s / 60)
    completion_min = (objectives.completion_p90_s or DEFAULT_COMPLETION_P90_S) / 60
    oldest_min = spec_alarms.oldest_request_minutes or completion_min
    backlog = spec_alarms.backlog_size or int(max_capacity * target * 2)
    settings = AlarmSettings(
        latency_p90_us=int(latency_s * 1_000_000),
        error_5xx_rate=spec_alarms.error_5xx_percent / 100,
        error_4xx_rate=spec_alarms.error_4xx_percent / 100,
        disk_percent=spec_alarms.disk_percent,
        at_max_minutes=spec_alarms.at_max_minutes,
        oldest_request_s=int(oldest_min * 60),
        backlog_size=max(1, backlog),
        evaluation_minutes=spec_alarms.evaluation_minutes,
        no_capacity_minutes=no_capacity_minutes,
    )
    return AlarmPlan(
        settings=settings,
        derivation=(
            f"ModelLatency p90 {latency_s:g} s from {latency_from} = {int(latency_s * 1_000_000):,} µs",
            f"no capacity: page after {no_capacity_minutes} min, the cold-start allowance "
            f"({cold_start_s} s: provisioning + download + start-up health check)",
        ),
    )
