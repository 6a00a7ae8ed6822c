"""How long an answer each route of the router can carry for a tier, from its objectives.

A buffered request (POST /invoke) must finish within the router's 25 s; a streamed one
(POST /stream) within API Gateway's 15 minutes. A tier that meets its objectives delivers
its first token within the TTFT objective and every next one within the TPOT objective, so
the longest answer a route carries is (the route's time - TTFT) / TPOT, and never more than
the context leaves for an answer. A default max_tokens is lowered to it; an answer cut there
says so (finish_reason "length", and the router names POST /stream).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deepseek_cdk.runtime.router.contract import BUFFERED_SECONDS, STREAM_SECONDS


@dataclass(frozen=True)
class AnswerLimits:
    """The longest answer each router route takes on a tier, and how it follows from the TPOT."""

    tokens_per_second_per_sequence: float  # at the TPOT objective
    buffered_max_tokens: int  # POST /invoke refuses longer answers on this tier
    stream_max_tokens: int  # POST /stream refuses longer answers on this tier
    derivation: str


def answer_limits(*, ttft_s: float, tpot_ms: float, context_tokens: int) -> AnswerLimits:
    rate = 1000 / tpot_ms
    longest = context_tokens - 1

    def within(seconds: int) -> int:
        return max(1, min(longest, math.floor((seconds - ttft_s) * rate)))

    return AnswerLimits(
        tokens_per_second_per_sequence=rate,
        buffered_max_tokens=within(BUFFERED_SECONDS),
        stream_max_tokens=within(STREAM_SECONDS),
        derivation=(
            f"({BUFFERED_SECONDS} s buffered or {STREAM_SECONDS} s streamed - TTFT {ttft_s:g} s) / TPOT "
            f"{tpot_ms:g} ms, at most {longest} (the context)"
        ),
    )
