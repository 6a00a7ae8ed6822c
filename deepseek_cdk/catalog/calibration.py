"""Published measurements that the step model (planning.throughput) is held to
(tests/unit/test_calibration.py: every distill point within 30%; full R1 within 50% of its
band's midpoint, planning.uncertainty).

Two kinds of point:
- decode: a time per output token (TPOT, the gap between two tokens of one request) at the
  batch the engine really decoded; `context_tokens` is the average number of tokens a
  request holds while decoding (its input plus half its output). Where the engine admitted
  new requests while it decoded (a closed loop holding `concurrency` requests, or a run at
  its full batch), the point also names a request's average `prompt_tokens` and
  `output_tokens`, and the estimate counts the prefills that interrupt decoding, as the plan
  does (planning.service_levels: each answer token carries batch x one prompt's prefill /
  the average output);
- first token: a time to first token (TTFT) with `prompt_tokens` prefilled in the pass that
  answers first and `concurrency` requests decoding beside it.
The engine and its version are named on each point: they disagree (SGLang decodes full R1
about twice as fast as vLLM at low concurrency), and the plan prints the spread as a range.

Sources (the key each point names):
- GPUSTACK: gpustack/gpustack docs/performance-lab/deepseek-r1/h200.md (1f37f1b8,
  2026-01-06): DeepSeek-R1-0528 FP8 on 8 x H200, vLLM 0.11.0, max concurrency 4, ShareGPT
  (mean 228 input / 213 output tokens), mean TPOT 19.4 ms.
- LAMBDA: LambdaLabsML/vllm-benchmark results/prompt_{10,40}/<n>x{A100-80GB,H100-80GB}-SXM/
  Meta-Llama-3-{8B,70B}-Instruct_tp<n>_len{2000,2048}.json (commits a9b42a5f for A100,
  a4f9f437 for H100; run 2024-09-07, vLLM 0.6.0 per the repository's benchmark_v0.md): bf16,
  bursts of 10 and 40 ShareGPT prompts (1,369 and 8,595 input tokens; about 195 output tokens
  each), median TPOT and median TTFT. A burst's requests finish at different times, so the
  batch the engine decoded is taken from Little's law: output tokens/s x median TPOT (e.g.
  70B on 2 x H100, 40 prompts: 296.5 x 33.5 ms = 9.9). The ten prompts of a burst are
  prefilled in one pass (their TTFTs in the file are equal), so TTFT is one pass over 1,369
  tokens. Meta's Llama-3-8B and -70B have the architectures of DeepSeek-R1-Distill-Llama-8B
  and -70B (their bases Llama-3.1-8B and Llama-3.3-70B: same layers, heads and widths), which
  stand in for them here. NVLink (SXM boards) throughout.
- INFERENCEX: github.com/SemiAnalysisAI/InferenceX/issues/870 (comment of 2026-03-05):
  DeepSeek-R1-0528 FP8 on 8 x H200, SGLang 0.5.7, TP 8, 1,024 input / 1,024 output tokens
  (context while decoding 1,024 + 512), closed loop at concurrency 8, 16, 32, 64: mean TPOT
  12.8 / 17.2 / 25.6 / 34.6 ms, mean TTFT 330.6 / 356.0 / 426.5 / 423.1 ms.
- SGLANG060: sgl-project/sglang benchmark/benchmark_vllm_060/README.md (120affb9, read
  2026-12-07), "Offline benchmark results": vLLM 0.6.0 (`--num-scheduler-steps 10`,
  `--max_model_len 4096`), 5,000 ShareGPT prompts sent at once (sglang.bench_serving), bf16:
  Llama-3.1-8B-Instruct on 1 x A100 80G 4,132.37 output tokens/s at 21.27 requests/s;
  Llama-3.1-70B-Instruct on 4 x H100 80G (TP 4) 3,700.64 tokens/s at 19.04 requests/s, so
  194 output tokens a request. These are the engine's full batch: vLLM 0.6's V0 engine runs
  at most 256 sequences (vllm-project/vllm vllm/engine/arg_utils.py at 001999d2: max_num_seqs
  256 unless V1), its KV cache holds far more of these short requests, and 5,000 prompts keep
  it full for all but the tail. The time per output token a request sees is the batch over
  the throughput (256 / 4,132.37 = 61.95 ms; 256 / 3,700.64 = 69.18 ms), prefills included.
  The sampler's ShareGPT prompts average 224 tokens (448,102 input tokens for 2,000 prompts
  of the same sglang.bench_serving ShareGPT sample: datacrunch-research/h200-benchmarks
  sglang/outputs/llama_3_3_70b_offline_output.jsonl at c091ef53). SGLang 0.3.0's figures on
  the same page state no batch and are not used.
- SGLANG_COOKBOOK: sgl-project/sglang docs_new/cookbook/autoregressive/Llama/Llama3.1.mdx
  (0fbab45d, read 2026-12-07), "Speed Benchmark": SGLang 0.5.6, Llama-3.1-70B bf16 on 8 x A100
  (TP 8), sglang.bench_serving random prompts in a closed loop (`--max-concurrency` 1, 16, 100
  and 1, 16, 64), lengths drawn uniformly up to 1,000 in / 1,000 out and 8,000 in / 1,000
  out. The tool prints the mean number of requests in flight ("Concurrency"), taken as the
  batch (rounded): 1.00, 13.47, 89.70 at 1K prompts with mean TPOT 18.63 / 26.09 / 47.19 ms;
  1.00, 14.18, 60.01 at 8K prompts with 18.80 / 36.94 / 74.95 ms. Each point's average prompt
  and output are its run's totals over its requests (e.g. 249,831 and 252,662 tokens for 500
  requests at 100). The page does not say which A100: the 80 GB board is taken, since the
  batch-1 TPOT of 18.6 ms is below what the model gives the 40 GB one (about 24 ms, against 20
  for 80 GB). Llama-3.1-70B has Llama-3.3-70B's (and so Distill-Llama-70B's) architecture.

Held out (not fitted; tests/unit/test_calibration.py checks them to the same tolerance):
- LAMBDA 70B on 8 x A100, 40 prompts (prompt_40/8xA100-80GB-SXM/Meta-Llama-3-70B-Instruct_
  tp8_len2000.json @ a9b42a5f): 422.7 tokens/s x 25.4 ms = batch 10.7, TPOT 25.4 ms.
- SGLANG_COOKBOOK's three runs with 8K prompts (batch 1, 14 and 60): long contexts, whose KV
  cache attention reads, and prefills of 4,000 tokens interrupting the batch.

Not held to:
- The same repository's bursts of 320 prompts: their TPOT is dominated by the prefill of the
  burst (3.7 s before the first gap), which a decode step model does not describe.
- GPUSTACK's bursts of 1,000 prompts (TTFT 7-18 s): queueing, not the model.
- SGLANG_COOKBOOK's TTFTs: the runs at 16 and more requests queue prompts behind each other's
  prefills, which a first-token point does not describe.
- A10G, L4 and L40S: nothing was found with the engine, the batch and TPOT all stated. A
  2 x A10G vLLM run (github.com/arc53/llm-price-compass/issues/6) gives throughput only, and
  llmperf's comparisons on g5 instances count tokens with the Llama-2 tokenizer, not the
  model's, so their inter-token latency is not a TPOT. Tiers on these GPUs plan on the whole
  set's spread (planning.uncertainty).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    """A decode point: TPOT at a batch."""

    name: str
    model: str  # catalog key of the model (or of its architecture twin, see the source)
    gpu: str  # catalog GPU name
    gpu_count: int
    concurrency: int
    context_tokens: int
    tpot_ms: float
    engine: str
    source: str
    # A request's average prompt and output where prefills interrupted the measured decoding
    # (closed loops and full batches); 0: none counted.
    prompt_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class FirstToken:
    """A first-token point: TTFT with `prompt_tokens` prefilled in one pass."""

    name: str
    model: str
    gpu: str
    gpu_count: int
    prompt_tokens: int
    concurrency: int
    ttft_ms: float
    engine: str
    source: str


_A100 = "NVIDIA A100 80GB"
_H100 = "NVIDIA H100"
_H200 = "NVIDIA H200"
_L8 = "deepseek-r1-distill-llama-8b"
_L70 = "deepseek-r1-distill-llama-70b"
_R1 = "deepseek-r1-0528"
_VLLM06 = "vLLM 0.6.0"
_SGLANG = "SGLang 0.5.7"
_SGLANG056 = "SGLang 0.5.6"


def _lambda(model: str, gpu: str, gpus: int, batch: int, tpot_ms: float) -> Measurement:
    size = "8B" if model == _L8 else "70B"
    board = "A100" if gpu == _A100 else "H100"
    context = 240 if batch <= 3 else 310  # 10-prompt bursts: 137 in + 105; 40: 215 in + 95
    return Measurement(
        f"Llama-{size} {gpus}x{board} batch {batch}",
        model,
        gpu,
        gpus,
        batch,
        context,
        tpot_ms,
        _VLLM06,
        "LAMBDA",
    )


def _full_batch(model: str, gpu: str, gpus: int, tokens_per_second: float) -> Measurement:
    """SGLANG060: vLLM 0.6.0 at its full batch of 256 ShareGPT requests (224 in, 194 out)."""
    size = "8B" if model == _L8 else "70B"
    board = "A100" if gpu == _A100 else "H100"
    batch = 256
    return Measurement(
        f"Llama-{size} {gpus}x{board} full batch {batch}",
        model,
        gpu,
        gpus,
        batch,
        224 + 194 // 2,
        round(1000 * batch / tokens_per_second, 2),
        _VLLM06,
        "SGLANG060",
        prompt_tokens=224,
        output_tokens=194,
    )


def _cookbook(batch: int, tpot_ms: float, prompt: int, output: int) -> Measurement:
    """SGLANG_COOKBOOK: Llama-70B on 8 x A100 in a closed loop of `batch` requests."""
    long = prompt > 2000
    return Measurement(
        f"Llama-70B 8xA100 at {batch}{', 8K prompts' if long else ''}",
        _L70,
        _A100,
        8,
        batch,
        prompt + output // 2,
        tpot_ms,
        _SGLANG056,
        "SGLANG_COOKBOOK",
        prompt_tokens=prompt,
        output_tokens=output,
    )


def _r1_sglang(batch: int, tpot_ms: float) -> Measurement:
    return Measurement(f"R1 8xH200 batch {batch}", _R1, _H200, 8, batch, 1536, tpot_ms, _SGLANG, "INFERENCEX")


MEASUREMENTS = (
    Measurement("R1 8xH200 batch 4", _R1, _H200, 8, 4, 335, 19.4, "vLLM 0.11.0", "GPUSTACK"),
    _r1_sglang(8, 12.8),
    _r1_sglang(16, 17.2),
    _r1_sglang(32, 25.6),
    _r1_sglang(64, 34.6),
    _lambda(_L8, _A100, 1, 3, 12.0),
    _lambda(_L8, _A100, 1, 12, 15.3),
    _lambda(_L8, _H100, 1, 3, 7.6),
    _lambda(_L8, _H100, 1, 11, 8.8),
    _lambda(_L8, _H100, 2, 11, 6.13),
    _lambda(_L8, _H100, 8, 3, 3.26),
    _lambda(_L70, _H100, 2, 3, 29.5),
    _lambda(_L70, _H100, 4, 3, 18.1),
    _lambda(_L70, _H100, 8, 3, 12.2),
    _lambda(_L70, _A100, 2, 3, 51.0),
    _lambda(_L70, _H100, 2, 10, 33.5),
    _lambda(_L70, _H100, 4, 10, 20.7),
    _lambda(_L70, _H100, 8, 11, 15.1),
    _lambda(_L70, _A100, 2, 10, 60.3),
    _lambda(_L70, _A100, 4, 10, 37.0),
    _full_batch(_L8, _A100, 1, 4132.37),
    _full_batch(_L70, _H100, 4, 3700.64),
    _cookbook(1, 18.63, 610, 422),
    _cookbook(13, 26.09, 496, 510),
    _cookbook(90, 47.19, 500, 505),
)


def _burst(model: str, gpu: str, gpus: int, ttft_ms: float) -> FirstToken:
    size = "8B" if model == _L8 else "70B"
    board = "A100" if gpu == _A100 else "H100"
    return FirstToken(
        f"Llama-{size} {gpus}x{board} 10 prompts", model, gpu, gpus, 1369, 10, ttft_ms, _VLLM06, "LAMBDA"
    )


def _r1_first(concurrency: int, ttft_ms: float) -> FirstToken:
    return FirstToken(
        f"R1 8xH200 at {concurrency}", _R1, _H200, 8, 1024, concurrency, ttft_ms, _SGLANG, "INFERENCEX"
    )


FIRST_TOKENS = (
    _r1_first(8, 330.6),
    _r1_first(16, 356.0),
    _r1_first(32, 426.5),
    _r1_first(64, 423.1),
    _burst(_L8, _H100, 1, 62.2),
    _burst(_L8, _H100, 8, 55.9),
    _burst(_L70, _H100, 2, 218.9),
    _burst(_L70, _H100, 4, 140.6),
    _burst(_L70, _H100, 8, 122.3),
    _burst(_L70, _A100, 2, 509.9),
)

HELD_OUT = (
    _lambda(_L70, _A100, 8, 11, 25.4),
    _cookbook(1, 18.80, 4194, 422),
    _cookbook(14, 36.94, 3750, 521),
    _cookbook(60, 74.95, 3981, 531),
)
