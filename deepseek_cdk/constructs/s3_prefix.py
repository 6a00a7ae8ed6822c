"""S3Prefix: the objects under one prefix of a bucket, as the constructs grant and use them."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from deepseek_cdk.constructs.naming import require
from deepseek_cdk.names import s3_prefix_problem, split_s3_prefix


@dataclass(frozen=True)
class S3Prefix:
    """Objects under `prefix` (ends with '/') in `bucket_name` (may be a CDK token)."""

    bucket_name: str
    prefix: str

    @classmethod
    def parse(cls, uri: str, prop: str) -> S3Prefix:
        """`s3://bucket/prefix/` -> S3Prefix, or ValueError naming `prop`."""
        problem = s3_prefix_problem(uri)
        require(problem is None, prop, f"{problem} (got {uri!r})")
        return cls(*split_s3_prefix(uri))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket_name}/{self.prefix}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:s3:::{self.bucket_name}"

    @property
    def objects_arn(self) -> str:
        return f"{self.bucket_arn}/{self.prefix}*"
