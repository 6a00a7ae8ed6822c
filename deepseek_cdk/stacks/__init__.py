"""CDK stacks: stateful (key, buckets) and inference (models, endpoints)."""

from deepseek_cdk.stacks.deployment import DeploymentStacks, build_deployment, environment, unbuildable_tiers
from deepseek_cdk.stacks.inference import AsyncTier, InferenceStack, RealtimeTier, TierResources
from deepseek_cdk.stacks.stateful import StatefulStack

__all__ = [
    "AsyncTier",
    "DeploymentStacks",
    "InferenceStack",
    "RealtimeTier",
    "StatefulStack",
    "TierResources",
    "build_deployment",
    "environment",
    "unbuildable_tiers",
]
