"""Serving images: AWS Deep Learning Container URIs and ECR ARNs for the stack's region."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import region_info
from constructs import Construct

from deepseek_cdk.constructs.naming import require
from deepseek_cdk.dlc import register_dlc_supplement, serving_repository_problem


def dlc_registry_account(scope: Construct) -> str:
    """The Deep Learning Containers account for the stack's region.

    A concrete region resolves to a literal; an environment-agnostic stack gets a
    CloudFormation mapping over every region CDK (plus the supplement) knows.
    """
    register_dlc_supplement()
    stack = cdk.Stack.of(scope)
    try:
        return stack.regional_fact(region_info.FactName.DLC_REPOSITORY_ACCOUNT)
    except RuntimeError:
        raise ValueError(
            f"region {stack.region!r}: no Deep Learning Containers registry is known for it, so "
            "no LMI or TGI image can be pulled there; choose a region with SageMaker GPU hosting"
        ) from None


def require_serving_repository(repository: str, prop: str) -> None:
    """Refuse a repository no serving container comes from (ValueError naming `prop`)."""
    problem = serving_repository_problem(repository)
    require(problem is None, prop, problem or "")


def dlc_image_uri(scope: Construct, repository: str, tag: str) -> str:
    account = dlc_registry_account(scope)
    return f"{account}.dkr.ecr.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{repository}:{tag}"


def dlc_repository_arn(scope: Construct, repository: str) -> str:
    account = dlc_registry_account(scope)
    return f"arn:{cdk.Aws.PARTITION}:ecr:{cdk.Aws.REGION}:{account}:repository/{repository}"
