"""How fast one instance decodes: a step model calibrated against published vLLM
measurements (deepseek_cdk.catalog.calibration; a test holds every point within 30%).

One decoding step produces a token for each of `batch` sequences. It takes the longer of
- memory time: the bytes the step reads (dense weights, for MoE the experts the batch's
  tokens touch, and every sequence's KV cache) / (GPUs x bandwidth x MEMORY_EFFICIENCY);
- compute time: 2 x active parameters x batch / (GPUs x dense TFLOPS x COMPUTE_EFFICIENCY);
plus a fixed cost per step (kernel launches, sampling, scheduling) and, across several GPUs,
two all-reduces per layer. Prefill is compute-bound and interrupts decoding once per request.
Everything here is an estimate; `deepseek-cdk plan` says so where it prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import MODELS, InstanceSpec, ModelSpec
from deepseek_cdk.catalog.calibration import MEASUREMENTS, Measurement
from deepseek_cdk.catalog.instances import GPUS, GpuModel
from deepseek_cdk.planning.sizing import MemoryFit, kv_replicas
from deepseek_cdk.spec import TrafficProfile

# Fitted to the vLLM measurements (every point within 30%); all of them are memory-bound.
MEMORY_EFFICIENCY = 0.8  # share of peak HBM bandwidth a decoding step sustains
COMPUTE_EFFICIENCY = 0.3  # share of dense tensor TFLOPS a decoding step sustains: untested
STEP_OVERHEAD_S = 0.003
ALL_REDUCE_S = 100e-6  # one all-reduce across the instance's GPUs, two per layer
PREFILL_EFFICIENCY = 0.5  # prefill runs large matrix products: an estimate, not calibrated
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
    """Seconds one decoding step takes for `batch` sequences holding `context_tokens` each."""
    read = (
        model.weight_bytes_per_step(batch) + batch * context_tokens * model.kv_bytes_per_token * kv_replicas
    )
    memory_s = read / (gpu_count * gpu.bandwidth_gb_s * 1e9 * MEMORY_EFFICIENCY)
    active = model.active_parameters or model.parameters
    compute_s = 2 * active * batch / (gpu_count * gpu.tflops(model.dtype) * 1e12 * COMPUTE_EFFICIENCY)
    communication_s = 2 * model.layers * ALL_REDUCE_S if gpu_count > 1 else 0.0
    return max(memory_s, compute_s) + STEP_OVERHEAD_S + communication_s


def prefill_seconds(model: ModelSpec, gpu: GpuModel, gpu_count: int, tokens: int) -> float:
    active = model.active_parameters or model.parameters
    return 2 * active * tokens / (gpu_count * gpu.tflops(model.dtype) * 1e12 * PREFILL_EFFICIENCY)


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
    lengths: each request's `tokens_out` steps, plus one prefill per request admitted."""
    tokens_in, tokens_out = lengths(traffic)
    step = _step_at(model, instance, fit, concurrency, context_tokens, tokens_in, tokens_out)
    prefill = prefill_seconds(model, instance.gpu, instance.gpu_count, tokens_in)
    # Per `tokens_out` steps every one of the `concurrency` slots finishes and admits a request.
    cycle_s = tokens_out * step + concurrency * prefill
    tokens_per_second = concurrency * tokens_out / cycle_s
    return Throughput(
        tokens_per_second=tokens_per_second,
        requests_per_second=tokens_per_second / tokens_out,
        basis=(
            f"estimate: {concurrency} sequences, {tokens_in} tokens in / {tokens_out} out, "
            f"{instance.gpu_count} x {instance.gpu.name}; a step model calibrated on vLLM measurements"
        ),
    )


def estimated_tpot_ms(point: Measurement) -> float:
    """The model's time per output token for a calibration point's model, GPUs and batch."""
    model = MODELS[point.model]
    return 1000 * decode_step_seconds(
        model,
        GPUS[point.gpu],
        point.gpu_count,
        batch=point.concurrency,
        context_tokens=point.context_tokens,
        kv_replicas=kv_replicas(model, point.gpu_count),
    )


def within_context(tokens_out: int, tokens_in: int, context_tokens: int) -> int:
    """The output a request can write: the engine stops it at the context."""
    return min(tokens_out, max(1, context_tokens - tokens_in))


def p90_output_tokens(traffic: TrafficProfile | None, context_tokens: int) -> int:
    """The output of the request at the 90th percentile, within the context: the traffic's
    when given (a heavy tail may put it below the average), else P90_OUTPUT_RATIO x the
    average."""
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
        instance.gpu_count,
        batch=concurrency,
        context_tokens=min(context_tokens, tokens_in + tokens_out // 2),
        kv_replicas=fit.kv_replicas,
    )


def calibration_table() -> str:
    """The model against every calibration point, as a Markdown table (the README's)."""
    rows = [
        "| Measurement | Batch | Context | Measured TPOT | Estimate | Ratio | Source |",
        "|---|---|---|---|---|---|---|",
    ]
    for point in MEASUREMENTS:
        estimate_ms = estimated_tpot_ms(point)
        rows.append(
            f"| {point.name} | {point.concurrency} | {point.context_tokens} | {point.tpot_ms:g} ms | "
            f"{estimate_ms:.1f} ms | {estimate_ms / point.tpot_ms:.2f} | {point.source} |"
        )
    return "\n".join(rows) + "\n"
