"""Reusable CDK constructs for serving DeepSeek models on SageMaker."""

from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.endpoint_base import Hosting
from deepseek_cdk.constructs.execution_role import ModelExecutionRole, S3Prefix
from deepseek_cdk.constructs.inference_component_endpoint import Component, InferenceComponentEndpoint
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.realtime_endpoint import DataCapture, RealtimeEndpoint, Variant
from deepseek_cdk.constructs.scaling import CapacityScaling, ScalableKind, ScheduledCapacity

__all__ = [
    "AsyncEndpoint",
    "CapacityScaling",
    "Component",
    "DataCapture",
    "Hosting",
    "InferenceComponentEndpoint",
    "LlmModel",
    "ModelExecutionRole",
    "RealtimeEndpoint",
    "S3Prefix",
    "ScalableKind",
    "ScheduledCapacity",
    "Variant",
]
