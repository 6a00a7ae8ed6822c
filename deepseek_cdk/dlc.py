"""Where the serving images live: the AWS Deep Learning Containers repositories the serving
containers come from, and the registry account of each region, from CDK's region facts plus the
regions they miss. Neutral ground: the catalog's containers (catalog/containers.py), the image
constructs (constructs/images.py) and `deepseek-cdk preflight` all read it. CDK's region facts
(`aws_cdk.region_info`) load only when an account is asked for, so the planner may import the
repositories without loading CDK.
"""

from __future__ import annotations

import functools
from typing import Any

# The repositories of the two serving containers (sources and tags: catalog/containers.py). An
# image is pulled from the region's Deep Learning Containers account, and the container's
# environment is written for LMI or TGI: another repository there is no image this project
# configures, and a misspelt one fails only at deploy, when the endpoint cannot pull it.
LMI_REPOSITORY = "djl-inference"
TGI_REPOSITORY = "huggingface-pytorch-tgi-inference"
SERVING_REPOSITORIES = (LMI_REPOSITORY, TGI_REPOSITORY)


def serving_repository_problem(repository: str) -> str | None:
    """Why `repository` is no serving image's repository, naming the allowed ones; or None."""
    if repository in SERVING_REPOSITORIES:
        return None
    return (
        f"must be a serving container's Deep Learning Containers repository: "
        f"{', '.join(SERVING_REPOSITORIES)} (got {repository!r})"
    )


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


@functools.cache
def _fact_type() -> Any:
    """A region fact CDK can register (a jsii interface, so defined once CDK is loaded)."""
    import jsii
    from aws_cdk import region_info

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

    return _Fact


def register_dlc_supplement() -> None:
    """Add the supplement to CDK's facts, never overriding a fact CDK already has; running it
    again changes nothing."""
    from aws_cdk import region_info

    for region, account in DLC_ACCOUNT_SUPPLEMENT.items():
        if region_info.RegionInfo.get(region).dlc_repository_account is None:
            region_info.Fact.register(_fact_type()(region, account), False)


def dlc_account(region: str) -> str | None:
    """The Deep Learning Containers registry account of `region`, or None where none is known."""
    from aws_cdk import region_info

    register_dlc_supplement()
    account: str | None = region_info.RegionInfo.get(region).dlc_repository_account
    return account
