"""StatefulStack: what outlives any endpoint: the deployment's ArtifactStore and its model
registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from deepseek_cdk import names
from deepseek_cdk.constructs.artifact_store import ArtifactStore, Retention
from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.stacks.registry import register_tier


def artifacts_bucket_name(deployment: str) -> str:
    """The artifacts bucket's name in the stack's account and region (names.py)."""
    return names.artifacts_bucket_name(deployment, cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION)


# The store's resources keep the logical ids they had when they sat directly in this stack,
# so stacks deployed before the store was a construct update in place instead of replacing a
# retained key and a named bucket.
LOGICAL_IDS = {
    "Key": "Key961B73FD",
    "AccessLogs": "AccessLogs8B620ECA",
    "AccessLogs/Policy": "AccessLogsPolicyABDC4D2D",
    "Artifacts": "Artifacts82DD59A1",
    "Artifacts/Policy": "ArtifactsPolicy6E9058CC",
}


class StatefulStack(cdk.Stack):
    """The deployment's ArtifactStore (KMS key, artifacts and access-log buckets) and a
    ModelRegistry per tier (every version of `tiers`, retained), with termination
    protection. Costs: see ArtifactStore."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deployment: str,
        retention: Retention | None = None,
        tiers: Sequence[TierPlan] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, termination_protection=True, **kwargs)
        # Weak cross-stack references (no CloudFormation exports pinning the stateful stack),
        # as this project's cdk.json sets, also in apps whose cdk.json does not.
        self.node.set_context("@aws-cdk/core:defaultCrossStackReferences", "weak")
        self.store = ArtifactStore(
            self,
            "Store",
            bucket_name=artifacts_bucket_name(deployment),
            description=f"deepseek-cdk {deployment}: model artifacts, captures, notifications",
            retention=retention,
        )
        for path, logical_id in LOGICAL_IDS.items():
            resource = self.store.node.find_child(path.split("/")[0])
            for part in path.split("/")[1:]:
                resource = resource.node.find_child(part)
            cfn = resource.node.default_child
            assert isinstance(cfn, cdk.CfnResource)
            cfn.override_logical_id(logical_id)
        self.registries: dict[str, ModelRegistry] = {
            tier.name: register_tier(self, deployment, tier) for tier in tiers
        }
        self.key = self.store.key
        self.artifacts = self.store.artifacts
        self.access_logs = self.store.access_logs
