"""Published decode measurements that the throughput model is held to (tests/unit/
test_calibration.py: every point within 30%).

Each point is a time per output token (TPOT, the gap between two tokens of one request)
measured with vLLM, the engine LMI runs, at the batch the engine really decoded;
`context_tokens` is the average number of tokens a request holds while decoding (its input
plus half its output).

Sources:
- GPUSTACK: gpustack/gpustack docs/performance-lab/deepseek-r1/h200.md (1f37f1b8,
  2026-01-06): DeepSeek-R1-0528 FP8 on 8 x H200, vLLM 0.11.0, max concurrency 4, ShareGPT
  (mean 228 input / 213 output tokens), mean TPOT 19.4 ms.
- LAMBDA: LambdaLabsML/vllm-benchmark results/prompt_{10,40}/1xA100-80GB-SXM and
  1xH100-80GB-SXM/Meta-Llama-3-8B-Instruct_tp1_*.json (a9b42a5f, a4f9f437; run 2024-09-07):
  bf16, one GPU, bursts of 10 and 40 ShareGPT prompts (means about 140-215 input and 195
  output tokens), median TPOT. A burst's requests finish at different times, so the batch
  the engine decoded is taken from Little's law: output tokens/s x TPOT (A100: 227 x 12.0 ms
  = 2.7 and 786 x 15.3 ms = 12.0; H100: 348 x 7.6 ms = 2.6 and 1,294 x 8.8 ms = 11.4).
  Meta's Llama-3-8B has the architecture of DeepSeek-R1-Distill-Llama-8B (its base,
  Llama-3.1-8B: same layers, heads and width), which stands in for it here.

Not held to:
- The same repository's bursts of 320 prompts: their TPOT is dominated by the prefill of the
  burst (3.7 s before the first gap), which a decode step model does not describe.
- SGLang measurements of R1 on 8 x H200 (SemiAnalysisAI/InferenceX issue 870, 2026-03-05),
  30-70% faster than vLLM at low concurrency: another engine.
So every point is memory-bound: the compute term of the model (and its efficiency) is
untested by measurement.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    name: str
    model: str  # catalog key of the model (or of its architecture twin, see the source)
    gpu: str  # catalog GPU name
    gpu_count: int
    concurrency: int
    context_tokens: int
    tpot_ms: float
    source: str


MEASUREMENTS = (
    Measurement("R1 vLLM 8xH200 batch 4", "deepseek-r1-0528", "NVIDIA H200", 8, 4, 335, 19.4, "GPUSTACK"),
    Measurement(
        "Llama-8B vLLM A100 batch 3",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA A100 80GB",
        1,
        3,
        240,
        12.0,
        "LAMBDA",
    ),
    Measurement(
        "Llama-8B vLLM A100 batch 12",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA A100 80GB",
        1,
        12,
        310,
        15.3,
        "LAMBDA",
    ),
    Measurement(
        "Llama-8B vLLM H100 batch 3", "deepseek-r1-distill-llama-8b", "NVIDIA H100", 1, 3, 240, 7.6, "LAMBDA"
    ),
    Measurement(
        "Llama-8B vLLM H100 batch 11",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA H100",
        1,
        11,
        310,
        8.8,
        "LAMBDA",
    ),
)
