"""`deepseek-cdk plan`: the resolved plan of a deployment, as text. render.py writes the
deployment's lines and each tier's table; a tier's rows come by section from serving.py
(hardware, objectives, estimates, traffic, answers), scaling.py (a deploy's effect, alarms,
job notices) and versions.py (versions, rollout, versioning, cost)."""

from __future__ import annotations

import argparse
import json

from deepseek_cdk.cli.common import add_file
from deepseek_cdk.cli.plan.render import render_plan
from deepseek_cdk.planning import Plan

__all__ = ["add_arguments", "render_plan", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(plan: Plan, args: argparse.Namespace) -> int:
    print(json.dumps(plan.to_dict(), indent=2) if args.json else render_plan(plan))
    return 0
