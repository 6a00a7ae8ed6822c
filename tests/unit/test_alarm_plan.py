"""Alarm thresholds in the plan: CloudWatch's units, derived from the objectives and the hardware."""

import math
from typing import Any

import pytest

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import SpecError, parse_deployment


def alarms_of(**tier: Any) -> Any:
    data = {"name": "t", "tiers": [{"name": "a", "model": "deepseek-r1-distill-qwen-7b", **tier}]}
    return build_plan(parse_deployment(data)).tiers[0].alarms.settings


def test_model_latency_stands_in_with_the_p90_answer_at_the_objectives() -> None:
    # The p90 answer (twice the default 1000 output tokens) at 1 s + 2000 x 50 ms = 101 s.
    slo = {"ttft_p90_seconds": 1, "tpot_p90_ms": 50}
    assert alarms_of(slo=slo).latency_p90_us == 101_000_000
    assert alarms_of().latency_p90_us == 202_000_000  # the defaults: 2 s + 2000 x 100 ms
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


def test_async_thresholds_follow_the_completion_objective_and_capacity() -> None:
    a = alarms_of(
        endpoint="async",
        slo={"completion_p90_seconds": 900},
        scaling={"min": 0, "max": 4, "backlog_per_instance": 4},
    )
    assert a.oldest_request_s == 900
    assert a.backlog_size == 32  # 4 instances x 4 per instance x 2
    assert alarms_of(endpoint="async", scaling={"min": 0, "max": 2}).oldest_request_s == 30 * 60


@pytest.mark.parametrize(
    ("endpoint", "key", "why"),
    [
        ("async", "latency_p90_seconds", "async tiers alarm on their queue"),
        ("async", "error_5xx_percent", "not on latency, error rates or disk"),
        ("async", "disk_percent", "not on latency, error rates or disk"),
        ("realtime", "oldest_request_minutes", "only for endpoint: async (tier is realtime)"),
        ("realtime", "backlog_size", "only for endpoint: async (tier is realtime)"),
        ("inference-components", "backlog_size", "only for endpoint: async (tier is inference-components)"),
        ("inference-components", "disk_percent", "they have no disk alarm"),
    ],
)
def test_a_threshold_for_an_alarm_the_tier_lacks_is_refused(endpoint: str, key: str, why: str) -> None:
    """The alarms each kind has (constructs.monitoring); a threshold for another is not ignored."""
    with pytest.raises(SpecError) as err:
        alarms_of(endpoint=endpoint, alarms={key: 10})
    (problem,) = err.value.problems
    assert problem.startswith(f"tiers[0].alarms.{key}: ") and why in problem
