"""Reusable CDK constructs for serving DeepSeek models on SageMaker."""

from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.realtime_endpoint import DataCapture, RealtimeEndpoint, Variant
from deepseek_cdk.constructs.scaling import CapacityScaling, ScalableKind, ScheduledCapacity

__all__ = [
    "CapacityScaling",
    "DataCapture",
    "LlmModel",
    "ModelExecutionRole",
    "RealtimeEndpoint",
    "ScalableKind",
    "ScheduledCapacity",
    "Variant",
]
