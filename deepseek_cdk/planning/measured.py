"""What `deepseek-cdk loadtest` measured, applied to a tier's plan: the measured throughput
in place of the estimate, the measured TTFT and TPOT through the step model, and a warning
when a measurement is far from the estimate (the plan uses it all the same)."""

from __future__ import annotations

import math

from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.instance_choice import InstanceChoice
from deepseek_cdk.planning.service_levels import ServiceLevels, StepModel, streamed_levels
from deepseek_cdk.planning.sizing import MemoryFit
from deepseek_cdk.planning.throughput import Throughput, lengths
from deepseek_cdk.spec import Tier, TrafficProfile


def measured_throughput(
    at: str, tier: Tier, fit: MemoryFit, traffic: TrafficProfile | None
) -> Throughput | None:
    """The tier's loadtest measurement as its throughput, when it has one for this instance
    and within what its copies' batches hold."""
    measured = tier.measured
    if measured is None:
        return None
    if measured.instance_type != fit.instance_type:
        raise PlanError(
            [
                f"{at}.measured.instance_type: measured on {measured.instance_type}, but the tier plans "
                f"{fit.instance_type}; measure again with deepseek-cdk loadtest, or remove the key"
            ]
        )
    if measured.concurrency > fit.copies * tier.max_concurrency:
        raise PlanError(
            [
                f"{at}.measured.concurrency: measured at {measured.concurrency} concurrent requests, more "
                f"than {fit.instance_type} as {fit.layout} admits ({fit.copies} x max_concurrency "
                f"{tier.max_concurrency}); measure within it"
            ]
        )
    _, tokens_out = lengths(traffic)
    return Throughput(
        tokens_per_second=measured.tokens_per_second,
        requests_per_second=measured.tokens_per_second / tokens_out,
        basis=(
            f"measured by deepseek-cdk loadtest on {measured.date} at {measured.concurrency} concurrent "
            f"requests on {measured.instance_type}"
        ),
    )


def measured_levels(
    tier: Tier, choice: InstanceChoice, objectives: Objectives
) -> tuple[StepModel, ServiceLevels]:
    """The chosen instance's estimates, passed through the tier's loadtest TTFT and TPOT
    when it has them."""
    measured = tier.measured
    if measured is None or (measured.ttft_p90_seconds is None and measured.tpot_p90_ms is None):
        return choice.step, choice.levels
    step = choice.step.measured(measured)
    if not objectives.streamed:
        return step, choice.levels
    levels = streamed_levels(
        step,
        objectives,
        utilization=tier.scaling.target_utilization,
        given_target=choice.levels.concurrency if choice.levels.binding == "the spec" else None,
        basis=(
            f"measured by deepseek-cdk loadtest on {measured.date} at {measured.concurrency} in flight "
            f"(p90 TTFT and TPOT); other concurrencies follow the step model's curve through it"
        ),
    )
    return step, levels


FAR_FROM_ESTIMATE = 2.0  # a measurement this many times above or below the estimate is flagged


def far_from_estimate(at: str, tier: Tier, step: StepModel) -> list[str]:
    """A measurement (max_rps, measured tokens/s) more than FAR_FROM_ESTIMATE times off the
    step model's estimate at the same concurrency: it may be right, and the plan uses it, but
    it says so."""
    found = []
    checks = []
    if tier.scaling.max_rps is not None:
        batch = tier.measured.concurrency if tier.measured else tier.max_concurrency * step.copies
        checks.append(
            (
                "scaling.max_rps",
                tier.scaling.max_rps,
                step.instance_tokens_per_second(batch) / step.tokens_out,
                "requests/s",
            )
        )
    if tier.measured is not None:
        estimate = step.instance_tokens_per_second(tier.measured.concurrency)
        checks.append(("measured.tokens_per_second", tier.measured.tokens_per_second, estimate, "tokens/s"))
    for field, value, estimate, unit in checks:
        ratio = value / estimate if estimate > 0 else math.inf
        if not 1 / FAR_FROM_ESTIMATE <= ratio <= FAR_FROM_ESTIMATE:
            found.append(
                f"{at}.{field}: {value:g} {unit} is {ratio:.1f} x the estimate ({estimate:.2f} at the same "
                "concurrency); the plan uses it, but check that it was measured on this tier as it is now"
            )
    return found
