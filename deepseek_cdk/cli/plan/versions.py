"""A tier's version and cost rows in `deepseek-cdk plan`: each version's share and price, the
rollout, what keeping several versions costs, and the tier's cost per month and per token."""

from __future__ import annotations

from deepseek_cdk.catalog.storage import GLACIER_IR_PER_GB_MONTH, STANDARD_PER_GB_MONTH
from deepseek_cdk.cli.audit import capture_line
from deepseek_cdk.cli.plan.scaling import bounds
from deepseek_cdk.money import money, money_range, money_span, per_hour
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.versions import RetentionPlan


def render_versions(tier: TierPlan) -> list[str]:
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
        scheduled = "".join(f"; {s.name}: {bounds(s.min, s.max)}" for s in share.schedules)
        lines.append(
            f"{share.version} {role} ({'component' if tier.endpoint.per_component else 'variant'} "
            f"{share.slot}): {share.min}-{share.max} {unit}, starts with "
            f"{share.initial}{scheduled}; {money_range(version.monthly_at_min, version.monthly_at_max)}; "
            f"{status}"
        )
    return lines


def render_rollout(tier: TierPlan) -> list[str]:
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


def render_versioning(tier: TierPlan, retention: RetentionPlan) -> list[str]:
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
            f"{money(cost.storage_monthly, cents=True)}/month"
        )
        if cost.retention_applies:
            lines.append(
                "a retired version (its prefix deleted): "
                f"{money(cost.retired_standard_monthly, cents=True)}/month for {keep.archive_after_days} "
                f"days, then {money(cost.retired_archived_monthly, cents=True)}/month in "
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
    rollout = f", plus ~{money(cost.rollout_cost)} per rollout" if cost.rollout_cost is not None else ""
    if len(tier.versions) > 1:
        lines.append(f"running {len(tier.versions)} versions costs {extra} more than one{rollout}")
    elif rollout:
        lines.append(f"one version{rollout}")
    return lines


def render_cost(tier: TierPlan, region: str) -> str:
    """`region`: the deployment's, whose prices the plan uses where the catalog has them."""
    cost, note = tier.cost, tier.price.note(region)
    if cost is None:
        return f"unknown: {tier.instance_type}: {note}"
    cal = tier.scaling.calendar
    shadow = tier.capacity.shadow
    elsewhere = f" ({note})" if note else ""
    unit = ("copy", "copies") if tier.fleet else ("instance", "instances")
    return (
        f"{per_hour(cost.price_per_hour)} per {unit[0]}{elsewhere}; "
        f"{money_span(cost.monthly_at_min, cost.monthly_at_max)}/month "
        f"(scheduled min-max: {cal.average_min:.2f}-{cal.average_max:.2f} {unit[1]} on average"
        + (f", and the shadow's {shadow.min}-{shadow.max}" if shadow else "")
        + ")"
        + (
            f"; expected {money(cost.monthly_expected)}/month at the traffic (estimate)"
            if cost.monthly_expected is not None
            else ""
        )
    )


def render_tokens(tier: TierPlan) -> list[str]:
    economics = tier.economics
    if economics.per_million_at_target is None:
        return []
    return [
        f"{money(economics.per_million_at_target, cents=True)} per million output tokens at the scaling "
        "target (estimate; `deepseek-cdk cost` compares hosted APIs)"
    ]
