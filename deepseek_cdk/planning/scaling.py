"""Scaling targets derived from the plan, never guessed.

Concurrency (the default): SageMaker's ConcurrentRequestsPerModel (per copy:
ConcurrentRequestsPerCopy) counts requests in the container, queued ones included, every 10 s.
Target = the smallest of the memory, TPOT and TTFT bounds (planning.service_levels) x a target
utilization (0.85): scaling starts before the objectives are missed.

A real-time variant tracks the metric's one-minute average (a customized metric: target
tracking's alarms then take one-minute datapoints, 3 above the target to scale out), not AWS's
predefined 10-second form (3 datapoints within 30 s). A new instance serves minutes after its
alarm (planning.startup: 8.5 min for a 7B), so the 10-second alarm's 2.5 minutes are a small
part of that wait; at a few instances, though, the requests in flight swing by the square root
of their number from one 10 s to the next, and those swings alone set off scale-outs that the
load does not need, each billed for its start-up and the 15 minutes before scale-in may remove
it. On the default deployment's scenarios the one-minute average costs no more than the
10-second metric and misses no more minutes (tests/unit/test_default_scaling.py); with many
instances the two cost about the same and the 10-second metric misses fewer minutes after a
step in demand (benchmarks/bench_simulate.py prints both). Inference components keep the
predefined 10-second metric per copy: a copy starts on an instance already running.

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
    (EndpointKind.REALTIME, "concurrency"): None,  # CUSTOMIZED_METRICS: the one-minute average
    (EndpointKind.REALTIME, "invocations"): "SageMakerVariantInvocationsPerInstance",
    (
        EndpointKind.INFERENCE_COMPONENTS,
        "concurrency",
    ): "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
    (EndpointKind.INFERENCE_COMPONENTS, "invocations"): "SageMakerInferenceComponentInvocationsPerCopy",
}
# The CloudWatch metric (AWS/SageMaker, EndpointName and VariantName) a customized target
# tracking policy averages over a minute: Application Auto Scaling's customized metrics have
# one-minute periods.
CUSTOMIZED_METRICS = {(EndpointKind.REALTIME, "concurrency"): "ConcurrentRequestsPerModel"}
HIGH_RESOLUTION_S = 10  # the predefined *HighResolution metrics' datapoints


@dataclass(frozen=True)
class ScalingTarget:
    """The metric a tier scales on and its target, with how the target was derived."""

    metric: str  # concurrency | invocations | backlog
    predefined_metric: str | None  # None: a customized metric (async backlog, real-time concurrency)
    target: float
    derivation: str
    customized_metric: str | None = None  # the CloudWatch metric a customized policy averages

    @property
    def period_s(self) -> int:
        """The seconds between the datapoints target tracking's alarms take."""
        high_resolution = self.predefined_metric and self.predefined_metric.endswith("HighResolution")
        return HIGH_RESOLUTION_S if high_resolution else 60

    @property
    def label(self) -> str:
        """The metric as the plan names it."""
        if self.predefined_metric:
            return self.predefined_metric
        if self.customized_metric:
            return f"{self.customized_metric}, its one-minute average (customized metric)"
        return f"{self.metric} per instance (customized metric)"


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
    customized = CUSTOMIZED_METRICS.get((tier.endpoint, spec_scaling.metric))
    if spec_scaling.target != "auto":
        return ScalingTarget(
            spec_scaling.metric, predefined, spec_scaling.target, "given in the spec", customized
        )
    if spec_scaling.metric == "concurrency":
        return ScalingTarget(
            spec_scaling.metric,
            predefined,
            service.concurrency,
            f"the smallest of {service.memory_bound} (memory), {service.tpot_bound} (TPOT) and "
            f"{service.ttft_bound} (TTFT) concurrent requests, {service.binding} binding, x "
            f"{spec_scaling.target_utilization:g} target utilization",
            customized,
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
