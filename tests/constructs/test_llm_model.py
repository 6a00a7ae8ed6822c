"""LlmModel on its own: its image (region facts and the cited supplement), its role, bad props."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from tests.constructs.builders import (
    SECURITY_GROUP,
    SUBNET,
    UNKNOWN_REPOSITORY,
    model,
    no_resources,
    stack,
)


def test_model_with_defaults_creates_its_own_least_privilege_role() -> None:
    s = stack()
    m = model(s)
    t = Template.from_stack(s)
    t.resource_count_is("AWS::IAM::Role", 1)
    t.resource_count_is("AWS::IAM::ManagedPolicy", 1)
    assert m.network_isolation is False
    assert "FullAccess" not in json.dumps(t.to_json())


def test_environment_agnostic_image_uses_a_region_mapping() -> None:
    s = stack(env=None)
    model(s)
    t = Template.from_stack(s).to_json()
    image = json.dumps(next(iter(Template.from_stack(s).find_resources("AWS::SageMaker::Model").values())))
    assert "Fn::FindInMap" in image
    (mapping,) = t["Mappings"].values()
    assert mapping["us-east-1"] == {"value": "763104351884"}


@pytest.mark.parametrize(
    ("region", "account"),
    [("il-central-1", "780543022126"), ("ap-southeast-5", "550225433462"), ("mx-central-1", "637423239942")],
)
def test_regions_missing_from_cdk_facts_use_the_cited_supplement(region: str, account: str) -> None:
    s = stack(env=cdk.Environment(account="111111111111", region=region))
    model(s)
    assert f"{account}.dkr.ecr." in json.dumps(Template.from_stack(s).to_json())


def test_agnostic_mapping_includes_the_supplement() -> None:
    s = stack(env=None)
    model(s)
    (mapping,) = Template.from_stack(s).to_json()["Mappings"].values()
    assert mapping["il-central-1"] == {"value": "780543022126"}


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="region 'xx-north-9': no Deep Learning Containers registry"):
        model(stack(env=cdk.Environment(account="111111111111", region="xx-north-9")))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"image_tag": "latest"}, "image_tag: must be a pinned tag"),
        ({"image_repository": "djl-inferense"}, re.escape(f"image_repository: {UNKNOWN_REPOSITORY}")),
        ({"weights_uri": "s3://bucket/model.tar.gz"}, "weights_uri: must be an S3 prefix"),
        ({"network_isolation": True}, "network_isolation: needs weights_uri"),
        ({"subnet_ids": [SUBNET]}, "subnet_ids: give subnet_ids and security_group_ids together"),
        ({"environment": {"K" * 1025: "v"}}, "environment: keys and values must be 1-1024 characters"),
    ],
)
def test_model_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        model(s, **props)
    assert no_resources(s)  # nothing half-created


def test_model_in_a_vpc_may_manage_network_interfaces() -> None:
    s = stack()
    model(s, subnet_ids=[SUBNET], security_group_ids=[SECURITY_GROUP])
    t = Template.from_stack(s)
    props = next(iter(t.find_resources("AWS::SageMaker::Model").values()))["Properties"]
    assert props["VpcConfig"] == {"Subnets": [SUBNET], "SecurityGroupIds": [SECURITY_GROUP]}
    assert "ec2:CreateNetworkInterface" in json.dumps(t.find_resources("AWS::IAM::ManagedPolicy"))
