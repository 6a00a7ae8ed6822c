"""CDK stacks: stateful (key, buckets) and inference (models, endpoints)."""

from deepseek_cdk.stacks.deployment import DeploymentStacks, build_deployment, environment, unbuildable_tiers
from deepseek_cdk.stacks.inference import InferenceStack, RealtimeTier
from deepseek_cdk.stacks.stateful import StatefulStack

__all__ = [
    "DeploymentStacks",
    "InferenceStack",
    "RealtimeTier",
    "StatefulStack",
    "build_deployment",
    "environment",
    "unbuildable_tiers",
]
