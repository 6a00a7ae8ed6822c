"""Reusable CDK constructs for serving DeepSeek models on SageMaker: every construct the
README documents, and the value types their props take."""

from deepseek_cdk.alarm_settings import AlarmSettings
from deepseek_cdk.constructs.artifact_store import ArtifactStore, Retention
from deepseek_cdk.constructs.async_endpoint import AsyncEndpoint
from deepseek_cdk.constructs.budget import DeploymentBudget
from deepseek_cdk.constructs.component_monitoring import InferenceComponentMonitoring
from deepseek_cdk.constructs.dashboard import DashboardTier, DeploymentDashboard
from deepseek_cdk.constructs.endpoint_props import BlueGreen, Hosting
from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.inference_component_endpoint import Component, InferenceComponentEndpoint
from deepseek_cdk.constructs.llm_model import LlmModel
from deepseek_cdk.constructs.model_registry import ModelRegistry
from deepseek_cdk.constructs.monitoring import AsyncMonitoring, EndpointMonitoring, RealtimeMonitoring
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.constructs.realtime_endpoint import DataCapture, RealtimeEndpoint, Variant
from deepseek_cdk.constructs.request_router import RequestRouter
from deepseek_cdk.constructs.router_monitoring import RouterMetrics, RouterMonitoring
from deepseek_cdk.constructs.router_props import RoutedTier, RouterOptions, Throttling
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.constructs.scaling import CapacityScaling, ScalableKind, ScheduledCapacity
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.objectives import Objectives

__all__ = [
    "AlarmSettings",
    "ArtifactStore",
    "AsyncEndpoint",
    "AsyncMonitoring",
    "BlueGreen",
    "CapacityScaling",
    "Component",
    "DashboardTier",
    "DataCapture",
    "DeploymentBudget",
    "DeploymentDashboard",
    "EndpointKind",
    "EndpointMonitoring",
    "Hosting",
    "InferenceComponentEndpoint",
    "InferenceComponentMonitoring",
    "LlmModel",
    "ModelExecutionRole",
    "ModelRegistry",
    "Notifications",
    "Objectives",
    "RealtimeEndpoint",
    "RealtimeMonitoring",
    "RequestRouter",
    "Retention",
    "RoutedTier",
    "RouterMetrics",
    "RouterMonitoring",
    "RouterOptions",
    "S3Prefix",
    "ScalableKind",
    "ScheduledCapacity",
    "Throttling",
    "Variant",
]
