"""LlmModel: one AWS::SageMaker::Model serving a DeepSeek model from an LMI or TGI image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IDependable

from deepseek_cdk.constructs.execution_role import ModelExecutionRole
from deepseek_cdk.constructs.images import dlc_image_uri, require_serving_repository
from deepseek_cdk.constructs.nag import skip_checkov
from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.s3_prefix import S3Prefix

MAX_ENV_ENTRIES = 100  # CreateModel ContainerDefinition.Environment
MAX_ENV_LENGTH = 1024


class LlmModel(Construct):
    """A SageMaker Model: the serving image, its env, and where the weights come from.

    Creates an AWS::SageMaker::Model (no physical name: it is replace-only) and, unless a
    role is given, a `ModelExecutionRole` scoped to this image and these weights.

    Weights: from the Hugging Face Hub (the container downloads them; `environment` names
    the model id) or from an uncompressed S3 prefix (`weights_uri`, SageMaker copies it to
    /opt/ml/model). With S3 weights the container runs network-isolated by default: it has
    no internet access at all. A Model costs nothing until an endpoint hosts it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_repository: str,
        image_tag: str,
        environment: Mapping[str, str],
        weights_uri: str | None = None,
        network_isolation: bool | None = None,
        kms_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        require_serving_repository(image_repository, "image_repository")
        require(
            bool(image_tag) and image_tag != "latest",
            "image_tag",
            "must be a pinned tag, not empty or 'latest'",
        )
        require(len(environment) <= MAX_ENV_ENTRIES, "environment", f"at most {MAX_ENV_ENTRIES} entries")
        for key, value in environment.items():
            require(
                0 < len(key) <= MAX_ENV_LENGTH and len(value) <= MAX_ENV_LENGTH,
                "environment",
                f"keys and values must be 1-{MAX_ENV_LENGTH} characters (key {key[:40]!r})",
            )
        if weights_uri is not None:
            S3Prefix.parse(weights_uri, "weights_uri")
        isolated = weights_uri is not None if network_isolation is None else network_isolation
        require(
            not (isolated and weights_uri is None),
            "network_isolation",
            "needs weights_uri: an isolated container cannot download weights from the Hub",
        )
        require(
            bool(subnet_ids) == bool(security_group_ids),
            "subnet_ids",
            "give subnet_ids and security_group_ids together, or neither",
        )

        grants: list[IDependable] = []
        if role is None:
            execution_role = ModelExecutionRole(
                self,
                "ExecutionRole",
                image_repositories=[image_repository],
                read_prefixes=[weights_uri] if weights_uri else [],
                kms_key=kms_key,
                endpoint_name=endpoint_name,
                in_vpc=bool(subnet_ids),
            )
            role = execution_role.role
            grants.append(execution_role.policy)
        self.role = role
        self.network_isolation = isolated

        container = sagemaker.CfnModel.ContainerDefinitionProperty(
            image=dlc_image_uri(self, image_repository, image_tag),
            environment=dict(environment),
            model_data_source=(
                sagemaker.CfnModel.ModelDataSourceProperty(
                    s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
                        s3_uri=weights_uri, s3_data_type="S3Prefix", compression_type="None"
                    )
                )
                if weights_uri
                else None
            ),
        )
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=role.role_arn,
            primary_container=container,
            enable_network_isolation=isolated,
            vpc_config=(
                sagemaker.CfnModel.VpcConfigProperty(
                    subnets=list(subnet_ids), security_group_ids=list(security_group_ids)
                )
                if subnet_ids
                else None
            ),
        )
        if not isolated:
            skip_checkov(
                self.model,
                "CKV_AWS_370",
                "weights come from the Hugging Face Hub, which the container must reach; give "
                "weights_uri (an S3 prefix) to run network-isolated",
            )
        # The role's policy must exist before SageMaker checks that the role can pull the image
        # (the role itself is already a dependency through ExecutionRoleArn).
        self.model.node.add_dependency(*grants)

    @property
    def model_name(self) -> str:
        return self.model.attr_model_name
