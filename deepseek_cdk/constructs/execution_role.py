"""ModelExecutionRole: the least-privilege role a SageMaker model runs as."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from deepseek_cdk.constructs.common import acknowledge, dlc_repository_arn, require

S3_PREFIX = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+/)$")
ENDPOINT_LOG_GROUPS = "/aws/sagemaker/Endpoints"


def parse_s3_prefix(uri: str, prop: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, prefix/), or ValueError naming `prop`."""
    match = S3_PREFIX.match(uri)
    require(match is not None, prop, f"must be an S3 prefix like s3://bucket/prefix/ (got {uri!r})")
    assert match is not None
    return match.group(1), match.group(2)


class ModelExecutionRole(Construct):
    """An IAM role for SageMaker models, with one customer-managed policy that allows only:

    - pulling the given Deep Learning Container repositories (plus ecr:GetAuthorizationToken,
      which IAM cannot scope to a resource);
    - reading the given S3 weight prefixes, and writing to the given capture/output prefixes;
    - writing logs to the endpoint's own log group and metrics to SageMaker namespaces;
    - using the given KMS key for those objects;
    - creating network interfaces when the model runs in a VPC.

    Never AmazonSageMakerFullAccess. Costs nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_repositories: Sequence[str],
        read_prefixes: Sequence[str] = (),
        write_prefixes: Sequence[str] = (),
        kms_key: kms.IKey | None = None,
        endpoint_name: str | None = None,
        in_vpc: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        require(bool(image_repositories), "image_repositories", "give at least one ECR repository name")
        reads = [parse_s3_prefix(u, "read_prefixes") for u in read_prefixes]
        writes = [parse_s3_prefix(u, "write_prefixes") for u in write_prefixes]

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker model execution role (deepseek-cdk, least privilege)",
        )
        self.policy = iam.ManagedPolicy(
            self, "Policy", roles=[self.role], description="What a deepseek-cdk model may do, and no more"
        )
        statements = self.policy.document

        statements.add_statements(
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
        log_group = f"{ENDPOINT_LOG_GROUPS}/{endpoint_name}" if endpoint_name else f"{ENDPOINT_LOG_GROUPS}/*"
        # Pseudo-parameter tokens, not Stack.format_arn: the ARN (and so the cdk-nag finding id
        # acknowledged below) stays the same whether or not the stack has a concrete region.
        log_arn = f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:log-group:{log_group}"
        statements.add_statements(
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
        for bucket, prefix in reads:
            statements.add_statements(*_read_prefix(bucket, prefix))
        for bucket, prefix in writes:
            statements.add_statements(
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[_object_arn(bucket, prefix)])
            )
        if kms_key is not None:
            statements.add_statements(
                iam.PolicyStatement(
                    sid="UseDeploymentKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[kms_key.key_arn],
                )
            )
        if in_vpc:
            statements.add_statements(
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

        self._acknowledge_wildcards(reads + writes, endpoint_name, in_vpc)

    def _acknowledge_wildcards(
        self, prefixes: list[tuple[str, str]], endpoint_name: str | None, in_vpc: bool
    ) -> None:
        why = "AwsSolutions-IAM5[Resource::*]"
        acknowledge(
            self.policy,
            why,
            "ecr:GetAuthorizationToken has no resource-level permissions (IAM service authorization "
            "reference); cloudwatch:PutMetricData is limited by a namespace condition instead"
            + (
                "; the ec2 network-interface actions SageMaker needs in a VPC take no resource ARN"
                if in_vpc
                else ""
            ),
        )
        for bucket, prefix in prefixes:
            acknowledge(
                self.policy,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}*]",
                f"objects under the one prefix s3://{bucket}/{prefix} that this model reads or writes",
            )
        if endpoint_name is None:
            acknowledge(
                self.policy,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
                f"log-group:{ENDPOINT_LOG_GROUPS}/*]",
                "no endpoint name was given, so the role may write to SageMaker endpoint log groups only",
            )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
            f"log-group:{ENDPOINT_LOG_GROUPS}/{endpoint_name or '*'}:log-stream:*]",
            "log streams are created by SageMaker per instance with names not known in advance",
        )


def _object_arn(bucket: str, prefix: str) -> str:
    return f"arn:{cdk.Aws.PARTITION}:s3:::{bucket}/{prefix}*"


def _read_prefix(bucket: str, prefix: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[_object_arn(bucket, prefix)]),
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{bucket}"],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        ),
    ]
