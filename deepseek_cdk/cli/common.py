"""What every command of `deepseek-cdk` shares: its exit codes, its FILE argument and its
wording for a tier the plan does not have."""

from __future__ import annotations

import argparse

from deepseek_cdk.planning import Plan

EXIT_FAILED = 1  # a check, a request or AWS failed
EXIT_SPEC_ERROR = 2  # the spec, the plan, a trace or an argument has a problem

DEFAULT_FILE = "deployments/default.yaml"  # in the current directory


def add_file(parser: argparse.ArgumentParser) -> None:
    """The deployment FILE every command but `prices` reads."""
    parser.add_argument("file", nargs="?", help=f"deployment YAML (default: {DEFAULT_FILE} here)")


def unknown_tier(plan: Plan, name: str) -> str | None:
    names = [tier.name for tier in plan.tiers]
    return None if name in names else f"--tier: no tier is named {name!r}; tiers: {', '.join(names)}"
