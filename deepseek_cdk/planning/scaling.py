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

ScalingPlan is what a tier renders: the target, the cooldowns and the scheduled scenarios
(checked for simultaneous firings and turned into a capacity calendar), and the rate one
instance serves where target tracking holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from deepseek_cdk.cron import parse_cron
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.schedules import (
    CapacityCalendar,
    ScheduleConflict,
    capacity_calendar,
    simultaneous_firings,
)
from deepseek_cdk.planning.service_levels import ServiceLevels, StepModel
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
        copies = service.copies
        return ScalingTarget(
            "backlog",
            None,
            float(tier.max_concurrency * copies),
            f"one full batch waiting per instance (max_concurrency {tier.max_concurrency})"
            if copies == 1
            else f"one full batch waiting per model copy ({copies} copies x max_concurrency "
            f"{tier.max_concurrency})",
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


@dataclass(frozen=True)
class SchedulePlan:
    """One scheduled action as Application Auto Scaling takes it."""

    name: str
    expression: str  # cron(...) or at(...), as Application Auto Scaling takes it
    timezone: str
    min: int | None
    max: int | None


@dataclass(frozen=True)
class ScalingPlan:
    """How a tier scales: target tracking, cooldowns, scheduled scenarios (the bounds, and each
    version's share of them, are the tier's CapacityPlan)."""

    target: ScalingTarget
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    # Tiers that reach zero add one instance (copy) when requests find none, then wait a whole
    # cold start before adding another: capacity that is still starting is not missing.
    scale_from_zero_cooldown_s: int
    schedules: tuple[SchedulePlan, ...]
    calendar: CapacityCalendar
    notes: tuple[str, ...]


def backlog_target(tier: Tier) -> float | None:
    """An async tier's backlog per instance: the spec's, else None: one full batch per model
    copy, however many copies the instance runs."""
    return tier.scaling.backlog_per_instance


def rate_at_target(target: ScalingTarget, service: ServiceLevels, step: StepModel) -> tuple[float, str]:
    """Requests/s one instance (copy) serves where target tracking holds it: the target's
    requests in flight at their TPOT (service levels), or the invocations target."""
    if target.metric == "invocations":
        return target.target / 60, f"the scaling target, {target.target:g} invocations a minute"
    return service.tokens_per_second / step.tokens_out, (
        f"{service.concurrency:g} requests in flight"
        + (f" ({service.copies} copies)" if service.copies > 1 else "")
        + f" at a TPOT of {service.tpot_p90_ms:.0f} ms, "
        f"{step.tokens_out} output tokens each (estimate)"
    )


def scaling_plan(at: str, tier: Tier, cold_start_s: int, service: ServiceLevels) -> ScalingPlan:
    """The tier's scaling: its target, cooldowns and schedules; schedules that fire at once or
    leave no consistent capacity are a PlanError."""
    spec_scaling = tier.scaling
    conflicts = simultaneous_firings(spec_scaling.schedules, at=f"{at}.scaling", start=datetime.now(UTC))
    if conflicts:
        raise PlanError(conflicts)
    try:
        calendar = capacity_calendar(
            spec_scaling.min, spec_scaling.max_capacity, spec_scaling.schedules, at=f"{at}.scaling"
        )
    except ScheduleConflict as err:
        raise PlanError([str(err)]) from None
    return ScalingPlan(
        target=scaling_target(tier, service),
        scale_out_cooldown_s=spec_scaling.scale_out_cooldown_seconds,
        scale_in_cooldown_s=spec_scaling.scale_in_cooldown_seconds,
        scale_from_zero_cooldown_s=cold_start_s,
        schedules=tuple(
            SchedulePlan(
                name=x.name,
                expression=f"cron({parse_cron(x.cron).expression})" if x.cron else f"at({x.at})",
                timezone=x.timezone,
                min=x.min,
                max=x.max,
            )
            for x in spec_scaling.schedules
        ),
        calendar=calendar,
        notes=tuple(
            f"schedule {name!r} fires on dates, not weekly: it is left out of the calendar and the cost; "
            "what it sets stays in force until another schedule changes it"
            for name in calendar.one_off
        ),
    )
