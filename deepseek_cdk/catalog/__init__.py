"""Facts the planner resolves a deployment against: models, GPU instances, containers, storage."""

from deepseek_cdk.catalog.containers import CONTAINERS, ContainerSpec
from deepseek_cdk.catalog.instances import INSTANCES, InstanceSpec
from deepseek_cdk.catalog.models import MODELS, ModelSpec

__all__ = [
    "CONTAINERS",
    "INSTANCES",
    "MODELS",
    "ContainerSpec",
    "InstanceSpec",
    "ModelSpec",
]
