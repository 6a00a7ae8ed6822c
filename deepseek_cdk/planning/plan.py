"""The planning pipeline: a deployment spec resolved against the catalog into a Plan, tier by
tier, then checked across tiers. Each stage lives with its subject (instance_choice, measured,
scaling, cost, versions, checks...); the records it fills are in planning.records. Both
renderers read the Plan: the CDK stacks synthesize it, the CLI prints it. No AWS or CDK import.
"""

from __future__ import annotations

from dataclasses import replace

from deepseek_cdk.catalog import CONTAINERS, INSTANCES, MODELS
from deepseek_cdk.catalog.prices import HOME_REGION, PRICES, Price, PriceTable
from deepseek_cdk.names import endpoint_name
from deepseek_cdk.planning import startup
from deepseek_cdk.planning.alarms import alarm_plan
from deepseek_cdk.planning.answers import answer_limits
from deepseek_cdk.planning.audit_bill import AuditBill, capture_bill, logs_bill, monitoring_bill
from deepseek_cdk.planning.capacity import CapacityError, capacity_plan, weekly_share
from deepseek_cdk.planning.checks import name_problems, unservable_rules
from deepseek_cdk.planning.container_env import S3_MODEL_DIR, container_env
from deepseek_cdk.planning.copy_request import copy_request
from deepseek_cdk.planning.cost import tier_cost
from deepseek_cdk.planning.demand import demand_plan
from deepseek_cdk.planning.economics import token_economics
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.fleets import FleetSeat, choose_fleets, fleet_seat, plan_fleets
from deepseek_cdk.planning.instance_choice import InstanceChoice, choose_instance
from deepseek_cdk.planning.measured import far_from_estimate, measured_levels, measured_throughput
from deepseek_cdk.planning.records import (
    DataCapturePlan,
    MonitoringPlan,
    Plan,
    RouterPlan,
    TierPlan,
    queue_prefixes,
)
from deepseek_cdk.planning.rollout import RolloutError, rollout_plan
from deepseek_cdk.planning.scaling import rate_at_target, scaling_plan
from deepseek_cdk.planning.service_levels import measured_by
from deepseek_cdk.planning.throughput import estimate_throughput, lengths
from deepseek_cdk.planning.units import HOURS_PER_MONTH
from deepseek_cdk.planning.versions import (
    CAPTURE_PREFIX,
    RetentionPlan,
    VersionPlan,
    revision_warnings,
    settings_hash,
    unproven_combination,
    version_monthly,
    versioning_cost,
)
from deepseek_cdk.spec import Deployment, Tier

# An inference component's copy on an endpoint of its own uses all the instance's GPUs (the
# planner gives such tiers one model copy per instance); it reserves half the host memory and
# leaves the rest to the OS and SageMaker's agents. On a shared fleet, planning.packing sizes it.
COPY_HOST_MEMORY_SHARE = 0.5


def build_plan(deployment: Deployment) -> Plan:
    """Resolve every fleet's instance type, then every tier (a fleet's members on it), then
    each fleet's packing and cost; all problems are reported together as one PlanError."""
    tiers: list[TierPlan] = []
    prices = prices_of(deployment)
    choices, problems = choose_fleets(deployment, prices)
    for i, tier in enumerate(deployment.tiers):
        if tier.fleet is not None and tier.fleet not in choices:
            continue  # the fleet's own problem names it
        seat = fleet_seat(deployment, tier, choices[tier.fleet]) if tier.fleet is not None else None
        try:
            tiers.append(_plan_tier(f"tiers[{i}]", tier, deployment, prices, seat=seat))
        except PlanError as err:
            problems += err.problems
    fleets: list[FleetPlan] = []
    if deployment.fleet and not problems:
        try:
            fleets, tiers = plan_fleets(
                deployment, tiers, choices, prices, lambda at, t: _plan_tier(at, t, deployment, prices)
            )
        except PlanError as err:
            problems += err.problems
    problems += name_problems(deployment, tiers, fleets)
    if deployment.router is not None and not problems:
        problems += unservable_rules(deployment.router, {t.name: t for t in tiers})
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
        fleets=tuple(fleets),
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
        audit=AuditBill(
            logs=logs_bill([(t.name, t.demand) for t in tiers]) if deployment.router is not None else None,
            monitoring=monitoring_bill(
                [(t.name, t.endpoint, t.capacity, t.scaling.target.predefined_metric) for t in tiers],
                routed=deployment.router is not None,
            ),
        ),
    )


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


def _plan_tier(
    at: str, tier: Tier, deployment: Deployment, prices: PriceTable, *, seat: FleetSeat | None = None
) -> TierPlan:
    """One tier; a fleet's member (`seat`) runs its copies on some of the fleet's GPUs: its
    estimates run on those, its price is their share of the instance's."""
    refused = unproven_combination(at, tier)
    if refused:
        raise PlanError(refused)
    model = MODELS[tier.model]
    traffic = deployment.traffic.get(tier.name)
    request = copy_request(tier, traffic)
    context, workload, objectives = request.lengths.context_tokens, request.workload, request.objectives
    if seat is None:
        choice = choose_instance(
            at,
            request,
            tier.instance_type,
            region=deployment.region,
            prices=prices,
            copies=tier.may_run_copies,
        )
        instance = INSTANCES[choice.fit.instance_type]
        price = prices.price(deployment.region, choice.fit.instance_type)
    else:
        placed = seat.seat.candidate
        choice = InstanceChoice(placed.fit, placed.step, placed.levels, placed.usd_per_million_tokens, ())
        instance, price = seat.seat.instance, seat.seat.price
    fit = choice.fit
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
    throughput = measured_throughput(at, tier, fit, traffic) or estimated
    step, service = measured_levels(tier, choice, objectives)
    scaling = scaling_plan(at, tier, cold_start_s, service)
    rate, basis = rate_at_target(scaling.target, service, step)
    knob = "target" if objectives.streamed else "backlog_per_instance"
    warnings = [f"{at}.scaling.{knob}: {miss}" for miss in service.misses(objectives)]
    warnings += far_from_estimate(at, tier, choice.step)
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
            copies=fit.copies,
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
    shares = {v.version: weekly_share(v, weekly) for v in capacity.versions}
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

    cost = tier_cost(price, versions)
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
        endpoint_name=seat.endpoint_name
        if seat
        else endpoint_name(
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
        instance_chosen=seat.instance_chosen
        if seat
        else "auto"
        if tier.instance_type == "auto"
        else "explicit",
        alternatives=choice.alternatives,
        gpu=f"{instance.gpu.name} {instance.gpu.memory_gb:g} GB",
        gpu_count=seat.seat.host.gpu_count if seat else instance.gpu_count,
        tensor_parallel_degree=fit.tensor_parallel_degree,
        copies=fit.copies,
        copy_memory_mb=seat.seat.memory_mb
        if seat
        else int(instance.host_memory_gib * 1024 * COPY_HOST_MEMORY_SHARE),
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
        measured_by=measured_by(objectives, routed=deployment.router is not None),
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
        capture_bill=(
            capture_bill(
                sample_percent=tier.data_capture.sample_percent,
                shadow_percent=tier.shadow.sample_percent if tier.shadow else None,
                demand=demand,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                retention=RetentionPlan(**deployment.retention.model_dump()),
            )
            if tier.data_capture and demand is not None
            else None
        ),
        versioning=versioning,
        registry_group=f"{deployment.name}-{tier.name}",
        warnings=tuple(warnings + revision_warnings(versions, from_hub=from_hub)),
        fleet=seat.fleet if seat else None,
    )
