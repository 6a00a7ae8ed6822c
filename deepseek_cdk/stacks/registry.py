"""The registry adapter: one ModelRegistry per tier, a package per version, from the plan."""

from __future__ import annotations

from constructs import Construct

from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.constructs.naming import add_tags, pascal
from deepseek_cdk.planning import TierPlan


def register_tier(scope: Construct, deployment: str, tier: TierPlan) -> ModelRegistry:
    """The tier's package group (`<deployment>-<tier>`), and each version's package with the
    metadata that answers "what exactly ran" (model, revision or weights, container,
    settings hash, memory fit, planned cost)."""
    registry = ModelRegistry(
        scope,
        f"Registry{pascal(tier.name)}",
        group_name=tier.registry_group,
        description=f"deepseek-cdk {deployment}: versions of tier {tier.name} ({tier.model})",
    )
    add_tags(registry, {"tier": tier.name, "model": tier.model})
    memory = tier.memory
    for version in tier.versions:
        source = version.weights_uri or f"{tier.hf_id}@{version.revision or 'main'}"
        cost = (
            f"{version.monthly_at_min:.0f}-{version.monthly_at_max:.0f} USD a month at min-max at "
            f"{tier.price.region} prices"
            if version.monthly_at_min is not None and version.monthly_at_max is not None
            else "unknown: no instance price"
        )
        registry.register(
            version.name,
            image_repository=tier.image_repository,
            image_tag=tier.image_tag,
            environment=version.env,
            instance_type=tier.instance_type,
            weights_uri=version.weights_uri,
            approval=version.approval,
            description=f"{tier.name} {version.name}: {source}",
            metadata={
                "deployment": deployment,
                "tier": tier.name,
                "version": version.name,
                "model-id": tier.hf_id,
                "weights": source,
                "container": f"{tier.image_repository}:{tier.image_tag}",
                "instance-type": tier.instance_type,
                "settings-hash": version.settings_hash,
                "memory-fit": (
                    f"{memory.weights_gb:.1f} GB weights + {memory.kv_cache_gb:.1f} GB KV cache + "
                    f"{memory.overhead_gb:.1f} GB overhead of {memory.usable_gb:.1f} GB usable"
                ),
                "planned-cost": cost,
                "weight": f"{version.weight:g}",
            },
        )
    return registry
