"""S3Prefix: the objects under one prefix of a bucket, as the constructs grant and use them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk

from deepseek_cdk.constructs.naming import require

S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+/)$")


@dataclass(frozen=True)
class S3Prefix:
    """Objects under `prefix` (ends with '/') in `bucket_name` (may be a CDK token)."""

    bucket_name: str
    prefix: str

    @classmethod
    def parse(cls, uri: str, prop: str) -> S3Prefix:
        """`s3://bucket/prefix/` -> S3Prefix, or ValueError naming `prop`."""
        match = S3_URI.match(uri)
        require(match is not None, prop, f"must be an S3 prefix like s3://bucket/prefix/ (got {uri!r})")
        assert match is not None
        return cls(match.group(1), match.group(2))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket_name}/{self.prefix}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:s3:::{self.bucket_name}"

    @property
    def objects_arn(self) -> str:
        return f"{self.bucket_arn}/{self.prefix}*"
