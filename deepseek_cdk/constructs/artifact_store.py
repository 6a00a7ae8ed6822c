"""ArtifactStore: what outlives every endpoint of a deployment: its KMS key and its buckets."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from deepseek_cdk.constructs.nag import acknowledge, acknowledge_in_compliance_packs, skip_checkov
from deepseek_cdk.constructs.naming import pascal, require

NO_REPLICATION = (
    "single-region deployment; the bucket is versioned and retained on stack deletion, and "
    "cross-region replication is left to the operator's backup policy"
)


@dataclass(frozen=True)
class Retention:
    """How long the artifacts bucket keeps what versioning leaves behind: under `models_prefix`
    the object versions a new upload or a delete replaces (current weights are never
    touched); under `capture_prefix` the captured data itself. Both move to Glacier Instant
    Retrieval after `archive_after_days` and expire after `expire_after_days`; the newest
    `keep_noncurrent_versions` replaced versions of each object are kept past expiry. Under
    each of `async_prefixes` (an async tier's requests, responses and failures: users'
    prompts and the model's answers) objects expire `async_days` after they were written,
    one rule per prefix, and are not archived first (Glacier Instant Retrieval bills 90 days
    at least; an answer is cheaper in Standard)."""

    keep_noncurrent_versions: int = 3
    archive_after_days: int = 30
    expire_after_days: int = 365
    async_days: int = 30
    models_prefix: str = "models/"
    capture_prefix: str = "capture/"
    async_prefixes: tuple[str, ...] = ()

    def rules(self) -> list[s3.LifecycleRule]:
        require(
            0 < self.archive_after_days < self.expire_after_days,
            "retention.archive_after_days",
            f"must be 1 or more and before expire_after_days ({self.expire_after_days})",
        )
        require(
            1 <= self.keep_noncurrent_versions <= 100,
            "retention.keep_noncurrent_versions",
            f"must be 1-100 (got {self.keep_noncurrent_versions})",
        )
        require(
            1 <= self.async_days <= 3650, "retention.async_days", f"must be 1-3650 (got {self.async_days})"
        )
        for prefix in self.async_prefixes:
            require(
                prefix.endswith("/") and not prefix.startswith("/") and prefix not in ("/", ""),
                "retention.async_prefixes",
                f"each must be a key prefix ending in '/' (got {prefix!r})",
            )
        archive = cdk.Duration.days(self.archive_after_days)
        expire = cdk.Duration.days(self.expire_after_days)
        return [
            s3.LifecycleRule(
                id="ReplacedModelWeights",
                prefix=self.models_prefix,
                noncurrent_version_transitions=[
                    s3.NoncurrentVersionTransition(
                        storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=archive
                    )
                ],
                noncurrent_version_expiration=expire,
                noncurrent_versions_to_retain=self.keep_noncurrent_versions,
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            ),
            s3.LifecycleRule(
                id="CapturedData",
                prefix=self.capture_prefix,
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=archive
                    )
                ],
                expiration=expire,
                # An expired capture becomes a noncurrent version in a versioned bucket: drop it.
                noncurrent_version_expiration=cdk.Duration.days(1),
            ),
            *(
                s3.LifecycleRule(
                    id=f"Expire{pascal(prefix.rstrip('/').replace('/', '-'))}",
                    prefix=prefix,
                    expiration=cdk.Duration.days(self.async_days),
                    # Expiring in a versioned bucket adds a delete marker and keeps the data
                    # as a noncurrent version: delete that the day after.
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
                for prefix in self.async_prefixes
            ),
        ]


class ArtifactStore(Construct):
    """A KMS key (rotated yearly) whose policy lets the services that encrypt on the
    deployment's behalf use it, an artifacts bucket (SSE-KMS with that key, bucket key on)
    for model weights, async requests and results, and an access-log bucket for it.

    Buckets are private, TLS-only, versioned, owner-enforced and retained when their stack is
    deleted (the access logs expire after a year); the artifacts bucket's lifecycle rules
    follow `retention`. Costs: the key $1 a month plus requests; S3 storage and requests for
    what the buckets hold (catalog.storage has the prices the plan uses).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str | None = None,
        description: str = "deepseek-cdk: model artifacts, captures, notifications",
        retention: Retention | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Server access logs are delivered under a bucket policy, not ACLs, also in apps whose
        # cdk.json lacks this feature flag (the log bucket refuses ACLs: BucketOwnerEnforced).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._let_services_use_the_key()
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logs cannot target SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        no_self_logging = "this is the access-log bucket; logging it to itself would loop"
        acknowledge(self.access_logs, "AwsSolutions-S1", no_self_logging)
        skip_checkov(_cfn(self.access_logs), "CKV_AWS_18", no_self_logging)
        acknowledge_in_compliance_packs(
            self.access_logs, "S3BucketLoggingEnabled", "this is the access-log bucket itself"
        )
        acknowledge_in_compliance_packs(
            self.access_logs,
            "S3DefaultEncryptionKMS",
            "S3 server access logging delivers only to buckets encrypted with SSE-S3",
        )
        self.artifacts = s3.Bucket(
            self,
            "Artifacts",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts/",
            lifecycle_rules=(retention or Retention()).rules(),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for bucket in (self.access_logs, self.artifacts):
            acknowledge_in_compliance_packs(bucket, "S3BucketReplicationEnabled", NO_REPLICATION)

    def _let_services_use_the_key(self) -> None:
        """CloudWatch Logs may encrypt with the key, for log groups of this account and region
        only (the router's). Services that publish to encrypted topics are let in by the
        constructs that wire them (Notifications, DeploymentBudget)."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{cdk.Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )


def _cfn(bucket: s3.Bucket) -> s3.CfnBucket:
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    return cfn
