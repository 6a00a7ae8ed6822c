"""Build a whole deployment's stacks from a Plan."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from deepseek_cdk.constructs.common import add_tags
from deepseek_cdk.planning import Plan, PlanError
from deepseek_cdk.stacks.inference import TIER_KINDS, InferenceStack
from deepseek_cdk.stacks.stateful import StatefulStack

BUILT_ENDPOINT_KINDS = tuple(TIER_KINDS)


@dataclass(frozen=True)
class DeploymentStacks:
    stateful: StatefulStack
    inference: InferenceStack


def unbuildable_tiers(plan: Plan) -> list[str]:
    """One problem per tier whose endpoint kind has no construct yet."""
    return [
        f"tiers[{i}].endpoint: tier {t.name!r} uses endpoint kind {t.endpoint!r}, which this version "
        f"of deepseek-cdk cannot synthesize yet (available: {', '.join(BUILT_ENDPOINT_KINDS)})"
        for i, t in enumerate(plan.tiers)
        if t.endpoint not in BUILT_ENDPOINT_KINDS
    ]


def build_deployment(scope: Construct, plan: Plan, *, env: cdk.Environment | None = None) -> DeploymentStacks:
    """Create `<name>-stateful` and `<name>-inference`; raise PlanError before creating anything
    if a tier cannot be built."""
    problems = unbuildable_tiers(plan)
    if problems:
        raise PlanError(problems)
    stateful = StatefulStack(scope, f"{plan.deployment}-stateful", deployment=plan.deployment, env=env)
    inference = InferenceStack(
        scope, f"{plan.deployment}-inference", plan=plan, key=stateful.key, bucket=stateful.artifacts, env=env
    )
    for stack in (stateful, inference):
        add_tags(stack, {"deployment": plan.deployment})
    return DeploymentStacks(stateful, inference)


def environment(plan: Plan) -> cdk.Environment | None:
    """The plan's account/region, or None for environment-agnostic stacks."""
    if plan.region is None and plan.account is None:
        return None
    return cdk.Environment(account=plan.account, region=plan.region)
