"""The stateful stack: key with rotation; private, TLS-only, versioned, retained buckets."""

import pytest
from aws_cdk.assertions import Match

from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["default"]


def test_key_rotates_and_is_retained(s: Synthesized) -> None:
    s.stateful.has_resource(
        "AWS::KMS::Key",
        {"Properties": Match.object_like({"EnableKeyRotation": True}), "DeletionPolicy": "Retain"},
    )


def test_buckets_are_private_versioned_and_retained(s: Synthesized) -> None:
    buckets = s.stateful.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 2
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }


def test_artifact_bucket_uses_the_key_and_logs_access(s: Synthesized) -> None:
    s.stateful.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {"ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": "aws:kms"})}
                    )
                ]
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "artifacts/"}),
        },
    )


def test_both_buckets_refuse_plain_http(s: Synthesized) -> None:
    policies = s.stateful.find_resources("AWS::S3::BucketPolicy")
    denials = [
        st
        for p in policies.values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 2


def test_termination_protection(s: Synthesized) -> None:
    assert s.stacks.stateful.termination_protection is True
