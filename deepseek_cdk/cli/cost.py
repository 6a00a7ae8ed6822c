"""`deepseek-cdk cost`: what each tier and version costs a month (at the scheduled min, at
the traffic, at the max), what its versions add, what an output token costs, and when
self-hosting beats a hosted API; each shared fleet against separate endpoints for its tiers.
The text is a rendering of the JSON (`--json`), and both read the plan's numbers only: the
plan, the cost report and the dashboard cannot disagree."""

from __future__ import annotations

import argparse
import json
from typing import Any

from deepseek_cdk.catalog.storage import STORAGE_PRICE_DATE, STORAGE_PRICE_REGION
from deepseek_cdk.cli.audit import audit_lines, audit_report, capture_line, capture_report
from deepseek_cdk.cli.common import add_file
from deepseek_cdk.money import money, per_hour
from deepseek_cdk.planning import HOURS_PER_MONTH, Plan, TierPlan
from deepseek_cdk.planning.fleet_plan import FleetPlan

MILLION = 1_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(plan: Plan, args: argparse.Namespace) -> int:
    print(json.dumps(cost_report(plan), indent=2) if args.json else render_cost(plan))
    return 0


def cost_report(plan: Plan) -> dict[str, Any]:
    """The cost report as plain data (what `--json` prints)."""
    tiers = [_tier_report(tier, plan.price_home) for tier in plan.tiers]
    captured = [t["captured_data"]["monthly"] for t in tiers if t["captured_data"]]
    totals = plan.monthly_totals()  # a fleet whole, not its members' shares
    return {
        "deployment": plan.deployment,
        "region": plan.region,
        "currency": "USD",
        "hours_per_month": HOURS_PER_MONTH,
        "instance_prices": {
            "source": "SageMaker on-demand",
            "regions": list(plan.price_regions),
            "as_of": plan.price_date,
        },
        "storage_prices": {
            "source": "Amazon S3",
            "region": STORAGE_PRICE_REGION,
            "as_of": STORAGE_PRICE_DATE,
        },
        "api_prices": {
            name: {
                "input_per_million": price.input_usd_per_million,
                "output_per_million": price.output_usd_per_million,
                "as_of": price.as_of,
                "source": price.source,
            }
            for name, price in plan.api_prices.items()
        },
        "tiers": tiers,
        "fleets": [fleet_report(fleet) for fleet in plan.fleets],
        "total": {
            "at_min": totals.at_min,
            "expected": totals.expected,
            "at_max": totals.at_max,
            "unpriced_tiers": list(totals.unpriced),
        },
        # Beside the instances (not in the totals above): captured data, logs, metrics, alarms.
        "audit": {**audit_report(plan), "captured_data": sum(captured), "lines": audit_lines(plan)},
        "budget_per_month": plan.monitoring.budget_usd_per_month,
    }


def _tier_report(tier: TierPlan, home: str) -> dict[str, Any]:
    """`home`: the region whose own prices the report prefers (the deployment's)."""
    cost, economics, versioning = tier.cost, tier.economics, tier.versioning
    roles = {v.version: v.role for v in tier.capacity.versions}
    return {
        "name": tier.name,
        "model": tier.model,
        "endpoint": str(tier.endpoint),
        "instance_type": tier.instance_type,
        "price_per_hour": cost.price_per_hour if cost else None,
        "price_region": tier.price.region,
        "price_note": tier.price.note(home),
        "monthly": {
            "at_min": cost.monthly_at_min if cost else None,
            "expected": cost.monthly_expected if cost else None,
            "at_max": cost.monthly_at_max if cost else None,
        },
        "versions": [
            {
                "name": v.name,
                "role": roles[v.name],
                "weight": v.weight,
                "at_min": v.monthly_at_min,
                "expected": v.monthly_expected,
                "at_max": v.monthly_at_max,
            }
            for v in tier.versions
        ],
        "versioning": {
            "shadow_at_min": versioning.shadow_monthly_at_min,
            "shadow_at_max": versioning.shadow_monthly_at_max,
            "per_rollout": versioning.rollout_cost,
            "per_rollout_at_max": tier.rollout.cost_per_rollout_at_max if tier.rollout else None,
            "rollout_extra_instances": (
                [tier.rollout.extra_instances, tier.rollout.extra_instances_at_max] if tier.rollout else None
            ),
            "weights_storage_per_month": versioning.storage_monthly,
            "retired_version_standard_per_month": versioning.retired_standard_monthly,
            "retired_version_archived_per_month": versioning.retired_archived_monthly,
            "retention_applies": versioning.retention_applies,
            "extra_at_min": versioning.extra_monthly_at_min,
            "extra_at_max": versioning.extra_monthly_at_max,
        },
        "captured_data": capture_report(tier),
        "captured_data_line": capture_line(tier) or None,
        "tokens_per_request": {"input": economics.input_tokens, "output": economics.output_tokens},
        "per_million_output_tokens": {
            "at_full_batch": economics.per_million_at_full_batch,
            "at_scaling_target": economics.per_million_at_target,
            # The calibration band's fast end: the same instances writing at the range's low TPOT.
            "at_scaling_target_fast_end": (
                economics.per_million_at_target * tier.service.tpot_low_ms / tier.service.tpot_p90_ms
                if economics.per_million_at_target is not None
                else None
            ),
            "at_traffic": economics.per_million_at_traffic,
        },
        "output_tokens_per_month": {
            "at_traffic": economics.output_tokens_per_month,
            "capacity_at_max": economics.capacity_tokens_per_month,
        },
        "apis": [
            {
                "name": api.name,
                "model": api.model,
                "same_model": api.model == tier.model,
                "per_million_output_tokens": api.usd_per_million_output,
                "monthly_at_traffic": api.monthly_at_traffic,
                "break_even_output_tokens_per_month": api.break_even_tokens_per_month,
            }
            for api in economics.apis
        ],
    }


def fleet_report(fleet: FleetPlan) -> dict[str, Any]:
    """A fleet's month (at min, expected, at max): its instances, what its members' GPU shares
    and its idle GPUs make of it, and the same tiers on endpoints of their own."""
    monthly = fleet.monthly

    def three(values: tuple[float, float | None, float] | None) -> dict[str, float | None]:
        return dict(zip(("at_min", "expected", "at_max"), values or (None, None, None), strict=True))

    separate = three(monthly.separate if monthly else None)
    shared = three((monthly.at_min, monthly.expected, monthly.at_max) if monthly else None)
    return {
        "name": fleet.name,
        "instance_type": fleet.instance_type,
        "members": list(fleet.members),
        "instances": [fleet.instances_min, fleet.instances_max],
        "price_per_hour": fleet.price.usd_per_hour,
        "monthly": shared,
        "average_instances": three(monthly.average_instances if monthly else None),
        "members_shares": three(monthly.shares if monthly else None),
        "idle_gpus": three(monthly.idle if monthly else None),
        "separate_endpoints": {
            "tiers": {s.tier: s.instance_type for s in fleet.separate},
            "monthly": separate,
        },
        # What sharing saves against the separate endpoints (negative: what it costs more).
        "saving": {key: _difference(separate[key], shared[key]) for key in shared},
    }


def _difference(apart: float | None, shared: float | None) -> float | None:
    return None if apart is None or shared is None else apart - shared


def render_cost(plan: Plan) -> str:
    report = cost_report(plan)
    prices = report["instance_prices"]
    lines = [
        f"Deployment {report['deployment']}: cost a month, USD",
        f"Instances: {prices['source']}, {', '.join(prices['regions'])}, read {prices['as_of']}; "
        f"{report['hours_per_month']} h a month. Storage: S3, {report['storage_prices']['region']}, "
        f"{report['storage_prices']['as_of']}. Expected = at the spec's traffic (estimate).",
    ]
    for tier in report["tiers"]:
        lines += ["", *_render_tier(tier, report["api_prices"])]
    for fleet in report["fleets"]:
        lines += ["", *_render_fleet(fleet)]
    total = report["total"]
    lines += [
        "",
        f"Total: {money(total['at_min'])} at min, {money(total['expected'])} expected, "
        f"{money(total['at_max'])} at max"
        + (f"; no price for {', '.join(total['unpriced_tiers'])}" if total["unpriced_tiers"] else ""),
        *report["audit"]["lines"],
    ]
    budget = report["budget_per_month"]
    if budget is not None and not [t for t in report["tiers"] if t["price_per_hour"] is not None]:
        lines.append(f"Budget: {money(budget)} a month; no tier has a price to compare with it")
    elif budget is not None:
        compared = total["expected"] if total["expected"] is not None else total["at_max"]
        which = "expected" if total["expected"] is not None else "at max"
        verdict = "within it" if compared <= budget else "ABOVE it"
        unpriced = " (priced tiers only)" if total["unpriced_tiers"] else ""
        lines.append(f"Budget: {money(budget)} a month; the {which} cost{unpriced} is {verdict}")
    lines.append(
        "API prices: "
        + "; ".join(f"{name} as of {p['as_of']} ({p['source']})" for name, p in report["api_prices"].items())
    )
    return "\n".join(lines)


def _render_tier(tier: dict[str, Any], api_prices: dict[str, Any]) -> list[str]:
    price, note = tier["price_per_hour"], tier["price_note"]
    head = f"Tier {tier['name']}: {tier['endpoint']} on {tier['instance_type']}"
    if price is None:
        return [head, f"  unknown: {note}"]
    elsewhere = f", {note}" if note else ""
    lines = [
        f"{head} ({per_hour(price)}{elsewhere})",
        f"  {'':<24}{'at min':>12}{'expected':>12}{'at max':>12}",
    ]
    rows = [(_version_label(v), v) for v in tier["versions"]] + [("tier", tier["monthly"])]
    for label, v in rows:
        lines.append(
            f"  {label:<24}{money(v['at_min']):>12}{money(v['expected']):>12}{money(v['at_max']):>12}"
        )
    versioning = tier["versioning"]
    stored = versioning["weights_storage_per_month"]
    extra = [
        f"S3 weights {money(stored, cents=True)}/month" if stored else "weights from the Hub, none stored"
    ]
    if versioning["shadow_at_min"] is not None:
        extra.insert(
            0, f"shadow {money(versioning['shadow_at_min'])}-{money(versioning['shadow_at_max'])}/month"
        )
    if versioning["per_rollout"] is not None:
        low, high = versioning["rollout_extra_instances"]
        extra.append(
            f"a rollout runs {low}-{high} more instances: ~{money(versioning['per_rollout'])}-"
            f"{money(versioning['per_rollout_at_max'])} each"
        )
    if len(tier["versions"]) > 1:
        extra.append(
            f"{len(tier['versions'])} versions cost {money(versioning['extra_at_min'], cents=None)}-"
            f"{money(versioning['extra_at_max'], cents=None)}/month more than one"
        )
    lines.append(f"  versioning: {'; '.join(extra)}")
    if tier["captured_data_line"]:
        lines.append(f"  {tier['captured_data_line']}")
    per_million, tokens = tier["per_million_output_tokens"], tier["tokens_per_request"]
    lines.append(
        f"  per million output tokens ({tokens['input']} in / {tokens['output']} out per request): "
        f"{money(per_million['at_full_batch'], cents=True)} at a full batch, "
        f"{_fast_end(per_million)}{money(per_million['at_scaling_target'], cents=True)} at the scaling "
        "target (the calibration band; planned at its slow end), "
        f"{money(per_million['at_traffic'], cents=True)} at the traffic"
    )
    volume = tier["output_tokens_per_month"]
    lines.append(
        f"  output tokens a month: {_millions(volume['at_traffic'])} at the traffic; the tier's max serves "
        f"up to {_millions(volume['capacity_at_max'])}"
    )
    for api in tier["apis"]:
        as_of = api_prices[api["name"]]["as_of"]
        break_even = api["break_even_output_tokens_per_month"]
        verdict = (
            "the API is cheaper at any volume (its price is below the instances' at the scaling target)"
            if break_even is None
            else f"self-hosting is cheaper above {_millions(break_even)} output tokens a month"
            + ("" if break_even <= volume["capacity_at_max"] else ", more than the tier's max serves")
        )
        at_traffic = (
            f"; the traffic would cost {money(api['monthly_at_traffic'])} a month there"
            if api["monthly_at_traffic"] is not None
            else ""
        )
        unlike = (
            "" if api["same_model"] else f" [{api['model']} API vs this {tier['model']} tier: unlike models]"
        )
        lines.append(
            f"  vs {api['name']}{unlike} ({money(api['per_million_output_tokens'], cents=True)} per million "
            f"output tokens, input included, as of {as_of}): {verdict}{at_traffic}"
        )
    return lines


def _render_fleet(fleet: dict[str, Any]) -> list[str]:
    """The fleet whole against the same tiers on endpoints of their own."""
    head = (
        f"Fleet {fleet['name']}: {', '.join(fleet['members'])} on {fleet['instance_type']}, "
        f"{fleet['instances'][0]}-{fleet['instances'][1]} instances"
    )
    if fleet["price_per_hour"] is None:
        return [head, f"  unknown: no price for {fleet['instance_type']}"]
    apart = ", ".join(
        f"{tier} on {kind or 'no plan'}" for tier, kind in fleet["separate_endpoints"]["tiers"].items()
    )
    rows = [
        ("fleet (whole instances)", fleet["monthly"]),
        ("  members' GPU shares", fleet["members_shares"]),
        ("  idle GPUs", fleet["idle_gpus"]),
        ("separate endpoints", fleet["separate_endpoints"]["monthly"]),
    ]
    lines = [
        f"{head} ({per_hour(fleet['price_per_hour'])} each)",
        f"  {'':<24}{'at min':>12}{'expected':>12}{'at max':>12}",
        *(
            f"  {label:<24}" + "".join(f"{money(v[k]):>12}" for k in ("at_min", "expected", "at_max"))
            for label, v in rows
        ),
    ]
    saving = fleet["saving"]
    verdicts = [
        f"{'saves' if value >= 0 else 'costs'} {money(abs(value))}{'' if value >= 0 else ' more'} {label}"
        for key, label in (("at_min", "at min"), ("expected", "expected"), ("at_max", "at max"))
        if (value := saving[key]) is not None
    ]
    lines.append(
        f"  sharing {'; '.join(verdicts) or 'cannot be compared (no price apart)'} a month ({apart})"
    )
    return lines


def _version_label(version: dict[str, Any]) -> str:
    weight = f" {version['weight']:g}%" if version["role"] == "live" else ""
    return f"{version['name']} {version['role']}{weight}"


def _millions(tokens: float | None) -> str:
    return "-" if tokens is None else f"{tokens / MILLION:,.0f} M"


def _fast_end(per_million: dict[str, Any]) -> str:
    """`$a-` before the planned figure when the band's fast end prints differently."""
    fast, planned = per_million["at_scaling_target_fast_end"], per_million["at_scaling_target"]
    if fast is None or money(fast, cents=True) == money(planned, cents=True):
        return ""
    return f"{money(fast, cents=True)}-"
