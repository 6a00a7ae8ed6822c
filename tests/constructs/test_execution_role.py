"""ModelExecutionRole on its own: least privilege, log-group scope, CDK grants, bad props."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import aws_iam as iam_
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    ModelExecutionRole,
)
from tests.constructs.builders import (
    UNKNOWN_REPOSITORY,
    stack,
)


def test_role_without_endpoint_name_is_limited_to_sagemaker_log_groups() -> None:
    s = stack()
    ModelExecutionRole(s, "Role", image_repositories=["djl-inference"])
    policy = json.dumps(Template.from_stack(s).find_resources("AWS::IAM::ManagedPolicy"))
    assert ":log-group:/aws/sagemaker/Endpoints/*" in policy


def test_role_bad_props() -> None:
    with pytest.raises(ValueError, match="image_repositories: give at least one"):
        ModelExecutionRole(stack(), "Role", image_repositories=[])
    with pytest.raises(ValueError, match="write_prefixes: must be an S3 prefix"):
        ModelExecutionRole(
            stack(), "Role", image_repositories=["djl-inference"], write_prefixes=["bucket/x/"]
        )
    with pytest.raises(ValueError, match=re.escape(f"image_repositories: {UNKNOWN_REPOSITORY}")):
        ModelExecutionRole(stack(), "Role", image_repositories=["djl-inference", "djl-inferense"])


def test_the_execution_role_takes_cdk_grants() -> None:
    from aws_cdk import aws_s3 as s3

    from deepseek_cdk.constructs import ModelExecutionRole

    s = stack()
    role = ModelExecutionRole(s, "Role", image_repositories=["djl-inference"])
    s3.Bucket(s, "Extra").grant_read(role)
    policies = Template.from_stack(s).find_resources("AWS::IAM::Policy")
    assert any("s3:GetObject*" in json.dumps(p) for p in policies.values())
    assert isinstance(role.grant_principal, iam_.Role)
