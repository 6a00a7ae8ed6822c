"""Serving images: AWS Deep Learning Container URIs and ECR ARNs for the stack's region."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import region_info
from constructs import Construct

# Regions whose Deep Learning Containers registry CDK's region facts do not know (checked
# against aws-cdk-lib 2.275). Accounts from aws/sagemaker-python-sdk
# sagemaker-core/src/sagemaker/core/image_uri_config/djl-lmi.json and huggingface-llm.json
# (commit a2481266, 2026-08-21); both images use the same account in each of these regions.
DLC_ACCOUNT_SUPPLEMENT = {
    "af-south-1": "626614931356",
    "ap-northeast-3": "364406365360",
    "ap-southeast-5": "550225433462",
    "ap-southeast-7": "590183813437",
    "ca-west-1": "204538143572",
    "il-central-1": "780543022126",
    "mx-central-1": "637423239942",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
}


@jsii.implements(region_info.IFact)
class _Fact:
    def __init__(self, region: str, value: str) -> None:
        self._region = region
        self._value = value

    @property
    def region(self) -> str:
        return self._region

    @property
    def name(self) -> str:
        return region_info.FactName.DLC_REPOSITORY_ACCOUNT

    @property
    def value(self) -> str:
        return self._value


def register_dlc_supplement() -> None:
    """Add the supplement to CDK's facts, never overriding a fact CDK already has; running it
    again changes nothing."""
    for region, account in DLC_ACCOUNT_SUPPLEMENT.items():
        if region_info.RegionInfo.get(region).dlc_repository_account is None:
            region_info.Fact.register(_Fact(region, account), False)


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


def dlc_image_uri(scope: Construct, repository: str, tag: str) -> str:
    account = dlc_registry_account(scope)
    return f"{account}.dkr.ecr.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{repository}:{tag}"


def dlc_repository_arn(scope: Construct, repository: str) -> str:
    account = dlc_registry_account(scope)
    return f"arn:{cdk.Aws.PARTITION}:ecr:{cdk.Aws.REGION}:{account}:repository/{repository}"
