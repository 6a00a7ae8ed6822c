"""ModelExecutionRole: the least-privilege role a SageMaker model runs as."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from deepseek_cdk.constructs.images import dlc_repository_arn, require_serving_repository
from deepseek_cdk.constructs.nag import acknowledge, nag_reference
from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.s3_prefix import S3Prefix

ENDPOINT_LOG_GROUPS = "/aws/sagemaker/Endpoints"


@jsii.implements(iam.IGrantable)
class ModelExecutionRole(Construct):
    """An IAM role for SageMaker models with customer-managed policies that allow only:

    - pulling the given Deep Learning Container repositories (plus ecr:GetAuthorizationToken,
      which IAM cannot scope to a resource);
    - writing logs to the endpoint's own log group and metrics to SageMaker namespaces;
    - using the given KMS key;
    - creating network interfaces when the model runs in a VPC;
    - in a separate data policy: reading and writing objects under the given S3 prefixes,
      and publishing to the given SNS topics (`allow_publish`).

    Never an AWS managed full-access policy. Costs nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_repositories: Sequence[str],
        read_prefixes: Sequence[str | S3Prefix] = (),
        write_prefixes: Sequence[str | S3Prefix] = (),
        kms_key: kms.IKey | None = None,
        endpoint_name: str | None = None,
        in_vpc: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        require(bool(image_repositories), "image_repositories", "give at least one ECR repository name")
        for repository in image_repositories:
            require_serving_repository(repository, "image_repositories")
        reads = [_prefix(p, "read_prefixes") for p in read_prefixes]
        writes = [_prefix(p, "write_prefixes") for p in write_prefixes]

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker model execution role (deepseek-cdk, least privilege)",
        )
        self.policy = iam.ManagedPolicy(
            self, "Policy", roles=[self.role], description="What a deepseek-cdk model may do, and no more"
        )
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="PullServingImage",
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                resources=[dlc_repository_arn(self, r) for r in image_repositories],
            ),
            iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(
                sid="PublishMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}},
            ),
        )
        log_group = f"{ENDPOINT_LOG_GROUPS}/{endpoint_name or '*'}"
        # Pseudo-parameter tokens, not Stack.format_arn: the ARN (and so the cdk-nag finding id
        # acknowledged below) stays the same whether or not the stack has a concrete region.
        log_arn = f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:log-group:{log_group}"
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[log_arn, f"{log_arn}:log-stream:*"],
            )
        )
        if kms_key is not None:
            self.policy.add_statements(
                iam.PolicyStatement(
                    sid="UseDeploymentKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[kms_key.key_arn],
                )
            )
        if in_vpc:
            self.policy.add_statements(
                iam.PolicyStatement(
                    sid="VpcNetworkInterfaces",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                    ],
                    resources=["*"],
                )
            )
        self._acknowledge_wildcards(endpoint_name, in_vpc)

        self.data_policy: iam.ManagedPolicy | None = None  # created with its first grant
        for prefix in reads:
            self.allow_read(prefix)
        for prefix in writes:
            self.allow_write(prefix)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The role, so CDK grants take this construct (`bucket.grant_read(execution_role)`);
        such grants go to the role's own inline policy, the data policy holds `allow_*`'s."""
        return self.role

    def allow_read(self, prefix: S3Prefix) -> None:
        self._acknowledge_prefix(prefix, "reads (weights, async requests)")
        self._data().add_statements(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[prefix.objects_arn]),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[prefix.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix.prefix}*"]}},
            ),
        )

    def allow_write(self, prefix: S3Prefix) -> None:
        self._acknowledge_prefix(prefix, "writes (async results, captures)")
        self._data().add_statements(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=[prefix.objects_arn]
            )
        )

    def allow_publish(self, *topics: sns.ITopic) -> None:
        self._data().add_statements(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[t.topic_arn for t in topics])
        )

    def allow_describe_alarms(self, *alarms: cloudwatch.IAlarm) -> None:
        """What SageMaker's deployment guardrails need to watch a rollout's rollback alarms."""
        self._data().add_statements(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in alarms]
            )
        )

    def _data(self) -> iam.ManagedPolicy:
        if self.data_policy is None:
            self.data_policy = iam.ManagedPolicy(
                self,
                "DataPolicy",
                roles=[self.role],
                description="The S3 prefixes and SNS topics a deepseek-cdk model uses, and no others",
            )
        return self.data_policy

    def _acknowledge_prefix(self, prefix: S3Prefix, use: str) -> None:
        acknowledge(
            self._data(),
            f"AwsSolutions-IAM5[Resource::{nag_reference(self, prefix.objects_arn)}]",
            f"the objects under one prefix that this model {use}, not the whole bucket",
        )

    def _acknowledge_wildcards(self, endpoint_name: str | None, in_vpc: bool) -> None:
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken has no resource-level permissions (IAM service authorization "
            "reference); cloudwatch:PutMetricData is limited by a namespace condition instead"
            + (
                "; the ec2 network-interface actions SageMaker needs in a VPC take no resource ARN"
                if in_vpc
                else ""
            ),
        )
        log_group = (
            "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:" + ENDPOINT_LOG_GROUPS
        )
        if endpoint_name is None:
            acknowledge(
                self.policy,
                f"AwsSolutions-IAM5[Resource::{log_group}/*]",
                "no endpoint name was given, so the role may write to SageMaker endpoint log groups only",
            )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{log_group}/{endpoint_name or '*'}:log-stream:*]",
            "log streams are created by SageMaker per instance with names not known in advance",
        )


def _prefix(value: str | S3Prefix, prop: str) -> S3Prefix:
    return value if isinstance(value, S3Prefix) else S3Prefix.parse(value, prop)
