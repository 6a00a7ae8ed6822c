"""Alarm thresholds in the plan: CloudWatch's units, derived from the SLO and the hardware."""

import math
from typing import Any

import pytest

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import SpecError, parse_deployment


def alarms_of(**tier: Any) -> Any:
    data = {"name": "t", "tiers": [{"name": "a", "model": "deepseek-r1-distill-qwen-7b", **tier}]}
    return build_plan(parse_deployment(data)).tiers[0].alarms.settings


def test_latency_threshold_is_the_slo_in_microseconds() -> None:
    assert alarms_of(slo={"p90_latency_seconds": 30}).latency_p90_us == 30_000_000
    assert alarms_of().latency_p90_us == 60_000_000  # no SLO: 60 s
    assert alarms_of(alarms={"latency_p90_seconds": 12.5}).latency_p90_us == 12_500_000


def test_a_gpu_memory_threshold_is_refused_with_the_reason() -> None:
    with pytest.raises(SpecError) as err:
        alarms_of(alarms={"gpu_memory_percent": 98})
    (problem,) = err.value.problems
    assert problem.startswith("tiers[0].alarms.gpu_memory_percent: no longer supported: vLLM reserves")


def test_no_capacity_pages_only_after_the_whole_cold_start() -> None:
    def tier_of(**tier: Any) -> Any:
        data = {"name": "t", "tiers": [{"name": "a", "model": "deepseek-r1-distill-qwen-32b", **tier}]}
        return build_plan(parse_deployment(data)).tiers[0]

    hub = tier_of(endpoint="async", scaling={"min": 0, "max": 2})
    # Provisioning, then the start-up health check (Hub weights download inside it).
    assert hub.cold_start_s == 600 + hub.startup_health_check_timeout_s
    assert hub.alarms.settings.no_capacity_minutes == math.ceil(hub.cold_start_s / 60)
    s3 = tier_of(
        endpoint="async",
        scaling={"min": 0, "max": 2},
        weights={"source": "s3", "uri": "s3://models-bucket/r1-32b/"},
    )
    # From S3, SageMaker's download comes before the container starts.
    assert s3.cold_start_s == 600 + s3.model_download_timeout_s + s3.startup_health_check_timeout_s
    assert s3.scaling.scale_from_zero_cooldown_s == s3.cold_start_s


def test_error_rates_are_shares() -> None:
    a = alarms_of(alarms={"error_5xx_percent": 2, "error_4xx_percent": 10})
    assert (a.error_5xx_rate, a.error_4xx_rate) == (0.02, 0.10)


def test_async_thresholds_follow_the_slo_and_capacity() -> None:
    a = alarms_of(
        endpoint="async",
        slo={"p90_latency_seconds": 900},
        scaling={"min": 0, "max": 4, "backlog_per_instance": 4},
    )
    assert a.oldest_request_s == 900
    assert a.backlog_size == 32  # 4 instances x 4 per instance x 2
    assert alarms_of(endpoint="async", scaling={"min": 0, "max": 2}).oldest_request_s == 30 * 60
