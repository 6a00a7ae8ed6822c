"""Alarm thresholds per tier, in the units CloudWatch reports, with how each was derived.

- ModelLatency is in microseconds: seconds x 1,000,000. Default: the tier's SLO, else 60 s.
- No GPU-memory alarm: vLLM reserves `gpu_memory_utilization` of every GPU at start-up and
  fills it with KV-cache blocks, so GPUMemoryUtilization reads that reservation whatever the
  load and says nothing about memory pressure. Pressure shows as requests queueing: the
  at-max alarm (concurrency above target) and latency catch it.
- Error rates: the Average of Invocation5XXErrors / Invocation4XXErrors is the share of
  requests that failed.
- Async: the oldest queued request against the SLO (default 30 minutes), and a backlog of
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
from deepseek_cdk.spec import Tier

DEFAULT_LATENCY_S = 60.0
DEFAULT_OLDEST_REQUEST_MIN = 30.0


@dataclass(frozen=True)
class AlarmPlan:
    """A tier's alarm settings and how the derived ones were derived."""

    settings: AlarmSettings
    derivation: tuple[str, ...]


def alarm_plan(tier: Tier, *, max_capacity: int, target: float, cold_start_s: int) -> AlarmPlan:
    spec_alarms = tier.alarms
    slo = tier.slo.p90_latency_seconds if tier.slo else None
    latency_s = spec_alarms.latency_p90_seconds or slo or DEFAULT_LATENCY_S
    latency_from = (
        "alarms.latency_p90_seconds"
        if spec_alarms.latency_p90_seconds
        else ("the SLO" if slo else "the default")
    )
    no_capacity_minutes = math.ceil(cold_start_s / 60)
    oldest_min = spec_alarms.oldest_request_minutes or (slo / 60 if slo else DEFAULT_OLDEST_REQUEST_MIN)
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
            f"latency p90 {latency_s:g} s from {latency_from} = {int(latency_s * 1_000_000):,} µs",
            f"no capacity: page after {no_capacity_minutes} min, the cold-start allowance "
            f"({cold_start_s} s: provisioning + download + start-up health check)",
        ),
    )
