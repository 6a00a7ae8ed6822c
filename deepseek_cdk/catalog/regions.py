"""Regions a deployment can run in: those with an AWS Deep Learning Containers registry,
where the serving image (LMI or TGI) can be pulled.

Source: aws-cdk-lib 2.275.0 region facts (`RegionInfo.dlc_repository_account`), the same
facts synth resolves the image with; read 2026-11-30. tests/unit/test_regions.py holds this
list to the installed aws-cdk-lib: every region here must resolve there.
"""

from __future__ import annotations

DLC_REGIONS = frozenset(
    {
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-6",
        "ca-central-1",
        "cn-north-1",
        "cn-northwest-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eusc-de-east-1",
        "me-central-1",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-isof-east-1",
        "us-isof-south-1",
        "us-west-1",
        "us-west-2",
    }
)
