"""`deepseek-cdk preflight`: what would stop a deploy of the plan (quotas, bootstrap, weights),
asked of AWS with the caller's credentials (boto3)."""

from __future__ import annotations

import argparse
import sys

from deepseek_cdk.cli.common import EXIT_FAILED, add_file
from deepseek_cdk.planning import Plan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)


def run(plan: Plan, args: argparse.Namespace) -> int:
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.preflight import preflight, render_checks

    try:
        checks = preflight(plan, Clients(plan.region))
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    print(render_checks(checks))
    return EXIT_FAILED if any(c.status == "fail" for c in checks) else 0
