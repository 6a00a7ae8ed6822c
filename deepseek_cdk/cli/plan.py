"""`deepseek-cdk plan`: the resolved plan of a deployment, as text."""

from __future__ import annotations

from deepseek_cdk.catalog.storage import (
    GLACIER_IR_PER_GB_MONTH,
    STANDARD_PER_GB_MONTH,
    STORAGE_PRICE_DATE,
    STORAGE_PRICE_REGION,
)
from deepseek_cdk.cli.audit import audit_lines, capture_line
from deepseek_cdk.cli.money import money_range, money_span
from deepseek_cdk.planning import HOURS_PER_MONTH, Plan, TierPlan
from deepseek_cdk.planning.versions import RetentionPlan
from deepseek_cdk.runtime.router.contract import INVOKE_ROUTE, STREAM_ROUTE


def render_plan(plan: Plan) -> str:
    where = plan.region or "environment-agnostic"
    lines = [
        f"Deployment {plan.deployment} (region: {where})",
        f"Prices: SageMaker on-demand, {', '.join(plan.price_regions)}, read {plan.price_date}; "
        f"{HOURS_PER_MONTH} h a month.",
    ]
    if plan.region is not None and not plan.offerings_known:
        lines.append(
            f"Instance types offered in {plan.region}: not checked (the price file does not list them; "
            "`deepseek-cdk prices refresh` reads every region's)."
        )
    for tier in plan.tiers:
        lines += [
            "",
            *_render_tier(
                tier,
                routed=plan.router is not None,
                retention=plan.retention,
                region=plan.price_home,
                email=plan.monitoring.alarm_email,
            ),
        ]
    lines += _render_router(plan)
    lines += ["", _render_total(plan), *audit_lines(plan), *_render_monitoring(plan), _render_retention(plan)]
    return "\n".join(lines)


def _render_retention(plan: Plan) -> str:
    keep = plan.retention
    queued = sorted({prefix.rsplit("/", 2)[0] + "/" for prefix in keep.async_prefixes})
    async_data = (
        f" Async prompts, results and failures under {', '.join(queued)} are deleted "
        f"{keep.async_days} days after they were written."
        if queued
        else ""
    )
    return (
        f"Retention (artifacts bucket): replaced weights under {keep.models_prefix} and captured data under "
        f"{keep.capture_prefix} move to Glacier Instant Retrieval after {keep.archive_after_days} days and "
        f"expire after {keep.expire_after_days}; the newest {keep.keep_noncurrent_versions} replaced "
        f"versions of each file are kept.{async_data} "
        f"S3 prices: {STORAGE_PRICE_REGION}, {STORAGE_PRICE_DATE}."
    )


def _render_router(plan: Plan) -> list[str]:
    """Where requests go, and what happens to answers longer than POST /invoke carries."""
    if plan.router is None:
        return []
    lines = ["", f"Router: default tier {plan.router.default_tier}"]
    for rule in plan.router.rules:
        when = ", ".join(f"{k} {v}" for k, v in rule.items() if k != "tier")
        lines.append(f"  rule: {when} -> {rule['tier']}")
    async_tiers = {tier.name for tier in plan.tiers if tier.endpoint.queued}
    to_async = [
        r["max_tokens_at_least"]
        for r in plan.router.rules
        if r["tier"] in async_tiers and set(r) == {"tier", "max_tokens_at_least"}
    ]
    for tier in plan.tiers:
        if tier.endpoint.queued:
            continue
        line = (
            f"  {tier.name}: answers up to {tier.answers.buffered_max_tokens} tokens on POST {INVOKE_ROUTE}, "
            f"up to {tier.answers.stream_max_tokens} on POST {STREAM_ROUTE}"
        )
        if to_async:
            line += f"; rules send max_tokens >= {min(to_async)} to an async tier"
            if tier.answers.stream_max_tokens >= min(to_async):
                line += f" (a request naming tier {tier.name} streams them)"
        lines.append(line)
    return lines


def _render_monitoring(plan: Plan) -> list[str]:
    monitoring = plan.monitoring
    email = monitoring.alarm_email
    alarms = f"Alarms notify the alerts topic{f' and {email}' if email else ''}."
    if monitoring.budget_usd_per_month is None:
        return [alarms]
    return [
        alarms,
        f"Budget: ${monitoring.budget_usd_per_month:,.0f}/month on the cost-allocation tag "
        f"deployment={plan.deployment}. "
        "It counts nothing until `deployment` is activated as a cost-allocation tag (Billing console, "
        "Cost allocation tags; once per account, and the tag appears there only after the first "
        "tagged resource is billed).",
    ]


def _render_tier(
    tier: TierPlan, *, routed: bool, retention: RetentionPlan, region: str, email: str | None
) -> list[str]:
    memory = tier.memory
    scaling = tier.scaling
    chosen = "lowest cost per token at the objectives" if tier.instance_chosen == "auto" else "explicit"
    storage = "local NVMe" if tier.volume_size_gb is None else f"{tier.volume_size_gb} GB EBS"
    metric = scaling.target.predefined_metric or f"{scaling.target.metric} per instance (customized metric)"
    rows: list[tuple[str, list[str]]] = [
        ("endpoint", [tier.endpoint_name]),
        ("model", [f"{tier.model} ({tier.hf_id}), weights from {tier.weights_source}"]),
        ("container", [f"{tier.container}: {tier.image_repository}:{tier.image_tag}"]),
        ("instance", [f"{tier.instance_type} ({chosen}): {tier.gpu_count} x {tier.gpu}, {storage}"]),
        *_render_alternatives(tier),
        (
            "parallelism",
            [f"{memory.layout}, KV cache copies {memory.kv_replicas}"],
        ),
        ("workload", _render_workload(tier)),
        (
            "memory (GB)",
            [
                ("each copy: " if memory.copies > 1 else "")
                + f"{memory.usable_gb:.1f} usable of {memory.total_gb:.1f} (the driver's) = "
                f"{memory.weights_gb:.1f} weights + "
                f"{memory.kv_cache_gb:.1f} KV cache + {memory.overhead_gb:.1f} overhead + "
                f"{memory.margin_gb:.1f} safety margin + {memory.free_gb:.1f} free"
            ],
        ),
        (
            "timeouts",
            [
                f"model download {tier.model_download_timeout_s} s, start-up health check "
                f"{tier.startup_health_check_timeout_s} s; a cold start may take up to "
                f"{tier.cold_start_s} s, typically about {tier.typical_start_s} s (estimate)"
            ],
        ),
        (
            "throughput",
            [
                f"~{tier.throughput.tokens_per_second:,.0f} tokens/s, "
                f"{tier.throughput.requests_per_second:.2f} requests/s per instance ({tier.throughput.basis})"
            ],
        ),
        ("objectives", _render_objectives(tier)),
        ("estimates", _render_service(tier)),
        *(_render_demand(tier) if tier.demand else []),
        *(_render_answers(tier) if routed else []),
        ("capacity", [f"{tier.capacity.min}-{tier.capacity.max} {tier.capacity.unit}"]),
        (
            "scaling",
            [
                f"{metric}, target {scaling.target.target:g}",
                f"= {scaling.target.derivation}",
                f"cooldowns: scale out {scaling.scale_out_cooldown_s} s, "
                f"scale in {scaling.scale_in_cooldown_s} s"
                + (
                    f", from zero {scaling.scale_from_zero_cooldown_s} s (the cold start)"
                    if any(v.reaches_zero for v in tier.capacity.live)
                    else ""
                ),
            ],
        ),
        (
            "schedules",
            [f"{x.name}: {x.expression} {x.timezone}, " + _bounds(x.min, x.max) for x in scaling.schedules]
            or ["none"],
        ),
        ("week (UTC)", [seg.describe() for seg in scaling.calendar.segments]),
        *([("on deploy", on_deploy)] if (on_deploy := _render_on_deploy(tier)) else []),
        *([("notes", list(scaling.notes))] if scaling.notes else []),
        ("alarms", _render_alarms(tier)),
        *([("job notices", _render_job_notices(tier, email))] if tier.queue else []),
        ("versions", _render_versions(tier)),
        *([("rollout", _render_rollout(tier))] if tier.rollout else []),
        *(
            [
                (
                    "capture",
                    [
                        f"{tier.data_capture.sample_percent}% of requests and answers"
                        f"{' (the shadow' + chr(39) + 's too)' if tier.capacity.shadow else ''} "
                        f"to {tier.data_capture.prefix} in the artifacts bucket, as JSON text"
                    ],
                )
            ]
            if tier.data_capture
            else []
        ),
        ("versioning", _render_versioning(tier, retention)),
        ("cost", [_render_cost(tier, region), *_render_tokens(tier)]),
        *([("warnings", list(tier.warnings))] if tier.warnings else []),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"Tier {tier.name}: {tier.endpoint}"]
    for key, values in rows:
        lines += [f"  {(key if i == 0 else '').ljust(width)}  {v}" for i, v in enumerate(values)]
    return lines


def _render_workload(tier: TierPlan) -> list[str]:
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


def _render_demand(tier: TierPlan) -> list[tuple[str, list[str]]]:
    """The tier's `traffic` against its capacity: what the peak needs, what the week averages."""
    demand = tier.demand
    assert demand is not None
    unit = tier.capacity.unit
    lines = [
        f"peak {demand.peak_rps:g} requests/s, {demand.pattern}: {demand.assumption} (assumed)",
        f"one {unit.rstrip('s')} serves {demand.rate_per_instance:.2f} requests/s at {demand.rate_basis}",
        f"the peak needs {demand.needed_at_peak} {unit}; expected {demand.average_instances:.2f} on "
        "average within the week's bounds",
    ]
    if demand.hours_short:
        lines.append(
            f"WARNING: short {demand.hours_short:g} h a week: the week's max is below what the traffic "
            f"needs and requests queue; raise scaling.max or the schedules' max"
        )
    return [("traffic", lines)]


def _render_answers(tier: TierPlan) -> list[tuple[str, list[str]]]:
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


def _render_alternatives(tier: TierPlan) -> list[tuple[str, list[str]]]:
    """What `auto` did not take, and why."""
    if not tier.alternatives:
        return []
    return [
        (
            "not chosen",
            [
                f"{a.instance_type}: "
                + (f"${a.usd_per_million_tokens:.2f}/Mtok, " if a.usd_per_million_tokens is not None else "")
                + a.reason
                for a in tier.alternatives
            ],
        )
    ]


def _render_objectives(tier: TierPlan) -> list[str]:
    objectives = tier.objectives
    return [f"{objectives.describe()} ({objectives.source})", f"measured by {tier.measured_by}"]


def _render_service(tier: TierPlan) -> list[str]:
    """The estimated p90 TTFT and TPOT at the target (completion time for async tiers)."""
    service = tier.service
    per_token = (
        f"p90 TTFT {_range(service.ttft_low_s, service.ttft_p90_s, '.2f')} s, "
        f"p90 TPOT {_range(service.tpot_low_ms, service.tpot_p90_ms, '.0f')} ms"
    )
    rate = f"{service.tokens_per_second:,.0f} output tokens/s per {tier.capacity.unit.rstrip('s')}"
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


def _render_alarms(tier: TierPlan) -> list[str]:
    settings = tier.alarms.settings
    latency, no_capacity = tier.alarms.derivation
    invocations = (
        f"latency p90 > {settings.latency_p90_us:,} µs, 5XX > {settings.error_5xx_rate:.1%}, "
        f"4XX > {settings.error_4xx_rate:.1%}"
    )
    if tier.endpoint.queued:
        return [
            f"oldest request > {settings.oldest_request_s} s, backlog > {settings.backlog_size}, "
            "requests waiting "
            f"with no instance for {settings.no_capacity_minutes} min, any invocation failure",
            no_capacity,
        ]
    if tier.endpoint.per_component:
        return [
            f"{invocations}, no-capacity failures for {settings.no_capacity_minutes} min, "
            f"copies at max for {settings.at_max_minutes} min",
            latency,
            no_capacity,
        ]
    return [
        f"{invocations}, disk > {settings.disk_percent:g}%, at max for {settings.at_max_minutes} min",
        latency,
    ]


def _render_on_deploy(tier: TierPlan) -> list[str]:
    """What a stack update does to capacity that scaling has moved. Real-time and async
    variants keep their instance count (RetainAllVariantProperties). An inference
    component's CopyCount has no such switch: AWS::SageMaker::InferenceComponent
    RuntimeConfig.CopyCount is write-only and the resource has no retain property (the
    registry schema, cfn-lint's us_east_1 provider schema), so an update that touches the
    component starts it from the template's count. And CloudFormation updates a scalable
    target through RegisterScalableTarget, which sets the template's min and max and moves
    the capacity into them (Application Auto Scaling API Reference, RegisterScalableTarget):
    what a schedule set holds again only from its next firing."""
    lines = []
    if tier.endpoint.per_component:
        lines += [
            f"an update of component {v.slot} (a new model, resources or start-up timeouts) sets it to "
            f"{v.initial} {'copy' if v.initial == 1 else 'copies'} (CopyCount; CloudFormation cannot keep "
            "the count autoscaling reached), and scaling adds copies again from there"
            for v in tier.capacity.live
        ]
    if tier.scaling.schedules:
        lines.append(
            f"an update of the scaling bounds or schedules sets min-max back to {tier.capacity.min}-"
            f"{tier.capacity.max} {tier.capacity.unit} until the next schedule fires: deploy where the week "
            "runs at those bounds"
        )
    return lines


def _render_job_notices(tier: TierPlan, email: str | None) -> list[str]:
    """Who reads the SNS messages SageMaker sends for each finished and each failed job."""
    assert tier.queue is not None
    failures = (
        f"failed jobs: one e-mail each to {email} (the alarm_email), with the job's error under "
        f"{tier.queue.failures}"
        if email
        else f"failed jobs: the error topic has no subscriber (no alarm_email); the errors are under "
        f"{tier.queue.failures} and the invocation-failure alarm counts them"
    )
    return [
        failures,
        "finished jobs: the success topic has no subscriber (GET /jobs/{id} and `invoke` read results "
        "from S3); subscribe a queue or a function to be told instead of polling",
    ]


def _render_versions(tier: TierPlan) -> list[str]:
    """Per version: its role and variant, its instances, its cost, its registry status."""
    unit = tier.capacity.unit
    lines = []
    for version, share in zip(tier.versions, tier.capacity.versions, strict=True):
        status = f"{version.approval}, settings {version.settings_hash}"
        if share.role == "staged":
            lines.append(f"{share.version} staged: model and registry entry only, no {unit}, $0; {status}")
            continue
        role = (
            f"shadow of {tier.shadow_percent:g}% of requests"
            if share.role == "shadow"
            else f"{share.weight:g}% of requests"
        )
        scheduled = "".join(f"; {s.name}: {_bounds(s.min, s.max)}" for s in share.schedules)
        lines.append(
            f"{share.version} {role} ({'component' if tier.endpoint.per_component else 'variant'} "
            f"{share.slot}): {share.min}-{share.max} {unit}, starts with "
            f"{share.initial}{scheduled}; {money_range(version.monthly_at_min, version.monthly_at_max)}; "
            f"{status}"
        )
    return lines


def _render_rollout(tier: TierPlan) -> list[str]:
    rollout = tier.rollout
    assert rollout is not None
    unit = "copies" if rollout.method == "rolling" else "instances"
    cost = (
        f"~{money_span(rollout.cost_per_rollout, rollout.cost_per_rollout_at_max)} per rollout (estimate)"
        if rollout.cost_per_rollout is not None and rollout.cost_per_rollout_at_max is not None
        else "cost unknown (no instance price)"
    )
    return [
        rollout.describe(),
        f"a rollout runs {rollout.extra_instances}-{rollout.extra_instances_at_max} more {unit} (at the "
        f"tier's min-max) for about {rollout.duration_s / 3600:.1f} h: {cost}",
    ]


def _render_versioning(tier: TierPlan, retention: RetentionPlan) -> list[str]:
    """What keeping several versions adds: the shadow, stored weights, rollouts."""
    cost = tier.versioning
    parts = [f"{cost.live} live"]
    if tier.capacity.shadow:
        parts.append("1 shadow")
    parts.append(f"{cost.staged} staged")
    lines = [
        ", ".join(parts) + f"; each a package in registry group {tier.registry_group} "
        "(retained when removed from the spec)"
    ]
    if cost.stored_gb:
        keep = retention
        lines.append(
            f"weights in S3: {cost.stored_gb:,.0f} GB x ${STANDARD_PER_GB_MONTH}/GB-month (S3 Standard) = "
            f"${cost.storage_monthly:,.2f}/month"
        )
        if cost.retention_applies:
            lines.append(
                f"a retired version (its prefix deleted): ${cost.retired_standard_monthly:,.2f}/month for "
                f"{keep.archive_after_days} days, then ${cost.retired_archived_monthly:,.2f}/month in "
                f"Glacier Instant Retrieval (${GLACIER_IR_PER_GB_MONTH}/GB-month, 90 days at least) while "
                f"among the newest {keep.keep_noncurrent_versions} replaced versions of its files: a deleted "
                "prefix's files stay so until deleted by hand; older replaced versions expire after "
                f"{keep.expire_after_days} days"
            )
        else:
            lines.append(
                "weights outside this deployment's artifacts bucket: its retention rules do not apply to "
                "them; a retired version costs S3 Standard until it is deleted"
            )
    else:
        lines.append("weights from the Hub: nothing stored per version")
    if tier.data_capture:
        lines.append(capture_line(tier))
    extra = money_range(cost.extra_monthly_at_min, cost.extra_monthly_at_max)
    rollout = f", plus ~${cost.rollout_cost:,.0f} per rollout" if cost.rollout_cost is not None else ""
    if len(tier.versions) > 1:
        lines.append(f"running {len(tier.versions)} versions costs {extra} more than one{rollout}")
    elif rollout:
        lines.append(f"one version{rollout}")
    return lines


def _bounds(low: int | None, high: int | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (("min", low), ("max", high)) if v is not None)


def _render_cost(tier: TierPlan, region: str) -> str:
    """`region`: the deployment's, whose prices the plan uses where the catalog has them."""
    cost, note = tier.cost, tier.price.note(region)
    if cost is None:
        return f"unknown: {tier.instance_type}: {note}"
    cal = tier.scaling.calendar
    shadow = tier.capacity.shadow
    elsewhere = f" ({note})" if note else ""
    return (
        f"${cost.price_per_hour:,.3f}/h per instance{elsewhere}; "
        f"{money_span(cost.monthly_at_min, cost.monthly_at_max)}/month "
        f"(scheduled min-max: {cal.average_min:.2f}-{cal.average_max:.2f} instances on average"
        + (f", and the shadow's {shadow.min}-{shadow.max}" if shadow else "")
        + ")"
        + (
            f"; expected ${cost.monthly_expected:,.0f}/month at the traffic (estimate)"
            if cost.monthly_expected is not None
            else ""
        )
    )


def _render_tokens(tier: TierPlan) -> list[str]:
    economics = tier.economics
    if economics.per_million_at_target is None:
        return []
    return [
        f"${economics.per_million_at_target:,.2f} per million output tokens at the scaling target (estimate; "
        "`deepseek-cdk cost` compares hosted APIs)"
    ]


def _render_total(plan: Plan) -> str:
    priced = [tier.cost for tier in plan.tiers if tier.cost is not None]
    low = sum(c.monthly_at_min for c in priced)
    high = sum(c.monthly_at_max for c in priced)
    unknown = [f"{tier.name} ({tier.instance_type})" for tier in plan.tiers if tier.cost is None]
    if not priced:
        return f"Total: unknown: the catalog has no price for {', '.join(unknown)}"
    total = f"Total: {money_span(low, high)}/month for instances"
    if unknown:
        total += f", plus tiers the catalog has no price for: {', '.join(unknown)}"
    return total
