"""`deepseek-cdk loadtest`: drive a deployed tier at rising concurrency and report TTFT, TPOT
and tokens/s per level against the plan's objectives (boto3)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from deepseek_cdk.cli.common import EXIT_FAILED, EXIT_SPEC_ERROR, add_file, unknown_tier
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.money import money
from deepseek_cdk.ops.loadtest import COST_CONFIRM_USD, Level
from deepseek_cdk.planning import Plan, TierPlan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--tier", required=True, help="the real-time or inference-component tier to drive")
    parser.add_argument("--concurrency", default="1,4,16", help="clients per level, e.g. 1,4,16")
    parser.add_argument("--duration", type=int, default=60, help="seconds per level (default 60)")
    parser.add_argument("--max-tokens", type=int, default=256, help="answer length per request")
    parser.add_argument(
        "--yes", action="store_true", help=f"run even when it may cost over ${COST_CONFIRM_USD:g}"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(plan: Plan, args: argparse.Namespace) -> int:
    """Drive the tier level by level, judged by the plan's objectives for it (never the
    spec's). With --json, stdout is one JSON document and everything else goes to stderr."""
    from deepseek_cdk.ops import loadtest as lt
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.invoke import BadRequest, chat_request, require_in_service

    problem = _loadtest_problem(plan, args)
    if problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    tier = plan.tier(args.tier)
    objectives = tier.objectives
    notes = sys.stderr if args.json else sys.stdout
    levels = [int(c) for c in args.concurrency.split(",")]
    cost = lt.expected_cost(tier, len(levels), args.duration)
    what = (
        f"up to {money(cost, cents=True)}"
        if cost is not None
        else f"unknown (no price for {tier.instance_type})"
    )
    print(
        f"{len(levels)} levels of {args.duration} s on {tier.endpoint_name}: expected cost {what} (the "
        f"tier's max of {lt.most_units(tier)} for the whole test; the instances it "
        "already runs bill anyway)",
        file=notes,
    )
    if (cost is None or cost > lt.COST_CONFIRM_USD) and not args.yes:
        why = f"may cost over ${lt.COST_CONFIRM_USD:g}" if cost is not None else "has no known cost"
        print(f"deepseek-cdk: --yes: the test {why}; pass --yes to run it", file=sys.stderr)
        return EXIT_SPEC_ERROR
    try:
        body = chat_request(tier, "Count from 1 to 1000, one number per line.", args.max_tokens).model_body(
            stream=True
        )
    except BadRequest as err:
        print(f"deepseek-cdk: --max-tokens: {err}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    print(f"Objectives (the plan's): {objectives.describe()}", file=notes)
    clients = Clients(plan.region)
    done: list[lt.Level] = []
    try:
        require_in_service(tier.endpoint_name, clients)
        runtime = lt.runtime_client(plan.region)  # created once, before the clients' threads
        for concurrency in levels:
            print(f"concurrency {concurrency}: {args.duration} s ...", file=sys.stderr)
            level = lt.run_level(lambda: lt.streamed_request(tier, body, runtime), concurrency, args.duration)
            done.append(lt.with_instances(level, lt.serving_units(tier, clients)))
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("deepseek-cdk: stopped; what was measured so far:", file=sys.stderr)
        _loadtest_report(tier, done, None, args.json, stopped=True)
        return EXIT_FAILED
    best = lt.best_level(done, objectives)
    _loadtest_report(tier, done, best, args.json, stopped=False)
    return 0 if best is not None else EXIT_FAILED


def _loadtest_report(
    tier: TierPlan, done: list[Level], best: Level | None, as_json: bool, *, stopped: bool
) -> None:
    from deepseek_cdk.ops import loadtest as lt

    objectives = tier.objectives
    today = datetime.now(UTC).date()
    if as_json:
        spec = None
        if best is not None:
            written = lt.measurement(tier, best, today)
            spec = {
                "scaling": written["scaling"],
                "measured": {**written["measured"], "date": today.isoformat()},
            }
        report = {
            "tier": tier.name,
            "endpoint": tier.endpoint_name,
            "objectives": {
                "ttft_p90_seconds": objectives.ttft_p90_s,
                "tpot_p90_ms": objectives.tpot_p90_ms,
                "source": objectives.source,
            },
            "stopped": stopped,
            "levels": [lt.level_report(level, objectives) for level in done],
            "measured_at_concurrency": best.concurrency if best is not None else None,
            "spec": spec,  # what the text's snippet writes, as its YAML reads back
        }
        print(json.dumps(report, indent=2))
        return
    print(lt.render_levels(done, objectives))
    if stopped:
        return
    if best is None:
        print(f"No level met the objectives ({objectives.describe()}) without errors: no max_rps to write.")
        return
    print(
        f"\nMeasured at concurrency {best.concurrency}, the highest level within the objectives. "
        "For the spec (the next plan scales on this measurement):\n"
    )
    print(lt.spec_snippet(tier, best, today))


def _loadtest_problem(plan: Plan, args: argparse.Namespace) -> str | None:
    if problem := unknown_tier(plan, args.tier):
        return problem
    kind = plan.tier(args.tier).endpoint
    if kind.queued:
        return (
            f"--tier: loadtest drives {EndpointKind.REALTIME.label} and "
            f"{EndpointKind.INFERENCE_COMPONENTS.label} tiers; {args.tier} is {kind.label}"
        )
    try:
        levels = [int(c) for c in args.concurrency.split(",")]
    except ValueError:
        levels = []
    if not levels or not all(1 <= c <= 256 for c in levels):
        return f"--concurrency: whole numbers 1-256, comma-separated, e.g. 1,4,16 (got {args.concurrency!r})"
    if not 5 <= args.duration <= 3600:
        return f"--duration: 5-3600 seconds per level (got {args.duration})"
    return None
