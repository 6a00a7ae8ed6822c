"""Helpers every endpoint kind shares: container image URIs, cdk-nag acknowledgments, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import region_info
from constructs import Construct, IConstruct

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


def _register_dlc_supplement() -> None:
    """Add the supplement to CDK's facts, never overriding a fact CDK already has."""
    for region, account in DLC_ACCOUNT_SUPPLEMENT.items():
        if region_info.RegionInfo.get(region).dlc_repository_account is None:
            region_info.Fact.register(_Fact(region, account), False)


_register_dlc_supplement()


def dlc_registry_account(scope: Construct) -> str:
    """The Deep Learning Containers account for the stack's region.

    A concrete region resolves to a literal; an environment-agnostic stack gets a
    CloudFormation mapping over every region CDK (plus the supplement) knows.
    """
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


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`Pack-Rule` or `Pack-Rule[FindingId]`) on `scope`."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def nag_reference(scope: IConstruct, value: str) -> str:
    """`value` as cdk-nag writes it in a finding id: literals as they are, `{"Ref": X}` as `<X>`,
    `{"Fn::GetAtt": [X, Y]}` as `<X.Y>`, and `Fn::Join` joined, e.g. a bucket named after the
    account and region reads `name-<AWS::AccountId>-<AWS::Region>`."""
    return _flatten(cdk.Stack.of(scope).resolve(value))


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(p) for p in parts)
    raise ValueError(f"cannot tell how cdk-nag names {value!r}: use literals, Ref, GetAtt or Join")


def skip_checkov(resource: cdk.CfnResource, check_id: str, reason: str) -> None:
    """Record a checkov skip, with its reason, in the resource's template metadata."""
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)


def add_tags(scope: IConstruct, tags: Mapping[str, str]) -> None:
    """Tag `scope` and everything under it (cost allocation and ownership)."""
    for key, value in tags.items():
        cdk.Tags.of(scope).add(key, value)


def pascal(name: str) -> str:
    """`chat` -> `Chat`, `long-reasoning` -> `LongReasoning`: stable construct ids from names."""
    return "".join(part.capitalize() for part in name.split("-"))


def require(condition: bool, prop: str, message: str) -> None:
    """Raise ValueError naming the prop when a construct's input is not allowed."""
    if not condition:
        raise ValueError(f"{prop}: {message}")
