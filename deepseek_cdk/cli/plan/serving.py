"""A tier's serving rows in `deepseek-cdk plan`: what the KV cache holds, the instances `auto`
did not take, the objectives and the estimates against them, the traffic, and the longest
answer each route carries."""

from __future__ import annotations

from collections.abc import Sequence

from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.instance_choice import Alternative
from deepseek_cdk.runtime.router.contract import INVOKE_ROUTE, STREAM_ROUTE


def render_workload(tier: TierPlan) -> list[str]:
    """What the KV cache was sized for, and about how many full-context sequences fit."""
    workload, memory = tier.workload, tier.memory
    if workload.reservation == "worst-case":
        sized = (
            f"{workload.concurrency} sequences x {workload.context_tokens} tokens (worst-case reservation)"
        )
    else:
        sized = (
            f"{workload.concurrency} sequences of {workload.typical_tokens} tokens (typical), "
            f"at least one of {workload.context_tokens} (max context)"
        )
    budget = f"up to {memory.batched_tokens} tokens a forward pass (the engine's budget per step)"
    if tier.container != "lmi":
        return [sized, budget, "the TGI container sizes its own KV cache"]
    full = min(memory.sequences(workload.context_tokens), workload.concurrency)
    return [
        sized,
        budget,
        f"holds about {full} sequences at full context at once (estimate; batch limit "
        f"{workload.concurrency})",
    ]


def render_alternatives(alternatives: Sequence[Alternative]) -> list[tuple[str, list[str]]]:
    """What `auto` did not take (for a tier, or a fleet), and why."""
    if not alternatives:
        return []
    return [
        (
            "not chosen",
            [
                f"{a.instance_type}: "
                + (f"${a.usd_per_million_tokens:.2f}/Mtok, " if a.usd_per_million_tokens is not None else "")
                + a.reason
                for a in alternatives
            ],
        )
    ]


def render_objectives(tier: TierPlan) -> list[str]:
    objectives = tier.objectives
    return [f"{objectives.describe()} ({objectives.source})", f"measured by {tier.measured_by}"]


def render_service(tier: TierPlan) -> list[str]:
    """The estimated p90 TTFT and TPOT at the target (completion time for async tiers)."""
    service = tier.service
    per_token = (
        f"p90 TTFT {_range(service.ttft_low_s, service.ttft_p90_s, '.2f')} s, "
        f"p90 TPOT {_range(service.tpot_low_ms, service.tpot_p90_ms, '.0f')} ms"
    )
    rate = f"{service.tokens_per_second:,.0f} output tokens/s per {tier.capacity.one}"
    if service.completion_p90_s is not None:
        return [
            f"p90 completion {service.completion_p90_s:,.0f} s at {service.concurrency:g} requests in flight "
            f"({per_token}); {rate}",
            service.basis,
        ]
    return [
        f"at {service.concurrency:g} requests in flight ({service.binding} binding): {per_token}; {rate}",
        service.basis,
    ]


def _range(low: float, high: float, spec: str) -> str:
    """`low-high`, or one figure when the two print alike (a measurement has no band)."""
    low_text, high_text = format(low, spec), format(high, spec)
    return high_text if low_text == high_text else f"{low_text}-{high_text}"


def render_demand(tier: TierPlan) -> list[tuple[str, list[str]]]:
    """The tier's `traffic` against its capacity: what the peak needs, what the week averages."""
    demand = tier.demand
    assert demand is not None
    needed = tier.capacity.unit if demand.needed_at_peak != 1 else tier.capacity.one
    lines = [
        f"peak {demand.peak_rps:g} requests/s, {demand.pattern}: {demand.assumption} (assumed)",
        f"one {tier.capacity.one} serves {demand.rate_per_instance:.2f} requests/s at {demand.rate_basis}",
        f"the peak needs {demand.needed_at_peak} {needed}; expected {demand.average_instances:.2f} on "
        "average within the week's bounds",
    ]
    if demand.hours_short:
        lines.append(
            f"WARNING: short {demand.hours_short:g} h a week: the week's max is below what the traffic "
            f"needs and requests queue; raise scaling.max or the schedules' max"
        )
    return [("traffic", lines)]


def render_answers(tier: TierPlan) -> list[tuple[str, list[str]]]:
    """The longest answer each router route carries (real-time kinds; async has no limit but
    the context)."""
    if tier.endpoint.queued:
        return []
    answers = tier.answers
    return [
        (
            "answers",
            [
                f"POST {INVOKE_ROUTE} up to {answers.buffered_max_tokens} tokens, POST {STREAM_ROUTE} up to "
                f"{answers.stream_max_tokens} (estimate)",
                f"= {answers.derivation}",
            ],
        )
    ]
