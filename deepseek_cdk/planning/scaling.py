"""Scaling targets derived from the plan, never guessed.

Concurrency (the default): SageMaker's high-resolution ConcurrentRequestsPerModel counts
requests in the container, queued ones included, every 10 s. Target = the sequences one
instance batches (max_concurrency) x a target utilization (0.85): scaling starts before the
batch is full and requests queue.

Invocations: InvocationsPerInstance is a per-minute sum. Target = max requests/s per
instance x 60 x a safety factor (0.5), AWS's load-testing method (SageMaker developer guide,
endpoint-scaling-loadtest). Max requests/s must be measured (`max_rps` in the spec): the
throughput estimate below is not trusted to set it.

The throughput estimate lives in planning.throughput; it does not set scaling targets.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.spec import Tier

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
class ScalingTarget:
    metric: str  # concurrency | invocations | backlog
    predefined_metric: str | None  # None: a customized metric (async backlog)
    target: float
    derivation: str


@dataclass(frozen=True)
class SloConcurrency:
    """The most concurrent requests per instance at which the estimated p90 latency (that of
    a request writing `p90_output_tokens`) meets the tier's SLO (0: none does), and that
    request's latency alone."""

    slo_seconds: float
    p90_output_tokens: int
    within: int
    alone_seconds: float


def scaling_target(tier: Tier, slo: SloConcurrency | None = None) -> ScalingTarget:
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
        derivation = (
            f"{tier.max_concurrency} concurrent sequences x {spec_scaling.target_utilization:g} "
            "target utilization"
        )
        if slo is not None and 1 <= slo.within < target:
            return ScalingTarget(
                spec_scaling.metric,
                predefined,
                float(slo.within),
                f"{slo.within} concurrent requests: the most at which the estimated p90 latency "
                f"(a request of {slo.p90_output_tokens} output tokens) meets the {slo.slo_seconds:g} s "
                f"SLO (below {derivation} = {target:g})",
            )
        if slo is not None and slo.within == 0:
            derivation += (
                f"; the SLO of {slo.slo_seconds:g} s is not met even by one request alone (estimate "
                f"{slo.alone_seconds:.0f} s for the p90 request, {slo.p90_output_tokens} output tokens): "
                "lower the output per request or choose faster GPUs"
            )
        return ScalingTarget(spec_scaling.metric, predefined, target, derivation)
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
