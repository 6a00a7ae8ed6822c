"""Which instance serves a tier: the one that holds the model, meets the tier's objectives,
and writes output tokens the cheapest.

`auto` considers every catalog instance that holds the workload (planning.sizing) and that
SageMaker hosting offers in the region (when the price file knows), estimates each one's
service levels (planning.service_levels), keeps those that meet the objectives, and takes
the lowest cost per million output tokens at its SLO-bounded concurrency target. Unpriced
types come after every priced one. An LMI tier on a real-time or async endpoint then runs the
chosen (or given) instance in its cheapest layout per token that meets the objectives: one
model copy over all its GPUs or several over fewer each (planning.sizing). The type itself is
chosen on one copy over all its GPUs, so copies never move a tier to a larger instance whose
count the tier's scaling bounds were not written for (docs/sizing.md); only a given
concurrency target above one copy's batch, which needs several copies, ranks every layout of
every instance, and no layout holding it is an error naming the target. The plan prints the
next three with their $/Mtok and why each lost. An explicit instance must hold the workload
and meet the objectives too. Either way, a tier no instance can serve is a plan error naming
the objective and the best value any instance reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import INSTANCES, InstanceSpec
from deepseek_cdk.catalog.prices import HOME_REGION, PriceTable
from deepseek_cdk.money import per_hour
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.copy_request import CopyRequest
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.service_levels import (
    ServiceLevels,
    StepModel,
    queued_levels,
    streamed_levels,
    usd_per_million_tokens,
)
from deepseek_cdk.planning.sizing import MemoryFit, Workload, fitting_instances, layouts, memory_fit
from deepseek_cdk.planning.uncertainty import tpot_band, ttft_band

ALTERNATIVES_SHOWN = 3
ESTIMATE = "estimate: the step model calibrated on vLLM measurements (planning.service_levels)"


@dataclass(frozen=True)
class Alternative:
    """An instance `auto` did not take, and why."""

    instance_type: str
    usd_per_million_tokens: float | None
    reason: str


@dataclass(frozen=True)
class Candidate:
    """One layout on one instance, judged: its step model, service levels, price and misses."""

    fit: MemoryFit
    step: StepModel
    levels: ServiceLevels
    usd_per_hour: float | None
    misses: tuple[str, ...]  # the objectives it cannot meet

    @property
    def usd_per_million_tokens(self) -> float | None:
        return usd_per_million_tokens(self.usd_per_hour, self.levels.tokens_per_second)


@dataclass(frozen=True)
class InstanceChoice:
    """The chosen instance with its estimates, and, for `auto`, the ones it beat."""

    fit: MemoryFit
    step: StepModel
    levels: ServiceLevels
    usd_per_million_tokens: float | None  # at the target, from the instance's price
    alternatives: tuple[Alternative, ...]


class ChoiceError(PlanError):
    """No instance can serve the tier as the spec asks."""


def unmeetable(levels: ServiceLevels, objectives: Objectives) -> tuple[str, ...]:
    """The streamed objectives not met even by one request alone (a bound of 0)."""
    found = []
    if levels.tpot_bound == 0:
        found.append(f"tpot_p90_ms {objectives.tpot_p90_ms:g}")
    if levels.ttft_bound == 0:
        found.append(f"ttft_p90_seconds {objectives.ttft_p90_s:g}")
    return tuple(found)


def choose_instance(
    at: str,
    request: CopyRequest,
    instance_type: str,
    *,
    region: str | None,
    prices: PriceTable,
    copies: bool = False,
) -> InstanceChoice:
    """The tier's instance (see the module's docstring); ChoiceError names the field. With
    `copies`, the instance (chosen or given) then runs the layout cheapest per token that
    meets the objectives: one copy over all its GPUs, or several copies over fewer each."""
    model, workload, objectives, given_target = (
        request.model,
        request.workload,
        request.objectives,
        request.given_target,
    )
    fits = [
        f
        for f in fitting_instances(model, workload, lambda t: prices.price(region, t).usd_per_hour)
        if prices.offered(region, f.instance_type) is not False
    ]
    held = describe_workload(workload)

    def judge(fit: MemoryFit) -> Candidate:
        """`fit`'s instance with its service levels at the objectives, its price and misses."""
        return judge_copy(
            request,
            INSTANCES[fit.instance_type],
            fit,
            usd_per_hour=prices.price(region, fit.instance_type).usd_per_hour,
        )

    def layouts_of(name: str) -> tuple[MemoryFit, list[Candidate]]:
        """One copy over every GPU of instance `name` (what its memory error names), and every
        layout of it that holds a copy, judged."""
        instance = INSTANCES[name]
        every = [
            memory_fit(model, instance, workload, degree=degree)
            for degree in (layouts(model, instance) if copies else [instance.gpu_count])
        ]
        return every[0], [judge(f) for f in every if f.fits]

    if copies and given_target is not None and given_target > workload.concurrency:
        # A target above one copy's batch needs several copies: every layout of every instance.
        offered = [name for name in INSTANCES if prices.offered(region, name) is not False]
        candidates = [c for name in offered for c in layouts_of(name)[1]]
    else:
        candidates = [judge(f) for f in fits]
    serving = sorted((c for c in candidates if _serves(c)), key=_cost_order)
    if instance_type != "auto" and prices.offered(region, instance_type) is False:
        raise ChoiceError(
            [
                f"{at}.instance_type: SageMaker hosting does not offer {instance_type} in {region} "
                f"(AWS Price List, read {prices.read}). Instances there that fit and meet the objectives, "
                f"cheapest per token first: {_listed(serving, region, prices)}"
            ]
        )
    if instance_type == "auto":
        if not fits:
            where = f" offered in {region}" if prices.knows(region) else ""
            raise ChoiceError(
                [
                    f"{at}.instance_type: no catalog instance{where} holds {model.key} with {held}; lower "
                    f"{at}.max_context_tokens or {at}.max_concurrency"
                ]
            )
        if not serving:
            if target_problem := _target_problem(at, candidates, "any instance's"):
                raise ChoiceError([target_problem])
            raise ChoiceError(_objective_problems(at, model.key, candidates, objectives, "no instance meets"))
        _, own = layouts_of(serving[0].fit.instance_type)
        chosen = min((c for c in own if _serves(c)), key=_cost_order)
        rest = [c for c in own if c is not chosen] + [
            c for c in candidates if c.fit.instance_type != chosen.fit.instance_type
        ]
        return InstanceChoice(
            chosen.fit,
            chosen.step,
            chosen.levels,
            chosen.usd_per_million_tokens,
            tuple(_alternative(c, chosen) for c in sorted(rest, key=_losing_order)[:ALTERNATIVES_SHOWN]),
        )
    whole, own = layouts_of(instance_type)
    if not own:
        raise ChoiceError(
            [
                f"{at}.instance_type: {instance_type} cannot hold {model.key} with {held}: {whole.problem}. "
                f"Instances that fit and meet the objectives, cheapest per token first: "
                f"{_listed(serving, region, prices)}"
            ]
        )
    meeting = sorted((c for c in own if _serves(c)), key=_cost_order)
    if not meeting and (target_problem := _target_problem(at, own, f"{instance_type}'s")):
        raise ChoiceError([target_problem])
    if not meeting:
        problems = _objective_problems(at, model.key, own, objectives, f"{instance_type} does not meet")
        problems[-1] += (
            f". Instances that meet them, cheapest per token first: {_listed(serving, region, prices)}"
        )
        raise ChoiceError(problems)
    best = meeting[0]
    return InstanceChoice(
        best.fit,
        best.step,
        best.levels,
        best.usd_per_million_tokens,
        tuple(_alternative(c, best) for c in sorted(own, key=_losing_order) if c is not best),
    )


def judge_copy(
    request: CopyRequest, instance: InstanceSpec, fit: MemoryFit, *, usd_per_hour: float | None
) -> Candidate:
    """`fit` on `instance` (a catalog instance, or a fleet's instance cut to the GPUs one copy
    takes there): its service levels at the objectives, its price an hour and its misses."""
    model, lengths, objectives = request.model, request.lengths, request.objectives
    tpot, ttft = tpot_band(model, instance.gpu.name), ttft_band(model, instance.gpu.name)
    step = StepModel.of(
        model,
        instance,
        fit,
        batch=request.workload.concurrency,
        context_tokens=lengths.context_tokens,
        tokens_in=lengths.tokens_in,
        tokens_out=lengths.tokens_out,
        p90_tokens_out=lengths.p90_tokens_out,
        ttft_band=(ttft.low, ttft.high),
        tpot_band=(tpot.low, tpot.high),
    )
    basis = f"{ESTIMATE}; planned at the slow end of its band ({tpot.basis}; {ttft.basis})"
    if objectives.streamed:
        levels = streamed_levels(
            step,
            objectives,
            utilization=request.utilization,
            given_target=request.given_target,
            basis=basis,
        )
        misses = unmeetable(levels, objectives)
    else:
        levels = queued_levels(step, backlog_per_instance=request.backlog_per_instance, basis=basis)
        alone = queued_levels(step, backlog_per_instance=1, basis=basis)
        misses = tuple(alone.misses(objectives))
    return Candidate(fit, step, levels, usd_per_hour, misses)


def _holds_target(c: Candidate) -> bool:
    """Whether the layout's batches hold the spec's concurrency target (a derived one always)."""
    return c.levels.binding != "the spec" or c.levels.concurrency <= c.levels.memory_bound


def _serves(c: Candidate) -> bool:
    return not c.misses and _holds_target(c)


def _target_problem(at: str, candidates: list[Candidate], whose: str) -> str | None:
    """The spec's target, when it is what no layout that meets the objectives can hold."""
    meeting = [c for c in candidates if not c.misses]
    if not meeting or any(_holds_target(c) for c in meeting):
        return None
    most = max(meeting, key=lambda c: c.levels.memory_bound)
    return (
        f"{at}.scaling.target: {most.levels.concurrency:g} concurrent requests per instance is more than "
        f"{whose} batches hold: at most {most.levels.memory_bound:g}, on {most.fit.instance_type} as "
        f"{most.fit.layout} (max_concurrency {most.step.batch} a copy); queued requests count too, so "
        "stay below it"
    )


def _cost_order(c: Candidate) -> tuple[bool, float, float, str, int]:
    usd = c.usd_per_million_tokens
    return (
        usd is None,
        usd or 0.0,
        INSTANCES[c.fit.instance_type].driver_memory_gb,
        c.fit.instance_type,
        c.fit.copies,
    )


def _losing_order(c: Candidate) -> tuple[bool, bool, float, float, str, int]:
    return (not _serves(c), *_cost_order(c))


def _alternative(c: Candidate, chosen: Candidate) -> Alternative:
    usd, best = c.usd_per_million_tokens, chosen.usd_per_million_tokens
    layout = f"as {c.fit.layout}: " if c.fit.copies > 1 or chosen.fit.copies > 1 else ""
    if c.misses:
        reason = f"misses {' and '.join(c.misses)} even with one request"
    elif not _holds_target(c):
        reason = (
            f"its batches hold {c.levels.memory_bound:g} requests in flight, fewer than the spec's "
            f"target of {c.levels.concurrency:g}"
        )
    elif usd is None or c.usd_per_hour is None:
        reason = "no price in the catalog"
    elif best is not None:
        reason = (
            f"{usd / best:.2f}x the chosen's cost per token ({c.levels.tokens_per_second:.0f} tokens/s at "
            f"{c.levels.concurrency:g} in flight, {per_hour(c.usd_per_hour)})"
        )
    else:
        reason = "priced, while the chosen is not"
    return Alternative(c.fit.instance_type, usd, layout + reason)


def _objective_problems(
    at: str, model: str, candidates: list[Candidate], objectives: Objectives, who: str
) -> list[str]:
    """One line per objective nobody meets, with the best value any candidate reaches."""
    problems = []
    if objectives.streamed:
        best_tpot = min(candidates, key=lambda c: c.step.tpot_s(1))
        best_ttft = min(candidates, key=lambda c: c.step.first_token_s(1))
        if all(c.levels.tpot_bound == 0 for c in candidates):
            problems.append(
                f"{at}.slo.tpot_p90_ms: serving {model}, {who} {objectives.tpot_p90_ms:g} ms "
                f"even with one request; the best is {1000 * best_tpot.step.tpot_s(1):.0f} ms on "
                f"{best_tpot.fit.instance_type} (estimate)"
            )
        if all(c.levels.ttft_bound == 0 for c in candidates):
            problems.append(
                f"{at}.slo.ttft_p90_seconds: serving {model}, {who} {objectives.ttft_p90_s:g} s "
                f"even with one request; the best is {best_ttft.step.first_token_s(1):.2f} s on "
                f"{best_ttft.fit.instance_type} (estimate)"
            )
        if not problems:  # each objective met somewhere, never both on one instance
            problems.append(
                f"{at}.slo: serving {model}, {who} both ttft_p90_seconds {objectives.ttft_p90_s:g} and "
                f"tpot_p90_ms {objectives.tpot_p90_ms:g} on one instance (estimate)"
            )
        return problems
    best = min(candidates, key=lambda c: c.step.request_s(c.step.batch, c.step.p90_tokens_out))
    return [
        f"{at}.slo.completion_p90_seconds: serving {model}, {who} {objectives.completion_p90_s:g} s for "
        f"the p90 request ({best.step.p90_tokens_out} output tokens); the best is "
        f"{best.step.request_s(best.step.batch, best.step.p90_tokens_out):.0f} s on {best.fit.instance_type} "
        "at a full batch (estimate): lower max_concurrency or the answer length"
    ]


def _listed(candidates: list[Candidate], region: str | None, prices: PriceTable) -> str:
    shown = []
    for c in candidates[:6]:
        usd = c.usd_per_million_tokens
        price = prices.price(region, c.fit.instance_type)
        note = price.note(region or HOME_REGION)
        shown.append(
            f"{c.fit.instance_type} (price unknown)"
            if usd is None or price.usd_per_hour is None
            else f"{c.fit.instance_type} ({per_hour(price.usd_per_hour)}, ${usd:.2f}/Mtok"
            + (f", {note})" if note else ")")
        )
    return ", ".join(shown) or "none"


def describe_workload(workload: Workload) -> str:
    if workload.reservation == "worst-case":
        return f"{workload.concurrency} sequences of {workload.context_tokens} tokens (worst-case)"
    return (
        f"{workload.concurrency} sequences of {workload.typical_tokens} tokens and one of "
        f"{workload.context_tokens}"
    )
