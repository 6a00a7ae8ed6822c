"""Build a whole deployment's stacks from a Plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import aws_cdk as cdk
from constructs import Construct

from deepseek_cdk.constructs.artifact_store import Retention
from deepseek_cdk.constructs.naming import add_tags
from deepseek_cdk.names import stack_names
from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks.inference import InferenceStack
from deepseek_cdk.stacks.stateful import StatefulStack, artifacts_bucket_name


@dataclass(frozen=True)
class DeploymentStacks:
    stateful: StatefulStack
    inference: InferenceStack


def build_deployment(scope: Construct, plan: Plan, *, env: cdk.Environment | None = None) -> DeploymentStacks:
    """Create `<name>-stateful` and `<name>-inference` (tiers of every endpoint kind)."""
    stateful_name, inference_name = stack_names(plan.deployment)
    stateful = StatefulStack(
        scope,
        stateful_name,
        deployment=plan.deployment,
        retention=Retention(**asdict(plan.retention)),
        tiers=plan.tiers,
        env=env,
    )
    inference = InferenceStack(
        scope,
        inference_name,
        plan=plan,
        key=stateful.key,
        bucket_name=artifacts_bucket_name(plan.deployment),
        registries=stateful.registries,
        env=env,
    )
    inference.add_stack_dependency(stateful)  # the bucket is shared by name, not by reference
    for stack in (stateful, inference):
        add_tags(stack, {"deployment": plan.deployment})
    return DeploymentStacks(stateful, inference)


def environment(plan: Plan) -> cdk.Environment | None:
    """The plan's account/region, or None for environment-agnostic stacks."""
    if plan.region is None and plan.account is None:
        return None
    return cdk.Environment(account=plan.account, region=plan.region)
