"""CDK stacks: stateful (key, buckets) and inference (models, endpoints)."""

from deepseek_cdk.stacks.deployment import DeploymentStacks, build_deployment, environment
from deepseek_cdk.stacks.inference import (
    AsyncTier,
    InferenceComponentTier,
    InferenceStack,
    RealtimeTier,
    TierResources,
)
from deepseek_cdk.stacks.stateful import StatefulStack

__all__ = [
    "AsyncTier",
    "DeploymentStacks",
    "InferenceComponentTier",
    "InferenceStack",
    "RealtimeTier",
    "StatefulStack",
    "TierResources",
    "build_deployment",
    "environment",
]
