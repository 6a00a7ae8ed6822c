"""RealtimeEndpoint: a SageMaker real-time endpoint with one or more weighted variants."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from deepseek_cdk.constructs.endpoint_base import (
    SageMakerEndpoint,
    acknowledge_nvme_storage,
    production_variant,
    storage_key,
)
from deepseek_cdk.constructs.endpoint_props import Hosting, Variant, validate_endpoint_name, validate_variants
from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.s3_prefix import S3Prefix

__all__ = ["DataCapture", "Hosting", "RealtimeEndpoint", "Variant"]


@dataclass(frozen=True)
class DataCapture:
    """Capture a sample of requests and responses to S3 for audit.

    `json_content_types` (default `application/json`, what the router sends and asks for) are
    captured as JSON text: "If no headers are specified Amazon SageMaker AI will by default
    base64 encode when capturing the data" (SageMaker API reference,
    CaptureContentTypeHeader), which would store every prompt and answer as base64."""

    destination: str | S3Prefix  # s3://bucket/prefix/, or an S3Prefix (its bucket may be a token)
    sampling_percent: int = 100
    kms_key: kms.IKey | None = None
    json_content_types: tuple[str, ...] = ("application/json",)


class RealtimeEndpoint(SageMakerEndpoint):
    """An EndpointConfig and an Endpoint serving `variants` on `hosting`'s instances, and
    optionally a `shadow` variant that receives a copy of a share of the requests.

    Creates AWS::SageMaker::EndpointConfig (no physical name: replace-only) with one
    production variant per model, LEAST_OUTSTANDING_REQUESTS routing (a long generation does
    not pile more requests onto a busy instance), start-up timeouts from the plan, and
    optional data capture of requests and answers, the shadow's too (the models' role must
    be allowed to write there); and AWS::SageMaker::Endpoint. Updates can shift traffic
    blue/green with automatic rollback (`roll_out`).

    Shadow: SageMaker allows one shadow variant, beside exactly one production variant. Its
    `weight` relative to the production variant's is the share of requests copied to it
    (the production variant's weight is taken as 1; this reading of the weight is not
    documented by SageMaker). Its answers go nowhere but data capture and its metrics.
    A KMS key is set only on instance types without local NVMe;
    NVMe instance storage is hardware-encrypted.

    Cost: every variant bills its instances per second while the endpoint exists, with or
    without traffic (`hosting.initial_instance_count` x the instance price).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[Variant],
        hosting: Hosting,
        kms_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        endpoint_name: str | None = None,
        shadow: Variant | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validate_variants(variants)
        if shadow is not None:
            require(
                len(variants) == 1, "shadow", "SageMaker runs a shadow beside one production variant only"
            )
            require(0 < shadow.weight <= 1, "shadow", f"weight: the share copied, 0-1 (got {shadow.weight})")
            validate_variants([*variants, shadow])
        validate_endpoint_name(endpoint_name)
        hosting = hosting.validated()
        capture = _data_capture(data_capture)

        self.instance_type = hosting.instance_type
        self.variant_names = [v.name for v in variants]
        self.shadow_name = shadow.name if shadow else None

        def variant(v: Variant, weight: float) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
            return production_variant(
                hosting,
                name=v.name,
                model_name=v.model_name,
                weight=weight,
                initial_instance_count=v.initial_instance_count,
            )

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[variant(v, 1.0 if shadow else v.weight) for v in variants],
            shadow_production_variants=[variant(shadow, shadow.weight)] if shadow else None,
            kms_key_id=storage_key(hosting, kms_key),
            data_capture_config=capture,
        )
        acknowledge_nvme_storage(self.endpoint_config, hosting)
        self._create_endpoint(endpoint_name)
        if shadow is not None:
            self.variant_names.append(shadow.name)

    @property
    def production_variant_names(self) -> list[str]:
        """The variants that answer requests (all but the shadow)."""
        return [v for v in self.variant_names if v != self.shadow_name]

    def metric_invocations(self, variant: str | None = None) -> cloudwatch.Metric:
        return self.metric("Invocations", variant=variant, statistic="Sum")

    def metric_concurrent_requests(self, variant: str | None = None) -> cloudwatch.Metric:
        """Requests in the container per instance, queued ones included (published every 10 s;
        this metric averages them over a minute)."""
        return self.metric("ConcurrentRequestsPerModel", variant=variant)

    def metric_invocations_per_instance(self, variant: str | None = None) -> cloudwatch.Metric:
        return self.metric("InvocationsPerInstance", variant=variant, statistic="Sum")

    def metric_4xx_errors(self, variant: str | None = None) -> cloudwatch.Metric:
        """Average = share of requests answered 4xx."""
        return self.metric("Invocation4XXErrors", variant=variant)

    def metric_5xx_errors(self, variant: str | None = None) -> cloudwatch.Metric:
        """Average = share of requests answered 5xx."""
        return self.metric("Invocation5XXErrors", variant=variant)


def _data_capture(
    capture: DataCapture | None,
) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
    if capture is None:
        return None
    destination = (
        capture.destination
        if isinstance(capture.destination, S3Prefix)
        else S3Prefix.parse(capture.destination, "data_capture.destination")
    )
    require(
        0 < capture.sampling_percent <= 100,
        "data_capture.sampling_percent",
        f"must be 1-100 (got {capture.sampling_percent})",
    )
    require(
        1 <= len(capture.json_content_types) <= 10
        and all(_CONTENT_TYPE.fullmatch(t) for t in capture.json_content_types),
        "data_capture.json_content_types",
        f"1-10 content types such as application/json (got {capture.json_content_types})",
    )
    return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        destination_s3_uri=destination.uri,
        initial_sampling_percentage=capture.sampling_percent,
        kms_key_id=capture.kms_key.key_arn if capture.kms_key else None,
        capture_options=[
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
        ],
        capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
            json_content_types=list(capture.json_content_types)
        ),
        enable_capture=True,
    )


# CaptureContentTypeHeader.JsonContentTypes' pattern (SageMaker API reference), at most 256 long.
_CONTENT_TYPE = re.compile(r"(?=.{1,256}$)[a-zA-Z0-9](-*[a-zA-Z0-9])*/[a-zA-Z0-9](-*[a-zA-Z0-9.])*")
