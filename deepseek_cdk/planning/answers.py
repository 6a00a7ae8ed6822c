"""How long an answer each route of the router can carry for a tier, from its throughput.

A buffered request (POST /invoke) must finish within the router's 25 s; a streamed one
(POST /stream) within API Gateway's 15 minutes. At a full batch one sequence decodes at the
instance's throughput divided by `max_concurrency`. Half of each time window is kept for
queueing, prefill, and the throughput estimate's error (within 30% of published vLLM
measurements, untested on the distills): the longest answer is that sequence rate x half the
window, and never more than the context leaves for an answer. These are estimates from the
plan's throughput; a measured `max_rps` does not change them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deepseek_cdk.planning.throughput import Throughput
from deepseek_cdk.runtime.router.contract import BUFFERED_SECONDS, STREAM_SECONDS

TIME_SHARE_FOR_DECODING = 0.5


@dataclass(frozen=True)
class AnswerLimits:
    tokens_per_second_per_sequence: float
    buffered_max_tokens: int  # POST /invoke refuses longer answers on this tier
    stream_max_tokens: int  # POST /stream refuses longer answers on this tier
    derivation: str


def answer_limits(throughput: Throughput, *, max_concurrency: int, context_tokens: int) -> AnswerLimits:
    rate = throughput.tokens_per_second / max_concurrency
    longest = context_tokens - 1

    def within(seconds: int) -> int:
        return max(1, min(longest, math.floor(rate * seconds * TIME_SHARE_FOR_DECODING)))

    return AnswerLimits(
        tokens_per_second_per_sequence=rate,
        buffered_max_tokens=within(BUFFERED_SECONDS),
        stream_max_tokens=within(STREAM_SECONDS),
        derivation=(
            f"~{rate:.0f} tokens/s per sequence at a full batch ({max_concurrency}) x "
            f"{TIME_SHARE_FOR_DECODING:g} of {BUFFERED_SECONDS} s (buffered) or {STREAM_SECONDS} s "
            f"(streamed), at most {longest} (the context)"
        ),
    )
