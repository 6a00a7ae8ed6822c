"""Alarm thresholds in the plan: CloudWatch's units, derived from the SLO and the hardware."""

from typing import Any

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import parse_deployment


def alarms_of(**tier: Any) -> Any:
    data = {"name": "t", "tiers": [{"name": "a", "model": "deepseek-r1-distill-qwen-7b", **tier}]}
    return build_plan(parse_deployment(data)).tiers[0].alarms


def test_latency_threshold_is_the_slo_in_microseconds() -> None:
    assert alarms_of(slo={"p90_latency_seconds": 30}).latency_p90_us == 30_000_000
    assert alarms_of().latency_p90_us == 60_000_000  # no SLO: 60 s
    assert alarms_of(alarms={"latency_p90_seconds": 12.5}).latency_p90_us == 12_500_000


def test_gpu_memory_threshold_sits_above_the_engine_reservation_times_gpus() -> None:
    one = alarms_of(instance_type="ml.g6e.xlarge", max_context_tokens=8192)
    assert one.gpu_memory_percent_total == 95  # vLLM reserves 90%; alarm 5 points above
    eight = alarms_of(
        model="deepseek-r1-distill-llama-70b", instance_type="ml.g6e.48xlarge", gpu_memory_utilization=0.92
    )
    assert eight.gpu_memory_percent_total == 97 * 8
    custom = alarms_of(
        alarms={"gpu_memory_percent": 98}, instance_type="ml.g6e.xlarge", max_context_tokens=8192
    )
    assert custom.gpu_memory_percent_total == 98


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
