"""CDK stacks: stateful (key, buckets) and inference (models, endpoints)."""

from deepseek_cdk.stacks.deployment import DeploymentStacks, build_deployment, environment
from deepseek_cdk.stacks.inference import InferenceStack
from deepseek_cdk.stacks.stateful import StatefulStack
from deepseek_cdk.stacks.tiers import (
    TIER_KINDS,
    AsyncTier,
    InferenceComponentTier,
    RealtimeTier,
    TierResources,
    build_tier,
)

__all__ = [
    "TIER_KINDS",
    "AsyncTier",
    "DeploymentStacks",
    "InferenceComponentTier",
    "InferenceStack",
    "RealtimeTier",
    "StatefulStack",
    "TierResources",
    "build_deployment",
    "build_tier",
    "environment",
]
