"""Where the serving images live: the AWS Deep Learning Containers registry account of each
region, from CDK's region facts plus the regions they miss. Neutral ground: the image
constructs (constructs/images.py) and `deepseek-cdk preflight` both read it. It imports CDK's
region facts (`aws_cdk.region_info`), no construct; import it only where aws_cdk may load.
"""

from __future__ import annotations

import jsii
from aws_cdk import region_info

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


def dlc_account(region: str) -> str | None:
    """The Deep Learning Containers registry account of `region`, or None where none is known."""
    register_dlc_supplement()
    account: str | None = region_info.RegionInfo.get(region).dlc_repository_account
    return account
