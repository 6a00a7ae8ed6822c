"""`deepseek-cdk`: inspect a deployment before anyone deploys it.

    deepseek-cdk plan [FILE] [--json]     the resolved plan: instances, scaling, alarms, cost
    deepseek-cdk cost [FILE] [--json]     what each tier and version costs, per token and
                                          against hosted APIs
    deepseek-cdk preflight [FILE]         what would stop a deploy: quotas, bootstrap, weights
                                          (AWS calls with your credentials; boto3)
    deepseek-cdk simulate [FILE] --tier NAME (--trace CSV | --scenario NAME)
                 [--scale X] [--startup-seconds N] [--plot PNG] [--json]
                                          replay traffic through the tier's scaling rules
    deepseek-cdk simulate [FILE] --fleet NAME (--trace TIER=CSV ... | --scenario NAME)
                                          replay a shared fleet's members together, their
                                          copies competing for its instances
    deepseek-cdk invoke [FILE] --tier NAME "PROMPT" [--max-tokens N] [--wait SECONDS]
                 [--via endpoint|router]  one request to the tier (its endpoint, or the router
                                          API signed with SigV4): the answer streamed, or an
                                          async job polled (boto3)
    deepseek-cdk loadtest [FILE] --tier NAME [--concurrency 1,4,16] [--duration 60]
                 [--max-tokens N] [--yes] [--json]
                                          drive a real-time or inference-component tier at
                                          rising concurrency: TTFT, TPOT and tokens/s per
                                          level, and the max_rps and measured block of the
                                          highest level within the tier's objectives (boto3)
    deepseek-cdk prices refresh [--output JSON]
                                          read hosting prices and where each instance type
                                          is offered from the AWS Price List API (boto3)

Reads the spec and the planner only: it never imports aws_cdk, so it answers quickly and
runs without Node; `preflight`, `invoke`, `loadtest` and `prices refresh` alone call AWS (boto3). Exit
codes: 0 success, 1 a check, a request or AWS failed, 2 the spec, the plan, a trace or an
argument has a problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from deepseek_cdk import __version__
from deepseek_cdk.catalog.prices import PRICES_FILE
from deepseek_cdk.cli import simulate as simulation
from deepseek_cdk.cli.common import EXIT_FAILED, EXIT_SPEC_ERROR, unknown_tier
from deepseek_cdk.cli.cost import cost_report, render_cost
from deepseek_cdk.cli.invoke import run_invoke
from deepseek_cdk.cli.loadtest import run_loadtest
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.cli.simulate_fleet import fleet_problem, fleet_report, render_fleet
from deepseek_cdk.ops.loadtest import COST_CONFIRM_USD
from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.planning.simulate import BILLING
from deepseek_cdk.planning.traces import SCENARIOS, TraceError
from deepseek_cdk.spec import SpecError, load_deployment

__all__ = ["main", "render_cost", "render_plan"]


DEFAULT_FILE = "deployments/default.yaml"  # in the current directory


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; output cut short by a closed pipe (`| head`) ends quietly."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # Python's documented recipe: point stdout at devnull so the exit flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deepseek-cdk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"deepseek-cdk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("plan", "print the resolved plan of a deployment"),
        ("cost", "print what each tier and version costs, per token and against hosted APIs"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "file", nargs="?", help="deployment YAML (default: deployments/default.yaml here)"
        )
        command.add_argument("--json", action="store_true", help="print JSON instead of text")
    check = commands.add_parser("preflight", help="check quotas, bootstrap and weights before a deploy")
    check.add_argument("file", nargs="?", help="deployment YAML (default: deployments/default.yaml here)")
    replay = commands.add_parser(
        "simulate", help="replay traffic through a tier's (or a shared fleet's) scaling rules and an oracle"
    )
    replay.add_argument("file", nargs="?", help="deployment YAML (default: deployments/default.yaml here)")
    replay.add_argument("--tier", help="the tier to replay")
    replay.add_argument("--fleet", help="the shared fleet whose members to replay together")
    traffic = replay.add_mutually_exclusive_group(required=True)
    traffic.add_argument(
        "--trace",
        action="append",
        help="CSV: TIMESTAMP,ContextTokens,GeneratedTokens or minute,requests; with --fleet TIER=CSV, "
        "once per member",
    )
    traffic.add_argument("--scenario", choices=SCENARIOS, help="one built-in day of traffic")
    replay.add_argument("--scale", type=float, default=1.0, help="multiply the requests (default 1)")
    startup = replay.add_mutually_exclusive_group()
    startup.add_argument(
        "--startup-seconds", type=int, help="a new instance's start-up (default: AWS's typical one)"
    )
    startup.add_argument(
        "--worst-case-startup", action="store_true", help="start-up at the plan's cold-start allowance"
    )
    replay.add_argument("--start", help="where the replay starts on the week, e.g. 2026-12-07T09:00 (UTC)")
    replay.add_argument(
        "--billing-from",
        choices=BILLING,
        default="request",
        help="a new instance bills from the scale-out request (default) or from InService",
    )
    replay.add_argument("--compare", choices=["naive"], help="replay the naive configuration beside")
    replay.add_argument("--plot", help="write demand, capacity and latency over time to this PNG")
    replay.add_argument("--json", action="store_true", help="print JSON instead of text")
    ask = commands.add_parser("invoke", help="send one request straight to a tier's endpoint")
    ask.add_argument("file", nargs="?", help="deployment YAML (default: deployments/default.yaml here)")
    ask.add_argument("--tier", required=True, help="the tier to ask")
    ask.add_argument("prompt", help="the user message")
    ask.add_argument("--max-tokens", type=int, default=512, help="the longest answer (default 512)")
    ask.add_argument("--wait", type=int, default=3600, help="async: seconds to wait for the result")
    ask.add_argument(
        "--via",
        choices=["endpoint", "router"],
        default="endpoint",
        help="straight to the endpoint (default), or through the router's API (SigV4)",
    )
    load = commands.add_parser(
        "loadtest", help="drive a real-time or inference-component tier and measure what it sustains"
    )
    load.add_argument("file", nargs="?", help="deployment YAML (default: deployments/default.yaml here)")
    load.add_argument("--tier", required=True, help="the real-time or inference-component tier to drive")
    load.add_argument("--concurrency", default="1,4,16", help="clients per level, e.g. 1,4,16")
    load.add_argument("--duration", type=int, default=60, help="seconds per level (default 60)")
    load.add_argument("--max-tokens", type=int, default=256, help="answer length per request")
    load.add_argument(
        "--yes", action="store_true", help=f"run even when it may cost over ${COST_CONFIRM_USD:g}"
    )
    load.add_argument("--json", action="store_true", help="print JSON instead of text")
    prices = commands.add_parser("prices", help="the catalog's instance prices")
    prices_commands = prices.add_subparsers(dest="prices_command", required=True)
    refresh = prices_commands.add_parser(
        "refresh", help="rewrite the price file from the AWS Price List API (your credentials)"
    )
    refresh.add_argument("--output", help=f"where to write (default: {PRICES_FILE})")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["invoke"]:  # FILE and PROMPT may sit on either side of the options
        args = ask.parse_intermixed_args(arguments[1:], argparse.Namespace(command="invoke"))
    else:
        args = parser.parse_args(arguments)

    if args.command == "prices":
        if args.output is None and "site-packages" in PRICES_FILE.parts:
            print(
                "deepseek-cdk: --output: the installed package's price file is not yours to rewrite; "
                "give --output FILE (a clone's own deployments use its deepseek_cdk/catalog/prices.json)",
                file=sys.stderr,
            )
            return EXIT_SPEC_ERROR
        return _refresh_prices(args.output or str(PRICES_FILE))
    # FILE is the user's: relative to the current directory, as every shell command reads it.
    source = args.file or DEFAULT_FILE
    if args.file is None and not Path(DEFAULT_FILE).is_file():
        print(
            f"deepseek-cdk: no {DEFAULT_FILE} in {Path.cwd()}: give the deployment FILE, or run where "
            "deployments/default.yaml is (a clone of deepseek-cdk has one)",
            file=sys.stderr,
        )
        return EXIT_SPEC_ERROR
    try:
        deployment = load_deployment(Path(source))
        plan = build_plan(deployment)
    except SpecError as err:
        print(err.report(source), file=sys.stderr)
        return EXIT_SPEC_ERROR

    if args.command == "simulate":
        return _simulate(plan, args)
    if args.command == "preflight":
        return _preflight(plan)
    if args.command == "invoke":
        return run_invoke(plan, args)
    if args.command == "loadtest":
        return run_loadtest(plan, args)
    if args.command == "cost":
        print(json.dumps(cost_report(plan), indent=2) if args.json else render_cost(plan))
    else:
        print(json.dumps(plan.to_dict(), indent=2) if args.json else render_plan(plan))
    return 0


def _start(text: str | None) -> datetime | None:
    """--start as a naive UTC datetime; TraceError naming the flag otherwise."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise TraceError(f"--start: {text[:40]!r} is not a date and time like 2026-12-07T09:00") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _simulate(plan: Plan, args: argparse.Namespace) -> int:
    if problem := _replay_problem(plan, args):
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    if args.fleet is not None:
        try:
            report = fleet_report(plan, args, _start(args.start))
        except TraceError as err:
            print(f"deepseek-cdk: {err}", file=sys.stderr)
            return EXIT_SPEC_ERROR
        print(json.dumps(report, indent=2) if args.json else render_fleet(report))
        return 0
    tier = plan.tier(args.tier)
    try:
        start = _start(args.start)
        trace = args.trace[0] if args.trace else None
        requests = simulation.requests_for(
            tier, trace=trace, scenario_name=args.scenario, scale=args.scale, start=start
        )
        startup_s = tier.cold_start_s if args.worst_case_startup else args.startup_seconds
        replay, best, naive = simulation.run_simulation(
            tier,
            requests,
            startup_s=startup_s,
            billing=args.billing_from,
            compare_naive=args.compare == "naive",
        )
        source = f"trace {trace}" if trace else f"scenario {args.scenario}"
        if args.scale != 1:
            source += f" x {args.scale:g}"
        report = simulation.simulation_report(tier, replay, best, source, naive, requests.start)
        if args.plot:
            simulation.plot(report, args.plot)
    except TraceError as err:
        print(f"deepseek-cdk: {err}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    print(json.dumps(report, indent=2) if args.json else simulation.render_simulation(report))
    return 0


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


def _refresh_prices(path: str) -> int:
    from deepseek_cdk.catalog import INSTANCES
    from deepseek_cdk.catalog.prices import PRICES
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.prices import PRICE_LIST_REGION, read_prices, render_refresh

    try:
        refresh = read_prices(
            Clients(PRICE_LIST_REGION), INSTANCES, today=datetime.now(UTC).date(), before=PRICES
        )
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(refresh.table.to_json())
    except OSError as err:
        print(f"deepseek-cdk: --output: cannot write {path} ({err.strerror})", file=sys.stderr)
        return EXIT_FAILED
    print(render_refresh(refresh, path))
    return 0


def _preflight(plan: Plan) -> int:
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.preflight import preflight, render_checks

    try:
        checks = preflight(plan, Clients(plan.region))
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    print(render_checks(checks))
    return EXIT_FAILED if any(c.status == "fail" for c in checks) else 0
