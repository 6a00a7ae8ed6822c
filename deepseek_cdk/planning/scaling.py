"""Scaling targets derived from the plan, never guessed.

Concurrency (the default): SageMaker's high-resolution ConcurrentRequestsPerModel counts
requests in the container, queued ones included, every 10 s. Target = the smallest of the
memory, TPOT and TTFT bounds (planning.service_levels) x a target utilization (0.85):
scaling starts before the objectives are missed.

Invocations: InvocationsPerInstance is a per-minute sum. Target = max requests/s per
instance x 60 x a safety factor (0.5), AWS's load-testing method (SageMaker developer guide,
endpoint-scaling-loadtest). Max requests/s must be measured (`max_rps` in the spec): the
throughput estimate below is not trusted to set it.

The throughput estimate (planning.throughput) sets no target; the service levels do.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.service_levels import ServiceLevels
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


def scaling_target(tier: Tier, service: ServiceLevels) -> ScalingTarget:
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
        return ScalingTarget(
            spec_scaling.metric,
            predefined,
            service.concurrency,
            f"the smallest of {service.memory_bound} (memory), {service.tpot_bound} (TPOT) and "
            f"{service.ttft_bound} (TTFT) concurrent requests, {service.binding} binding, x "
            f"{spec_scaling.target_utilization:g} target utilization",
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
