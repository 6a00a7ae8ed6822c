"""Published decode measurements that the throughput model is held to (tests/unit/
test_calibration.py: every point within 30%).

Each point is a time per output token (TPOT, the gap between two tokens of one request)
measured with vLLM, the engine LMI runs, at a stated concurrency; `context_tokens` is the
average number of tokens a request holds while decoding (its input plus half its output).

Sources:
- GPUSTACK: gpustack/gpustack docs/performance-lab/deepseek-r1/h200.md (1f37f1b8,
  2026-01-06): DeepSeek-R1-0528 FP8 on 8 x H200, vLLM 0.11.0, max concurrency 4, ShareGPT
  (mean 228 input / 213 output tokens), mean TPOT 19.4 ms.
- LAMBDA: LambdaLabsML/vllm-benchmark results/prompt_{10,40,320}/1xA100-80GB-SXM and
  1xH100-80GB-SXM/Meta-Llama-3-8B-Instruct_tp1_*.json (a9b42a5f, a4f9f437; run 2024-09-07):
  bf16, one GPU, bursts of 10, 40 and 320 ShareGPT prompts (means about 140-215 input and
  195-205 output tokens), median TPOT. The engine caps a batch at 256 sequences. Meta's
  Llama-3-8B has the architecture of DeepSeek-R1-Distill-Llama-8B (its base is Llama-3.1-8B:
  same layers, heads and width), which stands in for it here.

Not held to: SGLang measurements of R1 on 8 x H200 (SemiAnalysisAI/InferenceX issue 870,
2026-03-05), 30-70% faster than vLLM at low concurrency. They are another engine.
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
    Measurement("R1 vLLM 8xH200 c4", "deepseek-r1-0528", "NVIDIA H200", 8, 4, 335, 19.4, "GPUSTACK"),
    Measurement(
        "Llama-8B vLLM A100 c10",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA A100 80GB",
        1,
        10,
        240,
        12.0,
        "LAMBDA",
    ),
    Measurement(
        "Llama-8B vLLM A100 c40",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA A100 80GB",
        1,
        40,
        310,
        15.3,
        "LAMBDA",
    ),
    Measurement(
        "Llama-8B vLLM A100 c256",
        "deepseek-r1-distill-llama-8b",
        "NVIDIA A100 80GB",
        1,
        256,
        305,
        40.9,
        "LAMBDA",
    ),
    Measurement(
        "Llama-8B vLLM H100 c10", "deepseek-r1-distill-llama-8b", "NVIDIA H100", 1, 10, 240, 7.6, "LAMBDA"
    ),
    Measurement(
        "Llama-8B vLLM H100 c40", "deepseek-r1-distill-llama-8b", "NVIDIA H100", 1, 40, 310, 8.8, "LAMBDA"
    ),
    Measurement(
        "Llama-8B vLLM H100 c256", "deepseek-r1-distill-llama-8b", "NVIDIA H100", 1, 256, 305, 20.0, "LAMBDA"
    ),
)
