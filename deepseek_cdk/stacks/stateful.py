"""StatefulStack: what outlives any endpoint: the KMS key and the buckets."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from deepseek_cdk.constructs.common import acknowledge, skip_checkov

NO_REPLICATION = (
    "single-region deployment; the bucket is versioned and retained on stack deletion, and "
    "cross-region replication is left to the operator's backup policy"
)


def artifacts_bucket_name(deployment: str) -> str:
    """`<deployment>-artifacts-<account>-<region>`: unique, and known to every stack of the
    deployment without a cross-stack reference (at most 20 + 11 + 12 + 1 + 14 = 58 chars)."""
    return f"{deployment}-artifacts-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}"


class StatefulStack(cdk.Stack):
    """KMS key (rotated yearly), model/artifact bucket, access-log bucket.

    Buckets are private, TLS-only, versioned and retained when the stack is deleted; the
    stack has termination protection. Costs: the key $1/month plus requests; S3 storage of
    what you put in the buckets.
    """

    def __init__(self, scope: Construct, construct_id: str, *, deployment: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=True, **kwargs)
        # Server access logs are delivered under a bucket policy, not ACLs, also in apps whose
        # cdk.json lacks this feature flag (the log bucket refuses ACLs: BucketOwnerEnforced).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.key = kms.Key(
            self,
            "Key",
            description=f"deepseek-cdk {deployment}: model artifacts, captures, notifications",
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
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
            acknowledge(
                self.access_logs, f"{pack}-S3BucketLoggingEnabled", "this is the access-log bucket itself"
            )
            acknowledge(
                self.access_logs,
                f"{pack}-S3DefaultEncryptionKMS",
                "S3 server access logging delivers only to buckets encrypted with SSE-S3",
            )
        self.artifacts = s3.Bucket(
            self,
            "Artifacts",
            bucket_name=artifacts_bucket_name(deployment),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for bucket in (self.access_logs, self.artifacts):
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
                acknowledge(bucket, f"{pack}-S3BucketReplicationEnabled", NO_REPLICATION)

    def _let_services_use_the_key(self) -> None:
        """Services that encrypt with the key on the deployment's behalf: CloudWatch Logs (the
        router's log groups, only for log groups of this account and region), CloudWatch
        alarms and AWS Budgets (publishing to the encrypted SNS topics)."""
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
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsAndBudgetsPublishToEncryptedTopics",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("budgets.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )


def _cfn(bucket: s3.Bucket) -> s3.CfnBucket:
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    return cfn
