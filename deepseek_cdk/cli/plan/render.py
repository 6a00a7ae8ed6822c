"""`deepseek-cdk plan`: the deployment's lines (header, router, total, monitoring, retention)
and each tier's table, its rows from the modules beside this one."""

from __future__ import annotations

from deepseek_cdk.catalog.storage import STORAGE_PRICE_DATE, STORAGE_PRICE_REGION
from deepseek_cdk.cli.audit import audit_lines
from deepseek_cdk.cli.plan.fleet import render_fleets
from deepseek_cdk.cli.plan.scaling import bounds, render_alarms, render_job_notices, render_on_deploy
from deepseek_cdk.cli.plan.serving import (
    render_alternatives,
    render_answers,
    render_demand,
    render_objectives,
    render_service,
    render_workload,
)
from deepseek_cdk.cli.plan.versions import (
    render_cost,
    render_rollout,
    render_tokens,
    render_versioning,
    render_versions,
)
from deepseek_cdk.money import money, money_span
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
    lines += render_fleets(plan)
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
        f"Budget: {money(monitoring.budget_usd_per_month)}/month on the cost-allocation tag "
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
    metric = scaling.target.label
    rows: list[tuple[str, list[str]]] = [
        ("endpoint", [tier.endpoint_name]),
        ("model", [f"{tier.model} ({tier.hf_id}), weights from {tier.weights_source}"]),
        ("container", [f"{tier.container}: {tier.image_repository}:{tier.image_tag}"]),
        ("instance", [_instance(tier, chosen, storage)]),
        *render_alternatives(tier.alternatives),
        (
            "parallelism",
            [f"{memory.layout}, KV cache copies {memory.kv_replicas}"],
        ),
        ("workload", render_workload(tier)),
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
                f"{tier.throughput.requests_per_second:.2f} requests/s per "
                f"{'copy' if tier.fleet else 'instance'} ({tier.throughput.basis})"
            ],
        ),
        ("objectives", render_objectives(tier)),
        ("estimates", render_service(tier)),
        *(render_demand(tier) if tier.demand else []),
        *(render_answers(tier) if routed else []),
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
            [f"{x.name}: {x.expression} {x.timezone}, " + bounds(x.min, x.max) for x in scaling.schedules]
            or ["none"],
        ),
        ("week (UTC)", [seg.describe() for seg in scaling.calendar.segments]),
        *([("on deploy", on_deploy)] if (on_deploy := render_on_deploy(tier)) else []),
        *([("notes", list(scaling.notes))] if scaling.notes else []),
        ("alarms", render_alarms(tier)),
        *([("job notices", render_job_notices(tier, email))] if tier.queue else []),
        ("versions", render_versions(tier)),
        *([("rollout", render_rollout(tier))] if tier.rollout else []),
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
        ("versioning", render_versioning(tier, retention)),
        ("cost", [render_cost(tier, region), *render_tokens(tier)]),
        *([("warnings", list(tier.warnings))] if tier.warnings else []),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"Tier {tier.name}: {tier.endpoint}"]
    for key, values in rows:
        lines += [f"  {(key if i == 0 else '').ljust(width)}  {v}" for i, v in enumerate(values)]
    return lines


def _instance(tier: TierPlan, chosen: str, storage: str) -> str:
    if tier.fleet is None:
        return f"{tier.instance_type} ({chosen}): {tier.gpu_count} x {tier.gpu}, {storage}"
    chosen = "the fleet's auto choice" if tier.instance_chosen == "auto" else "the fleet's, explicit"
    return (
        f"{tier.instance_type} of fleet {tier.fleet} ({chosen}): a copy on {tier.tensor_parallel_degree} of "
        f"its {tier.gpu_count} x {tier.gpu}, {storage}"
    )


def _render_total(plan: Plan) -> str:
    """Tiers on endpoints of their own, and each fleet whole (its idle GPUs too)."""
    totals = plan.monthly_totals()
    unknown = ", ".join(totals.unpriced)
    if len(totals.unpriced) == len(plan.fleets) + len([t for t in plan.tiers if t.fleet is None]):
        return f"Total: unknown: the catalog has no price for {unknown}"
    total = f"Total: {money_span(totals.at_min, totals.at_max)}/month for instances"
    if plan.fleets:
        total += " (each fleet whole)"
    if unknown:
        total += f", plus what the catalog has no price for: {unknown}"
    return total
