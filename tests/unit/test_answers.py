"""The longest answer each router route carries, from the tier's TTFT and TPOT objectives."""

import math

from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.answers import answer_limits
from deepseek_cdk.runtime.router.contract import BUFFERED_SECONDS, STREAM_SECONDS
from deepseek_cdk.spec import parse_deployment


def test_a_route_carries_what_the_objectives_deliver_in_its_time() -> None:
    limits = answer_limits(ttft_s=2, tpot_ms=100, context_tokens=32768)
    assert limits.tokens_per_second_per_sequence == 10
    assert limits.buffered_max_tokens == math.floor((BUFFERED_SECONDS - 2) * 10) == 230
    assert limits.stream_max_tokens == math.floor((STREAM_SECONDS - 2) * 10) == 8980


def test_no_answer_is_longer_than_the_context_leaves() -> None:
    limits = answer_limits(ttft_s=0.5, tpot_ms=1, context_tokens=4096)
    assert limits.buffered_max_tokens == 4095 and limits.stream_max_tokens == 4095


def test_a_slower_objective_means_shorter_answers_and_never_none() -> None:
    fast = answer_limits(ttft_s=1, tpot_ms=20, context_tokens=32768)
    slow = answer_limits(ttft_s=1, tpot_ms=200, context_tokens=32768)
    assert slow.buffered_max_tokens < fast.buffered_max_tokens
    # never 0: the router would refuse everything
    assert answer_limits(ttft_s=30, tpot_ms=10_000, context_tokens=32768).buffered_max_tokens == 1


def test_the_plan_sizes_the_routes_from_the_tiers_objectives() -> None:
    data = {
        "name": "t",
        "tiers": [
            {
                "name": "a",
                "model": "deepseek-r1-distill-qwen-7b",
                "slo": {"ttft_p90_seconds": 1, "tpot_p90_ms": 50},
            }
        ],
    }
    tier = build_plan(parse_deployment(data)).tiers[0]
    assert tier.answers.buffered_max_tokens == (BUFFERED_SECONDS - 1) * 20
    assert tier.answers.stream_max_tokens == (STREAM_SECONDS - 1) * 20
