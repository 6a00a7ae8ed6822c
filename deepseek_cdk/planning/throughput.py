"""How fast one instance decodes and answers first: a step model calibrated against
published measurements (deepseek_cdk.catalog.calibration; tests/unit/test_calibration.py
holds every point to its tolerance).

One decoding step produces a token for each of `batch` sequences. Its kernels run one after
another, so their times add:
- the matrix multiplications take the longer of reading the weights (dense weights, for MoE
  the experts the batch's tokens touch) / (GPUs x bandwidth x MEMORY_EFFICIENCY) and their
  arithmetic, 2 x active parameters x batch / (GPUs x dense TFLOPS x COMPUTE_EFFICIENCY): a
  small batch waits on memory, a large one on the tensor cores;
- attention reads every sequence's KV cache, at the same share of the bandwidth: it grows
  with batch x context and is not hidden behind the multiplications' arithmetic;
plus a fixed cost per step (kernel launches, sampling, scheduling) and, across several GPUs,
two all-reduces per layer over the instance's interconnect (catalog.instances: NVLink or
PCIe, a latency and the payload over the link). While the weights bound the step (every
calibration point below batch 90) it is the memory time alone; past the batch where the
arithmetic overtakes the weights (about 65 sequences for an 8B model on an A100, 50 on an
A10G, 125 on an H100) each added sequence costs its arithmetic and its KV cache in full.

Prefill (time to first token) runs the prompt through the model in passes of at most the
engine's per-step token budget (the `batched_tokens` the plan gives the container): the
longer of compute (2 x active parameters per token at PREFILL_EFFICIENCY) and reading the
weights the pass touches, its all-reduces, and a fixed cost per pass (scheduling, kernels run
without CUDA graphs), which dominates short prompts and is far larger for the MoE model:
PREFILL_PASS_S. Decoding is interrupted by the busy part only (planning.service_levels).
Everything here is an estimate; `deepseek-cdk plan` says so where it prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import MODELS, InstanceSpec, ModelSpec
from deepseek_cdk.catalog.calibration import FIRST_TOKENS, HELD_OUT, MEASUREMENTS, FirstToken, Measurement
from deepseek_cdk.catalog.instances import GPUS, GpuModel
from deepseek_cdk.planning.container_env import LMI_BATCHED_TOKENS
from deepseek_cdk.planning.sizing import MemoryFit, kv_replicas
from deepseek_cdk.spec import TrafficProfile

# Fitted to catalog.calibration (every distill point within 30%, see docs/sizing.md's table).
# MEMORY_EFFICIENCY and STEP_OVERHEAD_S rest on the batch-1 to batch-12 points, which the
# weights bound. COMPUTE_EFFICIENCY rests on the three points whose multiplications the
# arithmetic bounds: vLLM 0.6.0 at its full batch of 256 (Llama-8B on one A100, Llama-70B on
# four H100s, calibration's SGLANG060) and SGLang 0.5.6 at 90 requests (Llama-70B on eight
# A100s, SGLANG_COOKBOOK). They pull apart (the A100 run at 256 wants more, the other two
# less), and 0.32 is the value whose worst of the three is least off: estimates 1.21, 0.95 and
# 0.82 x measured. At the former 0.5, and with attention hidden behind the arithmetic, the
# estimated time per token at full batch was 0.86, 0.76 and 0.73 x measured (throughput
# 1.2-1.4x too high). A per-sequence scheduling cost (0.04 ms a sequence at best) was tried
# beside it: the worst distill point moved from 0.20 to 0.19 off only with STEP_OVERHEAD_S and
# the attention's share of the bandwidth refitted too, so it is left out.
MEMORY_EFFICIENCY = 0.75  # share of peak HBM bandwidth a decoding step sustains
COMPUTE_EFFICIENCY = 0.32  # share of dense tensor TFLOPS a decoding step's multiplications sustain
STEP_OVERHEAD_S = 0.0015  # per decoding step (vLLM 0.6's multi-step scheduling, SGLang)
ALL_REDUCES_PER_LAYER = 2  # after attention and after the MLP (or the experts)
ACTIVATION_BYTES = 2  # bf16 activations in the all-reduces
PREFILL_EFFICIENCY = 0.6  # share of dense TFLOPS a prefill pass sustains (burst TTFTs)
# A prefill pass's fixed cost: dense models from vLLM's 10-prompt bursts (LAMBDA), the MoE
# model from SGLang's R1 TTFT at concurrency 8-64 (INFERENCEX: 330-420 ms for 1,024 tokens,
# where compute alone is about 10 ms).
PREFILL_PASS_S = {"dense": 0.03, "moe": 0.3}
DEFAULT_INPUT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 1000
# A latency SLO is on the p90, and the p90 request writes more than the average one. In
# Microsoft's Azure LLM inference traces (Azure/AzurePublicDataset, data/AzureLLMInference
# Trace_{conv,code}.csv, 2023), the 90th percentile of GeneratedTokens is 2.01 x its mean in
# the conversation trace (19,366 requests: mean 211, p90 424) and 1.97 x in the code trace
# (8,819 requests: mean 28, p90 55). Without `traffic.p90_output_tokens` the plan assumes 2.
P90_OUTPUT_RATIO = 2.0


@dataclass(frozen=True)
class Throughput:
    """Estimated steady decode throughput of one instance at full batch."""

    tokens_per_second: float
    requests_per_second: float
    basis: str


def decode_step_seconds(
    model: ModelSpec,
    gpu: GpuModel,
    gpu_count: int,
    *,
    batch: int,
    context_tokens: int,
    kv_replicas: int,
) -> float:
    """Seconds one decoding step takes for `batch` sequences holding `context_tokens` each:
    the multiplications (weights or arithmetic, whichever is longer), then attention over the
    KV cache, the fixed cost and the all-reduces."""
    bandwidth = gpu_count * gpu.bandwidth_gb_s * 1e9 * MEMORY_EFFICIENCY
    weights_s = model.weight_bytes_per_step(batch) / bandwidth
    compute_s = _compute_s(model, gpu, gpu_count, batch, COMPUTE_EFFICIENCY)
    attention_s = batch * context_tokens * model.kv_bytes_per_token * kv_replicas / bandwidth
    return (
        max(weights_s, compute_s)
        + attention_s
        + STEP_OVERHEAD_S
        + _all_reduces_s(model, gpu, gpu_count, batch)
    )


def arithmetic_bound(model: ModelSpec, gpu: GpuModel, gpu_count: int, batch: int) -> bool:
    """Whether a step of `batch` sequences waits on the tensor cores rather than on reading the
    weights: the regime COMPUTE_EFFICIENCY describes."""
    weights_s = model.weight_bytes_per_step(batch) / (
        gpu_count * gpu.bandwidth_gb_s * 1e9 * MEMORY_EFFICIENCY
    )
    return _compute_s(model, gpu, gpu_count, batch, COMPUTE_EFFICIENCY) > weights_s


def _compute_s(model: ModelSpec, gpu: GpuModel, gpu_count: int, tokens: int, efficiency: float) -> float:
    active = model.active_parameters or model.parameters
    return 2 * active * tokens / (gpu_count * gpu.tflops(model.dtype) * 1e12 * efficiency)


def _all_reduces_s(model: ModelSpec, gpu: GpuModel, gpu_count: int, tokens: int) -> float:
    """One forward pass's all-reduces over `tokens` tokens' activations."""
    payload = tokens * model.hidden * ACTIVATION_BYTES
    return ALL_REDUCES_PER_LAYER * model.layers * gpu.interconnect.all_reduce_s(gpu_count, payload)


def prefill_busy_seconds(
    model: ModelSpec, gpu: GpuModel, gpu_count: int, tokens: int, *, batched_tokens: int = LMI_BATCHED_TOKENS
) -> float:
    """The GPUs' time prefilling `tokens`, in passes of at most `batched_tokens`: what
    interrupts decoding."""
    busy = 0.0
    for start in range(0, max(1, tokens), batched_tokens):
        chunk = min(batched_tokens, tokens - start) or 1
        weights_s = model.weight_bytes_per_step(chunk) / (
            gpu_count * gpu.bandwidth_gb_s * 1e9 * MEMORY_EFFICIENCY
        )
        compute_s = _compute_s(model, gpu, gpu_count, chunk, PREFILL_EFFICIENCY)
        busy += max(weights_s, compute_s) + _all_reduces_s(model, gpu, gpu_count, chunk)
    return busy


def prefill_seconds(
    model: ModelSpec, gpu: GpuModel, gpu_count: int, tokens: int, *, batched_tokens: int = LMI_BATCHED_TOKENS
) -> float:
    """Time from a prompt's admission to its first token: the busy time and each pass's fixed
    cost."""
    passes = max(1, -(-tokens // batched_tokens))
    fixed = PREFILL_PASS_S["moe" if model.routed_experts else "dense"]
    return passes * fixed + prefill_busy_seconds(model, gpu, gpu_count, tokens, batched_tokens=batched_tokens)


def estimate_throughput(
    model: ModelSpec,
    instance: InstanceSpec,
    fit: MemoryFit,
    *,
    concurrency: int,
    context_tokens: int,
    traffic: TrafficProfile | None,
) -> Throughput:
    """One instance at a full batch of `concurrency` requests of the traffic's (or default)
    lengths on each of its model copies (fit.copies, each on fit.tensor_parallel_degree GPUs):
    each request's `tokens_out` steps, plus one prefill per request admitted."""
    tokens_in, tokens_out = lengths(traffic)
    gpus = fit.tensor_parallel_degree
    step = _step_at(model, instance, fit, concurrency, context_tokens, tokens_in, tokens_out)
    prefill = prefill_busy_seconds(model, instance.gpu, gpus, tokens_in, batched_tokens=fit.batched_tokens)
    # Per `tokens_out` steps every one of the `concurrency` slots finishes and admits a request.
    cycle_s = tokens_out * step + concurrency * prefill
    tokens_per_second = fit.copies * concurrency * tokens_out / cycle_s
    where = (
        f"{instance.gpu_count} x {instance.gpu.name}"
        if fit.copies == 1
        else f"{fit.copies} copies, each on {gpus} x {instance.gpu.name}"
    )
    return Throughput(
        tokens_per_second=tokens_per_second,
        requests_per_second=tokens_per_second / tokens_out,
        basis=(
            f"estimate: {concurrency} sequences, {tokens_in} tokens in / {tokens_out} out, "
            f"{where}; a step model calibrated on vLLM and SGLang measurements"
        ),
    )


def estimated_tpot_ms(point: Measurement) -> float:
    """The model's time per output token for a calibration point's model, GPUs and batch: one
    step, and where the point names its requests' lengths, the prefills that interrupt it
    (planning.service_levels' tpot_s)."""
    model, gpu = MODELS[point.model], GPUS[point.gpu]
    step = decode_step_seconds(
        model,
        gpu,
        point.gpu_count,
        batch=point.concurrency,
        context_tokens=point.context_tokens,
        kv_replicas=kv_replicas(model, point.gpu_count),
    )
    if point.prompt_tokens:
        prefill = prefill_busy_seconds(model, gpu, point.gpu_count, point.prompt_tokens)
        step += point.concurrency * prefill / point.output_tokens
    return 1000 * step


def estimated_ttft_ms(point: FirstToken) -> float:
    """The model's time to first token for a first-token point: the pass over its prompt
    tokens, then one step of the batch beside it (planning.service_levels' first_token_s)."""
    model, gpu = MODELS[point.model], GPUS[point.gpu]
    step = decode_step_seconds(
        model,
        gpu,
        point.gpu_count,
        batch=point.concurrency,
        context_tokens=point.prompt_tokens,
        kv_replicas=kv_replicas(model, point.gpu_count),
    )
    return 1000 * (prefill_seconds(model, gpu, point.gpu_count, point.prompt_tokens) + step)


def within_context(tokens_out: int, tokens_in: int, context_tokens: int) -> int:
    """The output a request can write: the engine stops it at the context."""
    return min(tokens_out, max(1, context_tokens - tokens_in))


def p90_output_tokens(traffic: TrafficProfile | None, context_tokens: int) -> int:
    """The output of the request at the 90th percentile, within the context: the traffic's
    when given (never below the average: spec.rules._length_problems says why), else
    P90_OUTPUT_RATIO x the average."""
    tokens_in, average_out = lengths(traffic)
    given = traffic.p90_output_tokens if traffic is not None else None
    p90 = given if given is not None else round(P90_OUTPUT_RATIO * average_out)
    return within_context(p90, tokens_in, context_tokens)


def lengths(traffic: TrafficProfile | None) -> tuple[int, int]:
    """A request's input and output tokens: the traffic's averages, else the defaults."""
    if traffic is None:
        return DEFAULT_INPUT_TOKENS, DEFAULT_OUTPUT_TOKENS
    return traffic.avg_input_tokens, traffic.avg_output_tokens


def _step_at(
    model: ModelSpec,
    instance: InstanceSpec,
    fit: MemoryFit,
    concurrency: int,
    context_tokens: int,
    tokens_in: int,
    tokens_out: int,
) -> float:
    """The step time with `concurrency` requests each half-way through its output."""
    return decode_step_seconds(
        model,
        instance.gpu,
        fit.tensor_parallel_degree,
        batch=concurrency,
        context_tokens=min(context_tokens, tokens_in + tokens_out // 2),
        kv_replicas=fit.kv_replicas,
    )


def calibration_table() -> str:
    """The model against every calibration point, as a Markdown table (the README's): decode
    points, first-token points, then the held-out ones."""
    rows = [
        "| Measurement | Kind | Engine | Batch | Tokens | Measured | Estimate | Ratio | Source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    decode = [(p, "TPOT", p.context_tokens, p.tpot_ms, estimated_tpot_ms(p)) for p in MEASUREMENTS]
    first = [(p, "TTFT", p.prompt_tokens, p.ttft_ms, estimated_ttft_ms(p)) for p in FIRST_TOKENS]
    held = [(p, "TPOT, held out", p.context_tokens, p.tpot_ms, estimated_tpot_ms(p)) for p in HELD_OUT]
    for point, kind, tokens, measured, estimate in decode + first + held:
        rows.append(
            f"| {point.name} | {kind} | {point.engine} | {point.concurrency} | {tokens} | {measured:g} ms | "
            f"{estimate:.1f} ms | {estimate / measured:.2f} | {point.source} |"
        )
    return "\n".join(rows) + "\n"
