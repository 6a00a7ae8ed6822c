"""RealtimeEndpoint on its own: weighted variants, data capture, storage keys, metrics, bad props."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    DataCapture,
    Variant,
)
from tests.constructs.builders import (
    endpoint,
    no_resources,
    stack,
)


def test_endpoint_with_weighted_variants_and_data_capture() -> None:
    s = stack()
    key = kms.Key(s, "Key", enable_key_rotation=True)
    e = endpoint(
        s,
        variants=[Variant("v1", "model-a", weight=90), Variant("v2", "model-b", weight=10)],
        data_capture=DataCapture("s3://bucket/capture/", sampling_percent=20, kms_key=key),
        endpoint_name="my-endpoint",
    )
    props = next(iter(Template.from_stack(s).find_resources("AWS::SageMaker::EndpointConfig").values()))[
        "Properties"
    ]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in props["ProductionVariants"]] == [
        ("v1", 90),
        ("v2", 10),
    ]
    capture = props["DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == "s3://bucket/capture/"
    assert capture["InitialSamplingPercentage"] == 20
    assert "KmsKeyId" in capture
    # JSON is captured as JSON text: without the header SageMaker stores it base64-encoded.
    assert capture["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}
    assert e.variant_names == ["v1", "v2"]


def test_kms_key_is_set_only_on_instances_without_local_nvme() -> None:
    s = stack()
    key = kms.Key(s, "Key", enable_key_rotation=True)
    endpoint(s, instance_type="ml.m5.xlarge", local_nvme=False, volume_size_gb=30, kms_key=key)
    props = next(iter(Template.from_stack(s).find_resources("AWS::SageMaker::EndpointConfig").values()))[
        "Properties"
    ]
    assert "KmsKeyId" in props
    assert props["ProductionVariants"][0]["VolumeSizeInGB"] == 30


def test_metric_helpers_name_the_endpoint_variant_and_namespace() -> None:
    s = stack()
    e = endpoint(s, endpoint_name="chat")
    latency = e.metric_model_latency()
    assert (latency.metric_name, latency.namespace, latency.statistic) == (
        "ModelLatency",
        "AWS/SageMaker",
        "p90",
    )
    gpu = e.metric_gpu_memory_utilization()
    assert gpu.namespace == "/aws/sagemaker/Endpoints"
    assert set(s.resolve(gpu.dimensions)) == {"EndpointName", "VariantName"}
    assert e.metric_invocations().statistic == "Sum"
    with pytest.raises(ValueError, match="variant: must be one of"):
        e.metric_5xx_errors(variant="v9")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"variants": []}, "variants: give 1-10 variants"),
        ({"variants": [Variant("v1", "a"), Variant("v1", "b")]}, "variants: variant names must be unique"),
        ({"variants": [Variant("v_1", "a")]}, "variants: variant name 'v_1'"),
        ({"variants": [Variant("v1", "a", weight=0)]}, "variants: at least one variant needs a weight"),
        ({"instance_type": "g5.xlarge"}, "instance_type: must be a SageMaker type"),
        ({"initial_instance_count": 0}, "initial_instance_count: must be >= 1"),
        ({"model_download_timeout_s": 5000}, "model_download_timeout_s: must be 60-3600"),
        ({"startup_health_check_timeout_s": 30}, "startup_health_check_timeout_s: must be 60-3600"),
        ({"volume_size_gb": 100}, "volume_size_gb: only for instances without local NVMe"),
        ({"endpoint_name": "has.dots"}, "endpoint_name: letters, digits and '-'"),
        (
            {"data_capture": DataCapture("s3://bucket/capture/", sampling_percent=0)},
            "data_capture.sampling_percent",
        ),
        (
            {"data_capture": DataCapture("s3://bucket/capture/", json_content_types=("json",))},
            "data_capture.json_content_types",
        ),
    ],
)
def test_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        endpoint(s, **props)
    assert no_resources(s)
