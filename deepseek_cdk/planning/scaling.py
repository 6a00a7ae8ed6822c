"""Scaling targets derived from the plan, never guessed, and the throughput estimate behind them.

Concurrency (the default): SageMaker's high-resolution ConcurrentRequestsPerModel counts
requests in the container, queued ones included, every 10 s. Target = the sequences one
instance batches (max_concurrency) x a target utilization (0.7): scaling starts before the
batch is full and requests queue.

Invocations: InvocationsPerInstance is a per-minute sum. Target = max requests/s per
instance x 60 x a safety factor (0.5), AWS's load-testing method (SageMaker developer guide,
endpoint-scaling-loadtest). Max requests/s must be measured (`max_rps` in the spec): the
throughput estimate below is not trusted to set it.

Throughput estimate: decoding is memory-bandwidth bound. One step produces one token for
each of the `concurrency` sequences and reads the active weights once plus every sequence's
KV cache, so step time = bytes read / (GPU bandwidth x efficiency). An estimate to start
from: measure, then put `max_rps` in the spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import InstanceSpec, ModelSpec
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.sizing import MemoryFit
from deepseek_cdk.spec import Tier, TrafficProfile

# Share of peak HBM bandwidth a serving engine sustains while decoding; an estimate.
DECODE_BANDWIDTH_EFFICIENCY = 0.6
DEFAULT_INPUT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 1000
PREDEFINED_METRICS = {
    (EndpointKind.REALTIME, "concurrency"): "SageMakerVariantConcurrentRequestsPerModelHighResolution",
    (EndpointKind.REALTIME, "invocations"): "SageMakerVariantInvocationsPerInstance",
    (
        EndpointKind.INFERENCE_COMPONENTS,
        "concurrency",
    ): "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
    (EndpointKind.INFERENCE_COMPONENTS, "invocations"): "SageMakerInferenceComponentInvocationsPerCopy",
}


@dataclass(frozen=True)
class Throughput:
    """Estimated steady decode throughput of one instance at full batch."""

    tokens_per_second: float
    requests_per_second: float
    basis: str


@dataclass(frozen=True)
class ScalingTarget:
    metric: str  # concurrency | invocations | backlog
    predefined_metric: str | None  # None: a customized metric (async backlog)
    target: float
    derivation: str


def estimate_throughput(
    model: ModelSpec,
    instance: InstanceSpec,
    fit: MemoryFit,
    *,
    concurrency: int,
    context_tokens: int,
    traffic: TrafficProfile | None,
) -> Throughput:
    tokens_in = traffic.avg_input_tokens if traffic else DEFAULT_INPUT_TOKENS
    tokens_out = traffic.avg_output_tokens if traffic else DEFAULT_OUTPUT_TOKENS
    # On average a sequence is half-way through its output.
    context_in_use = min(context_tokens, tokens_in + tokens_out // 2)
    kv_bytes = model.kv_bytes_per_token * fit.kv_replicas * concurrency * context_in_use
    bytes_per_step = model.active_weight_bytes + kv_bytes
    bandwidth = instance.gpu_count * instance.gpu.bandwidth_gb_s * 1e9 * DECODE_BANDWIDTH_EFFICIENCY
    tokens_per_second = concurrency * bandwidth / bytes_per_step
    return Throughput(
        tokens_per_second=tokens_per_second,
        requests_per_second=tokens_per_second / tokens_out,
        basis=(
            f"estimate: {concurrency} sequences, {tokens_in} tokens in / {tokens_out} out, "
            f"{instance.gpu_count} x {instance.gpu.bandwidth_gb_s:g} GB/s "
            f"at {DECODE_BANDWIDTH_EFFICIENCY:.0%}"
        ),
    )


def scaling_target(tier: Tier, throughput: Throughput) -> ScalingTarget:
    spec_scaling = tier.scaling
    if tier.endpoint.queued:
        if spec_scaling.backlog_per_instance is not None:
            return ScalingTarget(
                "backlog", None, spec_scaling.backlog_per_instance, "backlog_per_instance from the spec"
            )
        return ScalingTarget(
            "backlog",
            None,
            float(tier.max_concurrency),
            f"one full batch waiting per instance (max_concurrency {tier.max_concurrency})",
        )
    predefined = PREDEFINED_METRICS[(tier.endpoint, spec_scaling.metric)]
    if spec_scaling.target != "auto":
        return ScalingTarget(spec_scaling.metric, predefined, spec_scaling.target, "given in the spec")
    if spec_scaling.metric == "concurrency":
        target = round(tier.max_concurrency * spec_scaling.target_utilization, 1)
        return ScalingTarget(
            spec_scaling.metric,
            predefined,
            target,
            f"{tier.max_concurrency} concurrent sequences x {spec_scaling.target_utilization:g} "
            "target utilization",
        )
    # The spec refuses invocations with target auto and no measured max_rps: an estimate that
    # runs high would set a target that never scales out.
    rps = spec_scaling.max_rps
    assert rps is not None
    target = round(rps * 60 * spec_scaling.safety_factor, 1)
    return ScalingTarget(
        spec_scaling.metric,
        predefined,
        target,
        f"{rps:.2f} requests/s (measured max_rps from the spec) x 60 s x {spec_scaling.safety_factor:g} "
        "safety factor",
    )
