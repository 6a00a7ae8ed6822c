"""`deepseek-cdk simulate`: replay traffic through one tier's scaling rules (tier.py) or a
shared fleet's members together (fleet.py), against an oracle, and report what users would
have felt and what it would have cost."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from deepseek_cdk.cli.common import EXIT_SPEC_ERROR, add_file, unknown_tier
from deepseek_cdk.cli.simulate.fleet import fleet_problem, fleet_report, render_fleet
from deepseek_cdk.cli.simulate.tier import (
    plot,
    render_simulation,
    requests_for,
    run_simulation,
    simulation_report,
)
from deepseek_cdk.planning import Plan
from deepseek_cdk.planning.simulate import BILLING
from deepseek_cdk.planning.traces import SCENARIOS, TraceError

__all__ = ["add_arguments", "requests_for", "run", "run_simulation"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--tier", help="the tier to replay")
    parser.add_argument("--fleet", help="the shared fleet whose members to replay together")
    traffic = parser.add_mutually_exclusive_group(required=True)
    traffic.add_argument(
        "--trace",
        action="append",
        help="CSV: TIMESTAMP,ContextTokens,GeneratedTokens or minute,requests; with --fleet TIER=CSV, "
        "once per member",
    )
    traffic.add_argument("--scenario", choices=SCENARIOS, help="one built-in day of traffic")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the requests (default 1)")
    startup = parser.add_mutually_exclusive_group()
    startup.add_argument(
        "--startup-seconds", type=int, help="a new instance's start-up (default: AWS's typical one)"
    )
    startup.add_argument(
        "--worst-case-startup", action="store_true", help="start-up at the plan's cold-start allowance"
    )
    parser.add_argument("--start", help="where the replay starts on the week, e.g. 2026-12-07T09:00 (UTC)")
    parser.add_argument(
        "--billing-from",
        choices=BILLING,
        default="request",
        help="a new instance bills from the scale-out request (default) or from InService",
    )
    parser.add_argument("--compare", choices=["naive"], help="replay the naive configuration beside")
    parser.add_argument("--plot", help="write demand, capacity and latency over time to this PNG")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(plan: Plan, args: argparse.Namespace) -> int:
    if problem := _replay_problem(plan, args):
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    try:
        fleet = args.fleet is not None
        report = fleet_report(plan, args, _start(args.start)) if fleet else _tier(plan, args)
    except TraceError as err:
        print(f"deepseek-cdk: {err}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    render = render_fleet if fleet else render_simulation
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


def _tier(plan: Plan, args: argparse.Namespace) -> dict[str, Any]:
    """One tier's replay (and the naive configuration's, with --compare), as its report."""
    tier = plan.tier(args.tier)
    trace = args.trace[0] if args.trace else None
    requests = requests_for(
        tier, trace=trace, scenario_name=args.scenario, scale=args.scale, start=_start(args.start)
    )
    startup_s = tier.cold_start_s if args.worst_case_startup else args.startup_seconds
    replay, best, naive = run_simulation(
        tier,
        requests,
        startup_s=startup_s,
        billing=args.billing_from,
        compare_naive=args.compare == "naive",
    )
    source = f"trace {trace}" if trace else f"scenario {args.scenario}"
    if args.scale != 1:
        source += f" x {args.scale:g}"
    report = simulation_report(tier, replay, best, source, naive, requests.start)
    if args.plot:
        plot(report, args.plot)
    return report


def _start(text: str | None) -> datetime | None:
    """--start as a naive UTC datetime; TraceError naming the flag otherwise."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise TraceError(f"--start: {text[:40]!r} is not a date and time like 2026-12-07T09:00") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _replay_problem(plan: Plan, args: argparse.Namespace) -> str | None:
    """What is wrong with `simulate`'s flags, in one line naming the flag."""
    if args.tier is not None and args.fleet is not None:
        return "--fleet: give --tier NAME (one tier) or --fleet NAME (a shared fleet's members), not both"
    if args.tier is None and args.fleet is None:
        return "--tier or --fleet: give the tier to replay, or the shared fleet whose members to replay"
    if args.startup_seconds is not None and not 0 <= args.startup_seconds <= 7200:
        return f"--startup-seconds: must be 0-7200 (got {args.startup_seconds})"
    if args.fleet is not None:
        return fleet_problem(plan, args)
    if args.trace and len(args.trace) > 1:
        return f"--trace: one CSV with --tier (got {len(args.trace)}); TIER=CSV per member is for --fleet"
    return unknown_tier(plan, args.tier)
