"""RealtimeEndpoint: a SageMaker real-time endpoint with one or more weighted variants."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from deepseek_cdk.catalog import INSTANCES
from deepseek_cdk.constructs.common import acknowledge, require
from deepseek_cdk.constructs.execution_role import parse_s3_prefix
from deepseek_cdk.constructs.scaling import CapacityScaling, ScalableKind

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # endpoint and variant names
TIMEOUT_RANGE = (60, 3600)
INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
NVME_KMS_REASON = (
    "{instance} has local NVMe instance storage, which is hardware-encrypted; SageMaker does not "
    "use a KMS key for it (CreateEndpointConfig KmsKeyId), so no key is set on this config"
)


@dataclass(frozen=True)
class Variant:
    """One production variant: a model and its share of the traffic."""

    name: str
    model_name: str
    weight: float = 1.0


@dataclass(frozen=True)
class DataCapture:
    """Capture a sample of requests and responses to S3 for audit."""

    destination_uri: str  # s3://bucket/prefix/
    sampling_percent: int = 100
    kms_key: kms.IKey | None = None


class RealtimeEndpoint(Construct):
    """An EndpointConfig and an Endpoint serving `variants` on `instance_type`.

    Creates AWS::SageMaker::EndpointConfig (no physical name: replace-only) with one
    production variant per model, LEAST_OUTSTANDING_REQUESTS routing (a long generation does
    not pile more requests onto a busy instance), start-up timeouts from the plan, and
    optional data capture (the models' role must be allowed to write there); and
    AWS::SageMaker::Endpoint. A KMS key is set only on instance
    types without local NVMe; NVMe instance storage is hardware-encrypted.

    Cost: every variant bills its instances per second while the endpoint exists, with or
    without traffic (`initial_instance_count` x the instance price).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[Variant],
        instance_type: str,
        initial_instance_count: int = 1,
        model_download_timeout_s: int = 600,
        startup_health_check_timeout_s: int = 600,
        volume_size_gb: int | None = None,
        local_nvme: bool | None = None,
        kms_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        endpoint_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        _validate(variants, instance_type, initial_instance_count, endpoint_name)
        for prop, seconds in (
            ("model_download_timeout_s", model_download_timeout_s),
            ("startup_health_check_timeout_s", startup_health_check_timeout_s),
        ):
            require(TIMEOUT_RANGE[0] <= seconds <= TIMEOUT_RANGE[1], prop, f"must be 60-3600 (got {seconds})")
        if local_nvme is None:
            require(
                instance_type in INSTANCES,
                "local_nvme",
                f"{instance_type} is not in the catalog: say whether it has local NVMe storage",
            )
            local_nvme = INSTANCES[instance_type].local_nvme
        require(
            volume_size_gb is None or (not local_nvme and 1 <= volume_size_gb <= 512),
            "volume_size_gb",
            f"only for instances without local NVMe, 1-512 GB (got {volume_size_gb} on {instance_type})",
        )

        self.instance_type = instance_type
        self.variant_names = [v.name for v in variants]
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=v.name,
                    model_name=v.model_name,
                    initial_variant_weight=v.weight,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    model_data_download_timeout_in_seconds=model_download_timeout_s,
                    container_startup_health_check_timeout_in_seconds=startup_health_check_timeout_s,
                    volume_size_in_gb=volume_size_gb,
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(
                        routing_strategy="LEAST_OUTSTANDING_REQUESTS"
                    ),
                )
                for v in variants
            ],
            kms_key_id=None if local_nvme or kms_key is None else kms_key.key_arn,
            data_capture_config=_data_capture(data_capture),
        )
        if local_nvme:
            reason = NVME_KMS_REASON.format(instance=instance_type)
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
                acknowledge(
                    self.endpoint_config, f"{pack}-SageMakerEndpointConfigurationKMSKeyConfigured", reason
                )

        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
        )

    @property
    def endpoint_name(self) -> str:
        return self.endpoint.attr_endpoint_name

    def scale_instances(
        self, *, min_capacity: int, max_capacity: int, variant: str | None = None
    ) -> CapacityScaling:
        """Register a variant's instance count with Application Auto Scaling; add policies and
        schedules on the result (`.on_concurrency(...)`, `.on_schedule(...)`).

        The target's resource id references the endpoint's name attribute, so the target is
        created after the endpoint and, when the endpoint is replaced under a new name, a new
        target is registered on the new endpoint and the old one is removed with the old
        endpoint. Give the endpoint a name that changes with its instance type (the stacks use
        `<deployment>-<tier>-<instance>`): SageMaker refuses an in-place update that changes the
        instance type of a variant with a registered scalable target.
        """
        variant_name = variant or self.variant_names[0]
        require(variant_name in self.variant_names, "variant", f"must be one of {self.variant_names}")
        require(
            min_capacity >= 1,
            "min_capacity",
            "a real-time variant cannot scale to 0 instances; use inference components or an async "
            f"endpoint for that (got {min_capacity})",
        )
        return CapacityScaling(
            self,
            f"Scaling{''.join(p.capitalize() for p in variant_name.split('-'))}",
            kind=ScalableKind.VARIANT_INSTANCES,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{variant_name}",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )

    def metric(
        self,
        metric_name: str,
        *,
        variant: str | None = None,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Average",
        period: cdk.Duration | None = None,
    ) -> cloudwatch.Metric:
        """A CloudWatch metric of one variant (the first by default)."""
        variant_name = variant or self.variant_names[0]
        require(variant_name in self.variant_names, "variant", f"must be one of {self.variant_names}")
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": variant_name},
            statistic=statistic,
            period=period or cdk.Duration.minutes(1),
        )

    def metric_invocations(self, variant: str | None = None) -> cloudwatch.Metric:
        return self.metric("Invocations", variant=variant, statistic="Sum")

    def metric_model_latency(self, variant: str | None = None, statistic: str = "p90") -> cloudwatch.Metric:
        """Time spent in the container, in microseconds."""
        return self.metric("ModelLatency", variant=variant, statistic=statistic)

    def metric_4xx_errors(self, variant: str | None = None) -> cloudwatch.Metric:
        """Average = share of requests answered 4xx."""
        return self.metric("Invocation4XXErrors", variant=variant)

    def metric_5xx_errors(self, variant: str | None = None) -> cloudwatch.Metric:
        """Average = share of requests answered 5xx."""
        return self.metric("Invocation5XXErrors", variant=variant)

    def metric_gpu_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        """Percent summed over GPUs: 0-100 x GPU count."""
        return self.metric("GPUUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)

    def metric_gpu_memory_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        """Percent summed over GPUs: 0-100 x GPU count."""
        return self.metric("GPUMemoryUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)

    def metric_disk_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        return self.metric("DiskUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)


def _validate(variants: Sequence[Variant], instance_type: str, count: int, endpoint_name: str | None) -> None:
    require(1 <= len(variants) <= 10, "variants", f"give 1-10 variants (got {len(variants)})")
    names = [v.name for v in variants]
    require(len(set(names)) == len(names), "variants", f"variant names must be unique (got {names})")
    for v in variants:
        require(bool(NAME.match(v.name)), "variants", f"variant name {v.name!r}: letters, digits, '-'; <= 63")
        require(v.weight >= 0, "variants", f"variant {v.name!r}: weight must be >= 0 (got {v.weight})")
    require(sum(v.weight for v in variants) > 0, "variants", "at least one variant needs a weight above 0")
    require(
        instance_type.startswith("ml."),
        "instance_type",
        f"must be a SageMaker type like ml.g6e.xlarge (got {instance_type!r})",
    )
    require(count >= 1, "initial_instance_count", f"must be >= 1 (got {count})")
    require(
        endpoint_name is None or bool(NAME.match(endpoint_name)),
        "endpoint_name",
        f"letters, digits and '-', at most 63 characters (got {endpoint_name!r})",
    )


def _data_capture(
    capture: DataCapture | None,
) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
    if capture is None:
        return None
    parse_s3_prefix(capture.destination_uri, "data_capture.destination_uri")
    require(
        0 < capture.sampling_percent <= 100,
        "data_capture.sampling_percent",
        f"must be 1-100 (got {capture.sampling_percent})",
    )
    return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        destination_s3_uri=capture.destination_uri,
        initial_sampling_percentage=capture.sampling_percent,
        kms_key_id=capture.kms_key.key_arn if capture.kms_key else None,
        capture_options=[
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
        ],
        enable_capture=True,
    )
