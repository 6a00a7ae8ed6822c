"""CDK stacks: stateful (key, buckets) and inference (models, endpoints, shared fleets)."""

from deepseek_cdk.stacks.component_tier import InferenceComponentTier
from deepseek_cdk.stacks.deployment import DeploymentStacks, build_deployment, environment
from deepseek_cdk.stacks.fleets import FleetResources
from deepseek_cdk.stacks.inference import InferenceStack
from deepseek_cdk.stacks.stateful import StatefulStack
from deepseek_cdk.stacks.tier_base import TierResources
from deepseek_cdk.stacks.tiers import TIER_KINDS, AsyncTier, RealtimeTier, build_tier

__all__ = [
    "TIER_KINDS",
    "AsyncTier",
    "DeploymentStacks",
    "FleetResources",
    "InferenceComponentTier",
    "InferenceStack",
    "RealtimeTier",
    "StatefulStack",
    "TierResources",
    "build_deployment",
    "build_tier",
    "environment",
]
