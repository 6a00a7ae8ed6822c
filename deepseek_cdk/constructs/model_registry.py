"""ModelRegistry: a tier's versions in the SageMaker model registry, the audit trail of what ran."""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from deepseek_cdk.constructs.images import dlc_image_uri, require_serving_repository
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.names import SAGEMAKER

APPROVAL = {"approved": "Approved", "pending": "PendingManualApproval", "rejected": "Rejected"}
MAX_PACKAGE_ENV = 16  # ModelPackageContainerDefinition.Environment
MAX_METADATA = 50  # CustomerMetadataProperties: 1-50 entries, keys 1-128, values 1-256 characters
# What CustomerMetadataProperties accepts: letters, spaces, digits and _ . : / = + - @.
METADATA_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}\Z", re.ASCII)


class ModelRegistry(Construct):
    """An AWS::SageMaker::ModelPackageGroup, and an AWS::SageMaker::ModelPackage per version
    (`register`): the serving image, its environment, the weights, the instance type it
    was planned for, its approval status, and metadata that answers "what exactly ran".

    Both are retained when removed from the template or when their stack is deleted, so a
    deploy never loses history: a version dropped from the spec stays in the registry, and
    a changed version becomes a new package version beside the old one (a package's
    specification cannot change in place). Packages carry no tags (the registry's FAQ: model
    packages do not support them; their group does). Cost: metadata only; the plan prices
    no registry charge.
    """

    def __init__(self, scope: Construct, construct_id: str, *, group_name: str, description: str) -> None:
        super().__init__(scope, construct_id)
        require(
            SAGEMAKER.fits(group_name),
            "group_name",
            f"letters, digits and '-', at most 63 characters (got {group_name!r})",
        )
        self.group_name = group_name
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description=description[:1024],
        )
        self.group.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.packages: dict[str, sagemaker.CfnModelPackage] = {}

    def register(
        self,
        version: str,
        *,
        image_repository: str,
        image_tag: str,
        environment: Mapping[str, str],
        instance_type: str,
        weights_uri: str | None = None,
        approval: str = "approved",
        metadata: Mapping[str, str] | None = None,
        description: str = "",
    ) -> sagemaker.CfnModelPackage:
        """A package version in the group for `version`; `metadata` values may use letters,
        digits, spaces and _ . : / = + - @ (what the registry accepts)."""
        require(version not in self.packages, "version", f"{version!r} is registered already")
        require_serving_repository(image_repository, "image_repository")
        require(approval in APPROVAL, "approval", f"one of {', '.join(APPROVAL)} (got {approval!r})")
        require(
            len(environment) <= MAX_PACKAGE_ENV,
            "environment",
            f"a model package carries at most {MAX_PACKAGE_ENV} entries (got {len(environment)})",
        )
        entries = dict(metadata or {})
        require(len(entries) <= MAX_METADATA, "metadata", f"at most {MAX_METADATA} entries")
        for key, value in entries.items():
            require(
                bool(METADATA_VALUE.match(key)) and len(key) <= 128 and bool(METADATA_VALUE.match(value)),
                "metadata",
                f"{key!r}: 1-256 letters, digits, spaces or _ . : / = + - @ (got {value!r})",
            )
        weights = S3Prefix.parse(weights_uri, "weights_uri") if weights_uri else None
        package = sagemaker.CfnModelPackage(
            self,
            f"Version{pascal(version)}",
            model_package_group_name=self.group_name,
            model_package_description=description[:1024] or None,
            model_approval_status=APPROVAL[approval],
            customer_metadata_properties=entries or None,
            inference_specification=sagemaker.CfnModelPackage.InferenceSpecificationProperty(
                containers=[
                    sagemaker.CfnModelPackage.ModelPackageContainerDefinitionProperty(
                        image=dlc_image_uri(self, image_repository, image_tag),
                        environment=dict(environment),
                        model_data_source=(
                            sagemaker.CfnModelPackage.ModelDataSourceProperty(
                                s3_data_source=sagemaker.CfnModelPackage.S3ModelDataSourceProperty(
                                    s3_uri=weights.uri, s3_data_type="S3Prefix", compression_type="None"
                                )
                            )
                            if weights
                            else None
                        ),
                    )
                ],
                supported_content_types=["application/json"],
                supported_response_mime_types=["application/json", "text/event-stream"],
                supported_realtime_inference_instance_types=[instance_type],
            ),
        )
        package.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        package.node.add_dependency(self.group)
        self.packages[version] = package
        return package

    def package_arn(self, version: str) -> str:
        require(version in self.packages, "version", f"must be one of {list(self.packages)}")
        return self.packages[version].attr_model_package_arn
