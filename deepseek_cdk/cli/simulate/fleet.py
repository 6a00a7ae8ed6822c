"""`deepseek-cdk simulate --fleet NAME`: replay every member's traffic together on a shared
fleet (planning.simulate.joint) and report each member's figures, the fleet's instances and
cost, the copies that found no room and the minutes at the fleet's max."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import datetime
from typing import Any

from deepseek_cdk.cli.simulate.tier import money_or_unknown, number, requests_for, result_summary
from deepseek_cdk.planning import Plan
from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.simulate import (
    REACTION_S,
    aligned,
    fleet_lower_bound,
    oracle,
    policy_of,
    simulate_fleet,
)
from deepseek_cdk.planning.traces import MONDAY, Trace, TraceError

NO_TRAFFIC = "none: no --trace given for it"


def fleet_problem(plan: Plan, args: argparse.Namespace) -> str | None:
    """What is wrong with the flags of a fleet's replay, in one line naming the flag."""
    names = [f.name for f in plan.fleets]
    if args.fleet not in names:
        return f"--fleet: no fleet is named {args.fleet!r}; fleets: {', '.join(names) or 'none'}"
    for flag, given in (("--compare", args.compare), ("--plot", args.plot)):
        if given:
            return (
                f"{flag}: replays one tier; with --fleet leave it out, or give --tier NAME for a member alone"
            )
    return None


def member_traces(fleet: FleetPlan, values: list[str]) -> dict[str, str]:
    """--trace TIER=CSV, once per member at most; TraceError naming the flag otherwise."""
    paths: dict[str, str] = {}
    for value in values:
        tier, equals, path = value.partition("=")
        if not (equals and tier and path):
            raise TraceError(
                f"--trace: with --fleet, give TIER=CSV, one per member tier (got {value[:60]!r})"
            )
        if tier not in fleet.members:
            raise TraceError(
                f"--trace: tier {tier!r} is not a member of fleet {fleet.name}; members: "
                f"{', '.join(fleet.members)}"
            )
        if tier in paths:
            raise TraceError(f"--trace: two traces for {tier}; give one CSV per member tier")
        paths[tier] = path
    return paths


def fleet_report(plan: Plan, args: argparse.Namespace, start: datetime | None) -> dict[str, Any]:
    """Replay the fleet's members together (the flags of `simulate`) and report it as JSON data."""
    fleet = plan.fleet(args.fleet)
    members = {name: plan.tier(name) for name in fleet.members}
    paths = member_traces(fleet, args.trace or [])
    loaded: dict[str, Trace | None] = {
        name: (
            requests_for(
                tier, trace=paths.get(name), scenario_name=args.scenario, scale=args.scale, start=start
            )
            if args.scenario or name in paths
            else None
        )
        for name, tier in members.items()
    }
    traces = aligned(loaded, start or MONDAY)
    policies = {
        name: policy_of(
            tier,
            startup_s=tier.cold_start_s if args.worst_case_startup else args.startup_seconds,
            billing=args.billing_from,
        )
        for name, tier in members.items()
    }
    result = simulate_fleet(fleet, members, traces, policies, billing=args.billing_from)
    duration = len(result.minutes) * 60
    oracles = {name: oracle(members[name], traces[name], duration_s=duration) for name in fleet.members}
    bound_hours, bound_cost = fleet_lower_bound(fleet, oracles)
    scale = f" x {args.scale:g}" if args.scale != 1 else ""
    shares = [r.cost for r in result.members.values()]
    shared = None if None in shares else sum(s or 0.0 for s in shares)
    return {
        "fleet": fleet.name,
        "instance_type": fleet.instance_type,
        "traffic": f"scenario {args.scenario}{scale}" if args.scenario else f"traces{scale}",
        "start": next(iter(traces.values())).start.isoformat() + "Z",
        "minutes": len(result.minutes),
        "reaction_s": REACTION_S,
        "instances": {
            "min": result.instances_min,
            "max": result.instances_max,
            "managed_instance_scaling": result.managed,
        },
        "launch_s": result.launch_s,
        "release_s": result.release_s,
        "billing": result.billing,
        "members": {
            name: {
                "traffic": _member_source(name, args, paths),
                "plan": _copies(result_summary(replay, oracles[name])),
                "oracle": _copies(result_summary(oracles[name], oracles[name])),
                "copies_without_room": result.no_room[name],
            }
            for name, replay in result.members.items()
        },
        "totals": {
            "instance_hours": result.instance_hours,
            "cost": result.cost,
            "members_gpu_shares": shared,
            "idle_gpus": None if shared is None or result.cost is None else result.cost - shared,
            "copies_without_room": sum(result.no_room.values()),
            "minutes_at_max": result.minutes_at_max,
            "lower_bound": {"instance_hours": bound_hours, "cost": bound_cost},
        },
        "per_minute": [asdict(m) for m in result.minutes],
    }


def _member_source(name: str, args: argparse.Namespace, paths: dict[str, str]) -> str:
    if args.scenario:
        return f"scenario {args.scenario}"
    return f"trace {paths[name]}" if name in paths else NO_TRAFFIC


def render_fleet(report: dict[str, Any]) -> str:
    """The report as text: the members side by side, the fleet's totals, then hour by hour."""
    members, totals = report["members"], report["totals"]
    names = list(members)
    instances = report["instances"]
    scaling = "managed instance scaling" if instances["managed_instance_scaling"] else "a fixed count"
    requests = sum(m["plan"]["requests"] for m in members.values())
    lines = [
        f"Fleet {report['fleet']} on {report['instance_type']}: {report['traffic']}, {report['minutes']} "
        f"minutes from {report['start']}, {requests:,} requests; {instances['min']}-{instances['max']} "
        f"instances, {scaling}",
        f"  {'member':<30}" + "".join(f"{name:>14}" for name in names),
    ]

    def row(label: str, cell: Any) -> str:
        return f"  {label:<30}" + "".join(f"{cell(members[name]):>14}" for name in names)

    lines += [
        row("requests", lambda m: f"{m['plan']['requests']:,}"),
        row("p90 first token (s)", lambda m: number(m["plan"]["ttft_p90_s"])),
        row("p90 time per token (ms)", lambda m: number(m["plan"]["tpot_p90_ms"])),
        row(
            "minutes out of objectives",
            lambda m: f"{m['plan']['minutes_out_of_slo']} ({m['plan']['share_out_of_slo']:.1%})",
        ),
        row("minutes no capacity meets", lambda m: str(m["plan"]["minutes_unmeetable"])),
        row("failed (no capacity)", lambda m: str(m["plan"]["rejected"])),
        row("timed out waiting", lambda m: str(m["plan"]["timed_out"])),
        row("copies that found no room", lambda m: str(m["copies_without_room"])),
        row("copy-hours", lambda m: f"{m['plan']['copy_hours']:,.1f}"),
        row("cost (GPU share)", lambda m: money_or_unknown(m["plan"]["cost"])),
        row("oracle cost (GPU share)", lambda m: money_or_unknown(m["oracle"]["cost"])),
    ]
    bound = totals["lower_bound"]
    lines += [
        f"  fleet: {totals['instance_hours']:,.1f} instance-hours, {money_or_unknown(totals['cost'])} "
        f"(lower bound {bound['instance_hours']:,.1f} instance-hours, {money_or_unknown(bound['cost'])}); "
        f"members' GPU shares {money_or_unknown(totals['members_gpu_shares'])}, GPUs no copy held "
        f"{money_or_unknown(totals['idle_gpus'])}",
        f"  copies that found no room: {totals['copies_without_room']}; minutes at the fleet's max "
        f"({instances['max']} instances): {totals['minutes_at_max']}",
        f"  a copy with no room: {_growth(report)}",
        f"  a new copy: its scaling activity {report['reaction_s']} s after its alarm, then its member's "
        f"typical start-up; instances billed from the "
        f"{'scale-out request' if report['billing'] == 'request' else 'moment they serve'}",
    ]
    lines += [
        f"  {name}: no traffic ({m['traffic']})" for name, m in members.items() if m["traffic"] == NO_TRAFFIC
    ]
    header = "  hour  instances in service  launching (max)  " + "  ".join(f"{n} copies" for n in names)
    lines += ["", header]
    minutes = report["per_minute"]
    for start in range(0, len(minutes), 60):
        hour = minutes[start : start + 60]
        copies = "  ".join(f"{sum(m['copies'][n] for m in hour) / len(hour):>{len(n) + 7}.1f}" for n in names)
        lines.append(
            f"  {start // 60:>4}  {sum(m['in_service'] for m in hour) / len(hour):>20.1f}"
            f"  {max(m['launching'] for m in hour):>15}  {copies}"
        )
    lines.append(
        "Estimates: the plan's throughput model, AWS's typical start-up, and the fleet's assumptions "
        "(docs/simulation.md, Shared fleets)."
    )
    return "\n".join(lines)


def _growth(report: dict[str, Any]) -> str:
    if not report["instances"]["managed_instance_scaling"]:
        return "not placed (a fixed fleet keeps its count)"
    return (
        f"a new instance below the max, ready after {report['launch_s']:g} s (an assumption), then the "
        f"copy's start-up; at the max, not placed. An instance without copies is released "
        f"{report['release_s']:g} s after its last copy went"
    )


def _copies(summary: dict[str, Any]) -> dict[str, Any]:
    """A member's summary, its hours named for what they count: its copies' (a tier's summary
    calls them instance-hours)."""
    hours = summary.pop("instance_hours")
    return {**summary, "copy_hours": hours}
