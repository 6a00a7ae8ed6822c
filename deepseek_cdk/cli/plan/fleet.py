"""`deepseek-cdk plan`'s section on each shared fleet: its instance type, its members' copies,
how they pack at the members' min, at the expected traffic and with every member at its max,
the instance range that follows, and its cost against separate endpoints for the same tiers."""

from __future__ import annotations

from deepseek_cdk.cli.plan.serving import render_alternatives
from deepseek_cdk.money import money, money_span, per_hour
from deepseek_cdk.planning import Plan
from deepseek_cdk.planning.fleet_plan import FleetMonthly, FleetPlan


def render_fleets(plan: Plan) -> list[str]:
    """One section per fleet, each after a blank line; nothing without fleets."""
    lines: list[str] = []
    for fleet in plan.fleets:
        lines += ["", *render_fleet(fleet, plan)]
    return lines


def render_fleet(fleet: FleetPlan, plan: Plan) -> list[str]:
    chosen = (
        "lowest cost per token across the members, every member at its max"
        if fleet.instance_chosen == "auto"
        else "explicit"
    )
    scaling = (
        "managed instance scaling; scale-in releases only instances without copies (IDLE_RELEASE)"
        if fleet.managed_instance_scaling
        else "no managed instance scaling: a fixed count"
    )
    rows: list[tuple[str, list[str]]] = [
        ("endpoint", [fleet.endpoint_name]),
        (
            "instance",
            [
                f"{fleet.instance_type} ({chosen}): {fleet.gpu}; copies get {fleet.host.gpus} GPUs and "
                f"{fleet.host.memory_mb / 1024:,.0f} GiB of host memory on each"
            ],
        ),
        *render_alternatives(fleet.alternatives),
        ("members", _members(fleet, plan)),
        (
            "instances",
            [
                f"{fleet.instances_min}-{fleet.instances_max} ({fleet.range_source}); starts with "
                f"{fleet.initial_instances}; {scaling}"
            ],
        ),
        ("packing", _layouts(fleet)),
        ("cost", cost_lines(fleet, plan.price_home)),
        ("limits", list(fleet.limits)),
        *([("warnings", list(fleet.warnings))] if fleet.warnings else []),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"Fleet {fleet.name}: one inference-components endpoint for {', '.join(fleet.members)}"]
    for key, values in rows:
        lines += [f"  {(key if i == 0 else '').ljust(width)}  {v}" for i, v in enumerate(values)]
    return lines


def _members(fleet: FleetPlan, plan: Plan) -> list[str]:
    lines = []
    for name in fleet.members:
        tier, shape = plan.tier(name), fleet.shapes[name]
        share = tier.price.usd_per_hour
        lines.append(
            f"{name}: {tier.model}, a copy takes {shape.gpus} GPU{'s' if shape.gpus > 1 else ''} and "
            f"{shape.memory_mb / 1024:,.1f} GiB; {tier.capacity.min}-{tier.capacity.max} copies"
            + (f" ({per_hour(share)} a copy, its GPU share)" if share is not None else "")
            + f"; components {', '.join(tier.component(str(v.slot)) for v in tier.capacity.live)}"
        )
    return lines


def _layouts(fleet: FleetPlan) -> list[str]:
    lines = []
    for layout in fleet.layouts:
        needed = layout.packing.count
        runs = f"{layout.instances} instance{'s' if layout.instances != 1 else ''}"
        lines.append(
            f"{layout.label}: {runs}" + (f" (the copies need {needed})" if needed != layout.instances else "")
        )
        lines += [f"  {line}" for line in layout.packing.describe()]
        if layout.packing.unplaced:
            lines.append(
                "  no room: " + ", ".join(f"{tier} x{n}" for tier, n in layout.packing.unplaced.items())
            )
    return lines


def cost_lines(fleet: FleetPlan, region: str) -> list[str]:
    """The fleet's month, what its members' shares and idle GPUs make of it, and the same
    tiers on separate endpoints."""
    monthly = fleet.monthly
    note = fleet.price.note(region)
    if monthly is None or fleet.price.usd_per_hour is None:
        return [f"unknown: {fleet.instance_type}: {note}"]
    low, expected, high = monthly.average_instances
    elsewhere = f" ({note})" if note else ""
    return [
        f"{per_hour(fleet.price.usd_per_hour)} per instance{elsewhere}; "
        f"{money_span(monthly.at_min, monthly.at_max)}/month (members at their scheduled min-max: "
        f"{low:.2f}-{high:.2f} instances on average)"
        + (
            f"; expected {money(monthly.expected)}/month at the traffic ({expected:.2f} instances, estimate)"
            if monthly.expected is not None and expected is not None
            else ""
        ),
        _split(monthly),
        against(fleet, monthly),
    ]


def _split(monthly: FleetMonthly) -> str:
    shares, idle = monthly.shares, monthly.idle
    return (
        f"= the members' GPU shares {money_span(shares[0], shares[2])} + idle GPUs "
        f"{money_span(idle[0], idle[2])} (at min-max)"
    )


def against(fleet: FleetPlan, monthly: FleetMonthly) -> str:
    """The same tiers, each on an endpoint of its own: what sharing saves, or costs more."""
    where = ", ".join(
        f"{s.tier} on {s.instance_type}" if s.cost else f"{s.tier}: {s.reason}" for s in fleet.separate
    )
    if monthly.separate is None:
        return f"separate endpoints ({where}): no total, a member has no price there"
    apart = monthly.separate
    figures = [("at min", monthly.at_min, apart[0]), ("at max", monthly.at_max, apart[2])]
    if monthly.expected is not None and apart[1] is not None:
        figures.insert(1, ("expected", monthly.expected, apart[1]))
    verdicts = [
        f"{money(alone)} {label} (the fleet "
        + (f"saves {money(alone - shared)})" if shared <= alone else f"costs {money(shared - alone)} more)")
        for label, shared, alone in figures
    ]
    return f"separate endpoints ({where}) would cost {', '.join(verdicts)} a month"
