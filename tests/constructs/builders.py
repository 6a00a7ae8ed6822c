"""Builders the construct tests share: a stack in the test environment and each construct
with defaults, taking keyword props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from deepseek_cdk.constructs import (
    AsyncEndpoint,
    Component,
    Hosting,
    InferenceComponentEndpoint,
    LlmModel,
    RealtimeEndpoint,
    S3Prefix,
    Variant,
)
from tests.conftest import TEST_ENV, make_app

# What the model constructs say of a misspelt image repository.
UNKNOWN_REPOSITORY = (
    "must be a serving container's Deep Learning Containers repository: "
    "djl-inference, huggingface-pytorch-tgi-inference (got 'djl-inferense')"
)
ENV = {"HF_MODEL_ID": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"}
SUBNET = "subnet-0123456789abcdef0"
SECURITY_GROUP = "sg-0123456789abcdef0"


def stack(env: cdk.Environment | None = TEST_ENV) -> cdk.Stack:
    return cdk.Stack(make_app(), "Test", env=env)


def no_resources(scope: cdk.Stack) -> bool:
    return not [c for c in scope.node.find_all() if isinstance(c, cdk.CfnResource)]


def model(scope: cdk.Stack, **props: Any) -> LlmModel:
    defaults: dict[str, Any] = {
        "image_repository": "djl-inference",
        "image_tag": "0.36.0-lmi20.0.0-cu128-v1.0",
    }
    return LlmModel(scope, "Model", **{**defaults, "environment": ENV, **props})


HOSTING_FIELDS = {f for f in Hosting.__dataclass_fields__}


def split_hosting(props: dict[str, Any], instance_type: str) -> dict[str, Any]:
    """Test shorthand: hosting fields given flat are gathered into a Hosting (a GPU type with
    local NVMe unless `local_nvme` says otherwise)."""
    given = {k: v for k, v in props.items() if k in HOSTING_FIELDS}
    hosting = {"instance_type": instance_type, "local_nvme": True, **given}
    return {**{k: v for k, v in props.items() if k not in HOSTING_FIELDS}, "hosting": Hosting(**hosting)}


def endpoint(scope: cdk.Stack, **props: Any) -> RealtimeEndpoint:
    defaults: dict[str, Any] = {"variants": [Variant("v1", "model-a")]}
    return RealtimeEndpoint(scope, "Endpoint", **{**defaults, **split_hosting(props, "ml.g6.2xlarge")})


def async_endpoint(scope: cdk.Stack, **props: Any) -> AsyncEndpoint:
    defaults: dict[str, Any] = {
        "model_name": "m",
        "output": S3Prefix("bucket", "out/"),
        "failure": S3Prefix("bucket", "err/"),
        "kms_key": kms.Key(scope, "Key", enable_key_rotation=True),
        "max_concurrent_invocations": 8,
    }
    return AsyncEndpoint(scope, "Async", **{**defaults, **split_hosting(props, "ml.g6e.xlarge")})


def ic_endpoint(scope: cdk.Stack, **props: Any) -> InferenceComponentEndpoint:
    role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    defaults: dict[str, Any] = {
        "components": [Component("v1", "model-a", accelerators=1, memory_mb=4096)],
        "execution_role": role,
        "min_instances": 0,
        "max_instances": 2,
        "endpoint_name": "chat",
    }
    return InferenceComponentEndpoint(scope, "Ic", **{**defaults, **split_hosting(props, "ml.g6.2xlarge")})
