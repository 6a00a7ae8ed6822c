"""The Plan: a deployment spec resolved against the catalog, ready to render or to print.

Both renderers read it: the CDK stacks synthesize it, the CLI prints it. Frozen dataclasses,
plain values only, no AWS or CDK import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from deepseek_cdk.catalog import CONTAINERS, INSTANCES, MODELS
from deepseek_cdk.catalog.prices import HOME_REGION, PRICES, Price, PriceTable
from deepseek_cdk.cron import parse_cron
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.names import (
    LONGEST_ACCOUNT,
    LONGEST_REGION,
    S3_BUCKET,
    SAGEMAKER,
    STACK,
    NamingRule,
    artifacts_bucket_name,
    stack_names,
)
from deepseek_cdk.objectives import (
    DEFAULT_COMPLETION_P90_S,
    DEFAULT_TPOT_P90_MS,
    DEFAULT_TTFT_P90_S,
    OBJECTIVES_SOURCE,
    Objectives,
)
from deepseek_cdk.planning import startup
from deepseek_cdk.planning.alarms import AlarmPlan, alarm_plan
from deepseek_cdk.planning.answers import AnswerLimits, answer_limits
from deepseek_cdk.planning.capacity import CapacityError, CapacityPlan, VersionCapacity, capacity_plan
from deepseek_cdk.planning.container_env import S3_MODEL_DIR, batched_tokens, container_env
from deepseek_cdk.planning.demand import DemandPlan, demand_plan
from deepseek_cdk.planning.economics import TokenEconomics, token_economics
from deepseek_cdk.planning.instance_choice import (
    Alternative,
    ChoiceError,
    InstanceChoice,
    Lengths,
    choose_instance,
)
from deepseek_cdk.planning.rollout import RolloutError, RolloutPlan, rollout_plan
from deepseek_cdk.planning.scaling import ScalingTarget, scaling_target
from deepseek_cdk.planning.schedules import (
    CapacityCalendar,
    ScheduleConflict,
    capacity_calendar,
    simultaneous_firings,
)
from deepseek_cdk.planning.service_levels import ServiceLevels, StepModel, streamed_levels
from deepseek_cdk.planning.sizing import MemoryFit, Workload
from deepseek_cdk.planning.throughput import Throughput, estimate_throughput, lengths, p90_output_tokens
from deepseek_cdk.planning.units import HOURS_PER_MONTH
from deepseek_cdk.planning.versions import (
    CAPTURE_PREFIX,
    RetentionPlan,
    VersioningCost,
    VersionPlan,
    revision_warnings,
    settings_hash,
    unproven_combination,
    version_monthly,
    versioning_cost,
)
from deepseek_cdk.runtime.router.contract import estimated_prompt_tokens
from deepseek_cdk.spec import ApiPrice, Deployment, Router, Schedule, SpecError, Tier, TrafficProfile

DEFAULT_CONTEXT_TOKENS = 32_768  # DeepSeek's own evaluation cap on generation length
# One copy per instance uses all its GPUs; it reserves half the host memory and leaves the
# rest to the OS and SageMaker's agents.
COPY_HOST_MEMORY_SHARE = 0.5


class PlanError(SpecError):
    """A spec that validates but cannot be planned (e.g. the model does not fit)."""


@dataclass(frozen=True)
class CostRange:
    """On-demand instance cost a month, USD, following the capacity calendar: at the
    scheduled minimum (no traffic) and at the scheduled maximum (always at the ceiling)."""

    price_per_hour: float
    monthly_at_min: float
    monthly_at_max: float
    monthly_expected: float | None  # at the tier's `traffic` (planning.demand), when given


@dataclass(frozen=True)
class SchedulePlan:
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


@dataclass(frozen=True)
class QueuePrefixes:
    """Where an async tier's requests, results and errors live in the deployment's bucket."""

    requests: str
    responses: str
    failures: str


def queue_prefixes(tier: str) -> QueuePrefixes:
    """`async/<tier>/requests/`, `.../responses/`, `.../failures/`: one prefix per use, so each
    role is granted exactly the one it needs."""
    return QueuePrefixes(*(f"async/{tier}/{part}/" for part in ("requests", "responses", "failures")))


@dataclass(frozen=True)
class DataCapturePlan:
    """Requests and answers (the shadow's too) sampled to the artifacts bucket."""

    sample_percent: int
    prefix: str  # capture/<tier>/


@dataclass(frozen=True)
class TierPlan:
    name: str
    endpoint: EndpointKind
    endpoint_name: str
    model: str
    hf_id: str
    container: str
    image_repository: str
    image_tag: str
    instance_type: str
    instance_chosen: str  # "auto" (cheapest per output token at the objectives) or "explicit"
    alternatives: tuple[Alternative, ...]  # auto: the next instances, and why each lost
    gpu: str
    gpu_count: int
    tensor_parallel_degree: int
    copy_memory_mb: int  # host memory one model copy reserves (inference components)
    max_context_tokens: int
    max_concurrency: int
    gpu_memory_utilization: float
    memory: MemoryFit
    workload: Workload  # what the KV cache was sized for
    p90_output_tokens: int  # the answer at the 90th percentile (traffic, else twice the average)
    weights_source: str
    local_nvme: bool
    volume_size_gb: int | None
    model_download_timeout_s: int
    startup_health_check_timeout_s: int
    cold_start_s: int  # provisioning + download + start-up health check (planning.startup)
    typical_start_s: int  # a typical scale-out start-up (planning.startup, AWS's measurement)
    capacity: CapacityPlan  # the tier's bounds and every version's share: what the stacks render
    queue: QueuePrefixes | None  # async tiers: their S3 prefixes
    throughput: Throughput
    demand: DemandPlan | None  # what the tier's `traffic` keeps busy, when given
    rate_at_target: float  # requests/s one instance (copy) serves where target tracking holds it
    answers: AnswerLimits  # the longest answer each router route carries (real-time kinds)
    scaling: ScalingPlan
    alarms: AlarmPlan
    objectives: Objectives  # the tier's p90 service levels: every reader takes them from here
    service: ServiceLevels  # the concurrency target's bounds and the estimates there
    measured_by: str  # where the objectives are measured once deployed
    usd_per_million_tokens: float | None  # one instance (copy) at the target, from its price
    price: Price  # the instance's, in the deployment's region where the catalog lists it
    cost: CostRange | None  # None: the catalog has no price for this instance; shadow included
    economics: TokenEconomics  # $ per million output tokens, against hosted APIs
    versions: tuple[VersionPlan, ...]
    rollout: RolloutPlan | None  # how an update reaches the instances (None: SageMaker's default)
    shadow_percent: float | None  # the share of requests copied to the shadow version
    data_capture: DataCapturePlan | None
    versioning: VersioningCost
    registry_group: str  # the model package group that records every version
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringPlan:
    """Where alarms go and what the deployment may cost."""

    alarm_email: str | None
    budget_usd_per_month: float | None


@dataclass(frozen=True)
class RouterPlan:
    """The router's choice of tier: the default, then rules in order (each a dict with `tier`
    and any of max_tokens_at_least, prompt_chars_at_least, prompt_matches)."""

    default_tier: str
    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Plan:
    deployment: str
    region: str | None
    account: str | None
    price_regions: tuple[str, ...]  # whose prices the tiers' costs use
    price_date: str
    offerings_known: bool  # whether the price file says which types the region offers
    tiers: tuple[TierPlan, ...]
    router: RouterPlan | None
    monitoring: MonitoringPlan
    retention: RetentionPlan
    api_prices: Mapping[str, ApiPrice]  # what the cost report compares the tiers with

    def tier(self, name: str) -> TierPlan:
        return next(t for t in self.tiers if t.name == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_prices"] = {name: price.model_dump() for name, price in self.api_prices.items()}
        return data

    @property
    def price_home(self) -> str:
        """The region whose prices the plan prefers: the deployment's, else HOME_REGION."""
        return self.region or HOME_REGION


def build_plan(deployment: Deployment) -> Plan:
    """Resolve every tier; all tiers' problems are reported together as one PlanError."""
    tiers: list[TierPlan] = []
    problems: list[str] = []
    prices = prices_of(deployment)
    for i, tier in enumerate(deployment.tiers):
        try:
            tiers.append(_plan_tier(f"tiers[{i}]", tier, deployment, prices))
        except PlanError as err:
            problems += err.problems
    problems += _name_problems(deployment, tiers)
    if deployment.router is not None and not problems:
        problems += _unservable_rules(deployment.router, {t.name: t for t in tiers})
    if problems:
        raise PlanError(problems)
    return Plan(
        deployment=deployment.name,
        region=deployment.region,
        account=deployment.account,
        price_regions=tuple(sorted({t.price.region for t in tiers})),
        price_date=PRICES.read,
        offerings_known=PRICES.knows(deployment.region),
        tiers=tuple(tiers),
        router=(
            RouterPlan(
                default_tier=deployment.router.default_tier,
                rules=tuple(
                    {"tier": r.tier, **r.when.model_dump(exclude_none=True)} for r in deployment.router.rules
                ),
            )
            if deployment.router
            else None
        ),
        monitoring=MonitoringPlan(deployment.alarm_email, deployment.budget_usd_per_month),
        retention=RetentionPlan(
            **deployment.retention.model_dump(),
            async_prefixes=tuple(
                prefix
                for tier in tiers
                if tier.queue is not None
                for prefix in (tier.queue.requests, tier.queue.responses, tier.queue.failures)
            ),
        ),
        api_prices=dict(deployment.api_prices),
    )


def _unservable_rules(router: Router, tiers: Mapping[str, TierPlan]) -> list[str]:
    """Rules whose every match the chosen tier must refuse: the shortest request they match
    (one user message, the rule's threshold) does not fit the tier's context, or asks for a
    longer answer than any route of a real-time tier carries."""
    problems = []
    for j, rule in enumerate(router.rules):
        tier, when = tiers[rule.tier], rule.when
        prompt_tokens = estimated_prompt_tokens(when.prompt_chars_at_least or 1, messages=1)
        answer = when.max_tokens_at_least or 1
        longest = tier.answers.stream_max_tokens if not tier.endpoint.queued else tier.max_context_tokens
        if prompt_tokens + answer > tier.max_context_tokens or answer > longest:
            problems.append(
                f"router.rules[{j}].when: never served: the shortest request it matches (about "
                f"{prompt_tokens} prompt tokens and {answer} answer tokens) is more than tier "
                f"{rule.tier!r} takes ({tier.max_context_tokens} tokens of context"
                + (f", answers of at most {longest} tokens)" if longest < tier.max_context_tokens else ")")
            )
    return problems


def _name_problems(deployment: Deployment, tiers: list[TierPlan]) -> list[str]:
    """Every name the deployment gives an AWS resource, checked against that service's rules
    (names.py), so that what the plan accepts deploys; each problem names the spec field."""
    bucket = artifacts_bucket_name(
        deployment.name, deployment.account or LONGEST_ACCOUNT, deployment.region or LONGEST_REGION
    )
    named: list[tuple[str, NamingRule, str]] = [("name", S3_BUCKET, bucket)]
    named += [("name", STACK, stack) for stack in stack_names(deployment.name)]
    for i, tier in enumerate(tiers):
        named += [
            (f"tiers[{i}].name", SAGEMAKER, tier.endpoint_name),
            (f"tiers[{i}].name", SAGEMAKER, tier.registry_group),
        ]
    return [
        f"{field}: makes the {rule.what} {name!r}, which AWS refuses: {'; '.join(found)}"
        for field, rule, name in named
        if (found := rule.problems(name))
    ]


def endpoint_name(
    deployment: str, tier: str, instance_type: str, *, variants: int | None = 1, shadow: bool = False
) -> str:
    """`<deployment>-<tier>-<instance family and size>-<variants>`, e.g.
    deepseek-chat-g6e-xlarge-1: the number of production variants, then `s` when one more is a
    shadow (deepseek-chat-g6e-xlarge-1s); `variants=None` (inference components, whose one
    variant never changes) leaves the count out.

    SageMaker refuses to update an endpoint when the update changes the instance type of a
    variant with a registered scalable target, or removes such a variant (the target must
    be deregistered first), and CloudFormation has no way to deregister the target before
    the update: it deletes old resources only afterwards. A new name makes CloudFormation
    replace the endpoint instead: it creates the new endpoint (and new scalable targets for
    it), switches every reference over, and only then deletes the old targets and the old
    endpoint. Replacing a version's model in its variant keeps the name: that update is in
    place, and blue/green under a rollout. At most 20 + 20 + 13 + 2 + 4 = 59 characters
    (limit 63).
    """
    name = f"{deployment}-{tier}-{instance_type.removeprefix('ml.').replace('.', '-')}"
    if variants is not None:
        name += f"-{variants}{'s' if shadow else ''}"
    return name


def prices_of(deployment: Deployment) -> PriceTable:
    """The price file, with the spec's own `prices` first."""
    return PRICES.overlaid(
        {
            instance_type: Price(
                given.usd_per_hour,
                deployment.region or HOME_REGION,
                given=f"{given.source}, as of {given.as_of}",
            )
            for instance_type, given in deployment.prices.items()
        }
    )


def _plan_tier(at: str, tier: Tier, deployment: Deployment, prices: PriceTable) -> TierPlan:
    refused = unproven_combination(at, tier)
    if refused:
        raise PlanError(refused)
    model = MODELS[tier.model]
    context = tier.max_context_tokens or min(DEFAULT_CONTEXT_TOKENS, model.max_context)
    traffic = deployment.traffic.get(tier.name)
    workload = workload_of(tier, context, traffic)
    objectives = objectives_of(tier)
    choice = _choose(at, tier, workload, objectives, traffic, context, deployment.region, prices)
    fit = choice.fit
    instance = INSTANCES[fit.instance_type]
    price = prices.price(deployment.region, fit.instance_type)
    container = CONTAINERS[tier.container]
    from_hub = tier.weights.source == "hub"
    startup_s = startup.startup_health_check_timeout(fit.weights_gb, from_hub=from_hub)
    download_s = startup.model_download_timeout(fit.weights_gb)
    cold_start_s = startup.cold_start_allowance(
        download_timeout_s=download_s, startup_timeout_s=startup_s, from_hub=from_hub
    )
    estimated = estimate_throughput(
        model,
        instance,
        fit,
        concurrency=tier.max_concurrency,
        context_tokens=context,
        traffic=traffic,
    )
    throughput = _measured_throughput(at, tier, fit.instance_type, traffic) or estimated
    step, service = _measured_levels(tier, choice, objectives)
    scaling = _scaling_plan(at, tier, cold_start_s, service)
    rate, basis = _rate_at_target(scaling.target, service, step)
    knob = "target" if objectives.streamed else "backlog_per_instance"
    warnings = [f"{at}.scaling.{knob}: {miss}" for miss in service.misses(objectives)]
    warnings += _far_from_estimate(at, tier, choice.step)
    demand = None
    if traffic is not None:
        demand = demand_plan(traffic, scaling.calendar, rate=rate, rate_basis=basis)

    def env_for(revision: str | None) -> dict[str, str]:
        return container_env(
            tier.container,
            model_id=model.hf_id if from_hub else S3_MODEL_DIR,
            revision=revision if from_hub else None,
            tensor_parallel_degree=fit.tensor_parallel_degree,
            max_context_tokens=context,
            max_concurrency=tier.max_concurrency,
            batched_tokens=fit.batched_tokens,
            gpu_memory_utilization=tier.gpu_memory_utilization,
            startup_timeout_s=startup_s,
        )

    image = f"{container.repository}:{container.tag}"

    def version(
        name: str, weight: float, approval: str, revision: str | None, uri: str | None
    ) -> VersionPlan:
        env = env_for(revision)
        return VersionPlan(
            name=name,
            weight=weight,
            approval=approval,
            revision=revision if from_hub else None,
            weights_uri=uri,
            env=env,
            settings_hash=settings_hash(image=image, env=env, weights_uri=uri, instance_type=instance.name),
            monthly_at_min=None,
            monthly_at_max=None,
        )

    versions = [
        version(v.name, v.weight, v.approval, v.revision, v.uri or tier.weights.uri) for v in tier.versions
    ] or [version("v1", 100.0, "approved", None, tier.weights.uri)]
    try:
        capacity = capacity_plan(
            kind=tier.endpoint,
            versions=[(v.name, v.weight) for v in versions],
            min_total=tier.scaling.min,
            max_total=tier.scaling.max_capacity,
            schedules=tier.scaling.schedules,
            at=at,
            shadow=(tier.shadow.version, tier.shadow.sample_percent) if tier.shadow else None,
            shadow_min=2 if tier.rollout and tier.rollout.step_percent is not None else 1,
        )
        rollout = (
            rollout_plan(
                tier.rollout,
                kind=tier.endpoint,
                capacity=capacity,
                cold_start_s=cold_start_s,
                price_per_hour=price.usd_per_hour,
                at=at,
                routed=deployment.router is not None,
            )
            if tier.rollout
            else None
        )
    except (CapacityError, RolloutError) as err:
        raise PlanError([str(err)]) from None
    weekly = [x for x in tier.scaling.schedules if x.name not in scaling.calendar.one_off]
    shares = {v.version: _weekly_share(v, weekly) for v in capacity.versions}
    priced = []
    live_weight = sum(v.weight for v in capacity.live)
    for v in versions:
        share = shares[v.name]
        low, high = version_monthly(share, weekly, price.usd_per_hour, at=f"{at}.scaling")
        expected = None
        if demand is not None and low is not None and high is not None:
            busy = {
                "live": demand.average_instances * share.weight / live_weight,
                "shadow": demand.average_instances * (tier.shadow.sample_percent if tier.shadow else 0) / 100,
                "staged": 0.0,
            }[share.role]
            per_month = (price.usd_per_hour or 0.0) * HOURS_PER_MONTH
            # Each version within its own bounds: a variant never runs fewer than its floor.
            expected = min(max(low, per_month * busy), high)
        priced.append(replace(v, monthly_at_min=low, monthly_at_max=high, monthly_expected=expected))
    versions = priced
    versioning = versioning_cost(
        versions,
        capacity,
        weights_gb=fit.weights_gb,
        artifacts_bucket_prefix=f"{deployment.name}-artifacts-",
        rollout_cost=rollout.cost_per_rollout if rollout else None,
    )

    cost = _cost(price, versions)
    tokens_in, tokens_out = lengths(traffic)
    economics = token_economics(
        price_per_hour=price.usd_per_hour,
        monthly_at_min=cost.monthly_at_min if cost else None,
        monthly_expected=cost.monthly_expected if cost else None,
        average_max_instances=scaling.calendar.average_max,
        full_batch_tokens_per_second=throughput.tokens_per_second,
        target_requests_per_second=rate,
        average_rps=demand.average_rps if demand else None,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        api_prices=deployment.api_prices,
    )
    return TierPlan(
        name=tier.name,
        endpoint=tier.endpoint,
        endpoint_name=endpoint_name(
            deployment.name,
            tier.name,
            instance.name,
            variants=None if tier.endpoint.per_component else len(capacity.live),
            shadow=capacity.shadow is not None,
        ),
        model=model.key,
        hf_id=model.hf_id,
        container=container.key,
        image_repository=container.repository,
        image_tag=container.tag,
        instance_type=instance.name,
        instance_chosen="auto" if tier.instance_type == "auto" else "explicit",
        alternatives=choice.alternatives,
        gpu=f"{instance.gpu.name} {instance.gpu.memory_gb:g} GB",
        gpu_count=instance.gpu_count,
        tensor_parallel_degree=fit.tensor_parallel_degree,
        copy_memory_mb=int(instance.host_memory_gib * 1024 * COPY_HOST_MEMORY_SHARE),
        max_context_tokens=context,
        max_concurrency=tier.max_concurrency,
        gpu_memory_utilization=tier.gpu_memory_utilization,
        memory=fit,
        workload=workload,
        p90_output_tokens=step.p90_tokens_out,
        weights_source=tier.weights.source,
        local_nvme=instance.local_nvme,
        volume_size_gb=startup.volume_size_gb(instance, fit.weights_gb),
        model_download_timeout_s=download_s,
        startup_health_check_timeout_s=startup_s,
        cold_start_s=cold_start_s,
        typical_start_s=startup.typical_startup(fit.weights_gb, allowance_s=cold_start_s),
        capacity=capacity,
        queue=queue_prefixes(tier.name) if tier.endpoint.queued else None,
        throughput=throughput,
        demand=demand,
        rate_at_target=rate,
        answers=answer_limits(
            ttft_s=objectives.ttft_p90_s or service.ttft_p90_s,
            tpot_ms=objectives.tpot_p90_ms or service.tpot_p90_ms,
            context_tokens=context,
        ),
        scaling=scaling,
        alarms=alarm_plan(
            tier,
            objectives,
            p90_output_tokens=step.p90_tokens_out,
            max_capacity=capacity.max,
            target=scaling.target.target,
            cold_start_s=cold_start_s,
        ),
        objectives=objectives,
        service=service,
        measured_by=_measured_by(objectives, routed=deployment.router is not None),
        usd_per_million_tokens=choice.usd_per_million_tokens,
        price=price,
        cost=cost,
        economics=economics,
        versions=tuple(versions),
        rollout=rollout,
        shadow_percent=tier.shadow.sample_percent if tier.shadow else None,
        data_capture=(
            DataCapturePlan(tier.data_capture.sample_percent, f"{CAPTURE_PREFIX}{tier.name}/")
            if tier.data_capture
            else None
        ),
        versioning=versioning,
        registry_group=f"{deployment.name}-{tier.name}",
        warnings=tuple(warnings + revision_warnings(versions, from_hub=from_hub)),
    )


def objectives_of(tier: Tier) -> Objectives:
    """The tier's objectives: the spec's `slo`, each absent value its default."""
    slo = tier.slo
    if tier.endpoint.queued:
        given = slo.completion_p90_seconds if slo else None
        return Objectives(
            ttft_p90_s=None,
            tpot_p90_ms=None,
            completion_p90_s=given or DEFAULT_COMPLETION_P90_S,
            source="the spec" if given else "the default (30 minutes)",
        )
    ttft = slo.ttft_p90_seconds if slo else None
    tpot = slo.tpot_p90_ms if slo else None
    from_spec = [x for x in (ttft, tpot) if x is not None]
    return Objectives(
        ttft_p90_s=ttft or DEFAULT_TTFT_P90_S,
        tpot_p90_ms=tpot or DEFAULT_TPOT_P90_MS,
        source=(
            "the spec"
            if len(from_spec) == 2
            else ("the spec, the rest defaults: " if from_spec else "defaults: ") + OBJECTIVES_SOURCE
        ),
    )


def _choose(
    at: str,
    tier: Tier,
    workload: Workload,
    objectives: Objectives,
    traffic: TrafficProfile | None,
    context: int,
    region: str | None,
    prices: PriceTable,
) -> InstanceChoice:
    tokens_in, tokens_out = lengths(traffic)
    spec_scaling = tier.scaling
    given = (
        spec_scaling.target
        if spec_scaling.metric == "concurrency" and spec_scaling.target != "auto"
        else None
    )
    try:
        return choose_instance(
            at,
            MODELS[tier.model],
            tier.instance_type,
            workload=workload,
            lengths=Lengths(context, tokens_in, tokens_out, p90_output_tokens(traffic, context)),
            objectives=objectives,
            utilization=spec_scaling.target_utilization,
            given_target=given,
            backlog_per_instance=_backlog_target(tier),
            region=region,
            prices=prices,
        )
    except ChoiceError as err:
        raise PlanError(err.problems) from None


def _backlog_target(tier: Tier) -> float:
    """An async tier's backlog per instance: the spec's, else one full batch."""
    given = tier.scaling.backlog_per_instance
    return given if given is not None else float(tier.max_concurrency)


def _measured_levels(
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


def _far_from_estimate(at: str, tier: Tier, step: StepModel) -> list[str]:
    """A measurement (max_rps, measured tokens/s) more than FAR_FROM_ESTIMATE times off the
    step model's estimate at the same concurrency: it may be right, and the plan uses it, but
    it says so."""
    found = []
    checks = []
    if tier.scaling.max_rps is not None:
        batch = tier.measured.concurrency if tier.measured else tier.max_concurrency
        checks.append(
            (
                "scaling.max_rps",
                tier.scaling.max_rps,
                step.tokens_per_second(batch) / step.tokens_out,
                "requests/s",
            )
        )
    if tier.measured is not None:
        estimate = step.tokens_per_second(tier.measured.concurrency)
        checks.append(("measured.tokens_per_second", tier.measured.tokens_per_second, estimate, "tokens/s"))
    for field, value, estimate, unit in checks:
        ratio = value / estimate if estimate > 0 else math.inf
        if not 1 / FAR_FROM_ESTIMATE <= ratio <= FAR_FROM_ESTIMATE:
            found.append(
                f"{at}.{field}: {value:g} {unit} is {ratio:.1f} x the estimate ({estimate:.2f} at the same "
                "concurrency); the plan uses it, but check that it was measured on this tier as it is now"
            )
    return found


def _measured_by(objectives: Objectives, *, routed: bool) -> str:
    if routed and objectives.streamed:
        return "the router, per tier and version: TimeToFirstToken, TimePerOutputToken (DeepSeekCdk/Router)"
    if routed:
        return "the router, per tier: JobCompletionTime (DeepSeekCdk/Router)"
    if objectives.streamed:
        return (
            "not measured: no router in front; SageMaker's ModelLatency (whole requests, not per token) "
            "stands in"
        )
    return "not measured: no router in front; the oldest queued request's age stands in"


def _weekly_share(share: VersionCapacity, weekly: list[Schedule]) -> VersionCapacity:
    """`share` with only the parts of the weekly schedules (one-offs are left out of cost)."""
    names = {x.name for x in weekly}
    return replace(share, schedules=tuple(part for part in share.schedules if part.name in names))


def workload_of(tier: Tier, context: int, traffic: TrafficProfile | None) -> Workload:
    """What the tier's KV cache must hold: its typical sequence is the traffic's average
    input + output when given, else the throughput estimate's default."""
    tokens_in, tokens_out = lengths(traffic)
    typical = tokens_in + tokens_out
    return Workload(
        context_tokens=context,
        concurrency=tier.max_concurrency,
        gpu_memory_utilization=tier.gpu_memory_utilization,
        typical_tokens=typical,
        reservation=tier.memory_reservation,
        batched_tokens=batched_tokens(tier.container, context),
    )


def _measured_throughput(
    at: str, tier: Tier, instance_type: str, traffic: TrafficProfile | None
) -> Throughput | None:
    """The tier's loadtest measurement as its throughput, when it has one for this instance."""
    measured = tier.measured
    if measured is None:
        return None
    if measured.instance_type != instance_type:
        raise PlanError(
            [
                f"{at}.measured.instance_type: measured on {measured.instance_type}, but the tier plans "
                f"{instance_type}; measure again with deepseek-cdk loadtest, or remove the key"
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


def _cost(price: Price, versions: list[VersionPlan]) -> CostRange | None:
    """The tier's instances a month: the sum of its versions' (planning.versions), so the
    two can never disagree."""
    if price.usd_per_hour is None:
        return None
    expected = [v.monthly_expected for v in versions]
    return CostRange(
        price_per_hour=price.usd_per_hour,
        monthly_at_min=sum(v.monthly_at_min or 0.0 for v in versions),
        monthly_at_max=sum(v.monthly_at_max or 0.0 for v in versions),
        monthly_expected=None if None in expected else sum(e or 0.0 for e in expected),
    )


def _rate_at_target(target: ScalingTarget, service: ServiceLevels, step: StepModel) -> tuple[float, str]:
    """Requests/s one instance (copy) serves where target tracking holds it: the target's
    requests in flight at their TPOT (service levels), or the invocations target."""
    if target.metric == "invocations":
        return target.target / 60, f"the scaling target, {target.target:g} invocations a minute"
    return service.tokens_per_second / step.tokens_out, (
        f"{service.concurrency:g} requests in flight at a TPOT of {service.tpot_p90_ms:.0f} ms, "
        f"{step.tokens_out} output tokens each (estimate)"
    )


def _scaling_plan(at: str, tier: Tier, cold_start_s: int, service: ServiceLevels) -> ScalingPlan:
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
