"""`deepseek-cdk`: inspect a deployment before anyone deploys it.

    deepseek-cdk plan [FILE] [--json]     the resolved plan: instances, scaling, alarms, cost
    deepseek-cdk cost [FILE] [--json]     what each tier and version costs, per token and
                                          against hosted APIs

Reads the spec and the planner only: it never imports aws_cdk or boto3, so it answers
quickly and runs without Node. Exit codes: 0 success, 2 the spec or the plan has a problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from deepseek_cdk.cli.cost import cost_report, render_cost
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import SpecError, load_deployment

EXIT_SPEC_ERROR = 2

__all__ = ["main", "render_cost", "render_plan"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deepseek-cdk", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("plan", "print the resolved plan of a deployment"),
        ("cost", "print what each tier and version costs, per token and against hosted APIs"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("file", nargs="?", help="deployment YAML (default: deployments/default.yaml)")
        command.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    try:
        plan = build_plan(load_deployment(args.file))
    except SpecError as err:
        print(err.report(args.file or "deployments/default.yaml"), file=sys.stderr)
        return EXIT_SPEC_ERROR

    if args.command == "cost":
        print(json.dumps(cost_report(plan), indent=2) if args.json else render_cost(plan))
    else:
        print(json.dumps(plan.to_dict(), indent=2) if args.json else render_plan(plan))
    return 0
