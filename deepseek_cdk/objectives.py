"""A tier's service-level objectives: what its users feel, at the 90th percentile.

One record that the planner fills from the spec (deepseek_cdk.planning.plan) and that every
reader takes as it is: the scaling target, the router's answer limits, the alarms, the
dashboard, `simulate` and `loadtest`. No AWS or CDK import.

Streams (real-time and inference-component tiers) are judged by time to first token (TTFT)
and time per output token (TPOT, the gap between streamed tokens), as serving benchmarks
judge them (MLPerf Inference, vLLM's and SGLang's benchmark scripts). Async tiers are judged
by completion time: from the router accepting the job to its result being written.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a chat product would choose: MLPerf Inference's server scenario for Llama-3.1-8B, the
# size of the R1 distills, bounds p99 TTFT at 2 s and p99 TPOT at 100 ms (mlcommons/inference
# @001712e9, loadgen/mlperf.conf: `llama3_1-8b.Server.ttft_latency = 2000`, `tpot_latency =
# 100`, `*.Server.target_latency_percentile = 99`; read 2026-12-07). Its DeepSeek-R1 server
# scenario uses 2000 and 80, its interactive one 1500 and 15. Here they bound the p90, a
# looser percentile than MLPerf's. 100 ms a token is 10 tokens a second, about twice as fast
# as people read.
DEFAULT_TTFT_P90_S = 2.0
DEFAULT_TPOT_P90_MS = 100.0
# Async: half an hour from acceptance to result, the alarm default this project always had
# for the oldest queued request.
DEFAULT_COMPLETION_P90_S = 1800.0
OBJECTIVES_SOURCE = "MLPerf Inference server scenario, Llama-3.1-8B (loadgen/mlperf.conf)"


@dataclass(frozen=True)
class Objectives:
    """p90 objectives of one tier. Streamed tiers set `ttft_p90_s` and `tpot_p90_ms`; async
    tiers set `completion_p90_s`. `source` says where the values came from."""

    ttft_p90_s: float | None = DEFAULT_TTFT_P90_S
    tpot_p90_ms: float | None = DEFAULT_TPOT_P90_MS
    completion_p90_s: float | None = None
    source: str = OBJECTIVES_SOURCE

    @property
    def streamed(self) -> bool:
        """Judged per token (TTFT and TPOT), not by completion time."""
        return self.ttft_p90_s is not None and self.tpot_p90_ms is not None

    def describe(self) -> str:
        if self.streamed:
            return f"p90 TTFT {self.ttft_p90_s:g} s, p90 TPOT {self.tpot_p90_ms:g} ms"
        return f"p90 completion {self.completion_p90_s:g} s"
