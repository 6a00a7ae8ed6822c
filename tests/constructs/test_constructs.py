"""The constructs on their own, as another CDK app would use them: good and bad props."""

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam_
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    Component,
    DataCapture,
    Hosting,
    LlmModel,
    ModelExecutionRole,
    RealtimeEndpoint,
    Variant,
)
from tests.conftest import TEST_ENV, make_app

ENV = {"HF_MODEL_ID": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"}
SUBNET = "subnet-0123456789abcdef0"
SECURITY_GROUP = "sg-0123456789abcdef0"


def stack(env: cdk.Environment | None = TEST_ENV) -> cdk.Stack:
    return cdk.Stack(make_app(), "Test", env=env)


def no_resources(scope: cdk.Stack) -> bool:
    return not [c for c in scope.node.find_all() if isinstance(c, cdk.CfnResource)]


def model(scope: cdk.Stack, **props: Any) -> LlmModel:
    defaults: dict[str, Any] = {
        "image_repository": "djl-inference",
        "image_tag": "0.36.0-lmi20.0.0-cu128-v1.0",
    }
    return LlmModel(scope, "Model", **{**defaults, "environment": ENV, **props})


HOSTING_FIELDS = {f for f in Hosting.__dataclass_fields__}


def split_hosting(props: dict[str, Any], instance_type: str) -> dict[str, Any]:
    """Test shorthand: hosting fields given flat are gathered into a Hosting."""
    hosting = {"instance_type": instance_type, **{k: v for k, v in props.items() if k in HOSTING_FIELDS}}
    return {**{k: v for k, v in props.items() if k not in HOSTING_FIELDS}, "hosting": Hosting(**hosting)}


def endpoint(scope: cdk.Stack, **props: Any) -> RealtimeEndpoint:
    defaults: dict[str, Any] = {"variants": [Variant("v1", "model-a")]}
    return RealtimeEndpoint(scope, "Endpoint", **{**defaults, **split_hosting(props, "ml.g6.2xlarge")})


def test_model_with_defaults_creates_its_own_least_privilege_role() -> None:
    s = stack()
    m = model(s)
    t = Template.from_stack(s)
    t.resource_count_is("AWS::IAM::Role", 1)
    t.resource_count_is("AWS::IAM::ManagedPolicy", 1)
    assert m.network_isolation is False
    assert "FullAccess" not in json.dumps(t.to_json())


def test_environment_agnostic_image_uses_a_region_mapping() -> None:
    s = stack(env=None)
    model(s)
    t = Template.from_stack(s).to_json()
    image = json.dumps(next(iter(Template.from_stack(s).find_resources("AWS::SageMaker::Model").values())))
    assert "Fn::FindInMap" in image
    (mapping,) = t["Mappings"].values()
    assert mapping["us-east-1"] == {"value": "763104351884"}


@pytest.mark.parametrize(
    ("region", "account"),
    [("il-central-1", "780543022126"), ("ap-southeast-5", "550225433462"), ("mx-central-1", "637423239942")],
)
def test_regions_missing_from_cdk_facts_use_the_cited_supplement(region: str, account: str) -> None:
    s = stack(env=cdk.Environment(account="111111111111", region=region))
    model(s)
    assert f"{account}.dkr.ecr." in json.dumps(Template.from_stack(s).to_json())


def test_agnostic_mapping_includes_the_supplement() -> None:
    s = stack(env=None)
    model(s)
    (mapping,) = Template.from_stack(s).to_json()["Mappings"].values()
    assert mapping["il-central-1"] == {"value": "780543022126"}


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="region 'xx-north-9': no Deep Learning Containers registry"):
        model(stack(env=cdk.Environment(account="111111111111", region="xx-north-9")))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"image_tag": "latest"}, "image_tag: must be a pinned tag"),
        ({"weights_uri": "s3://bucket/model.tar.gz"}, "weights_uri: must be an S3 prefix"),
        ({"network_isolation": True}, "network_isolation: needs weights_uri"),
        ({"subnet_ids": [SUBNET]}, "subnet_ids: give subnet_ids and security_group_ids together"),
        ({"environment": {"K" * 1025: "v"}}, "environment: keys and values must be 1-1024 characters"),
    ],
)
def test_model_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        model(s, **props)
    assert no_resources(s)  # nothing half-created


def test_model_in_a_vpc_may_manage_network_interfaces() -> None:
    s = stack()
    model(s, subnet_ids=[SUBNET], security_group_ids=[SECURITY_GROUP])
    t = Template.from_stack(s)
    props = next(iter(t.find_resources("AWS::SageMaker::Model").values()))["Properties"]
    assert props["VpcConfig"] == {"Subnets": [SUBNET], "SecurityGroupIds": [SECURITY_GROUP]}
    assert "ec2:CreateNetworkInterface" in json.dumps(t.find_resources("AWS::IAM::ManagedPolicy"))


def test_role_without_endpoint_name_is_limited_to_sagemaker_log_groups() -> None:
    s = stack()
    ModelExecutionRole(s, "Role", image_repositories=["djl-inference"])
    policy = json.dumps(Template.from_stack(s).find_resources("AWS::IAM::ManagedPolicy"))
    assert ":log-group:/aws/sagemaker/Endpoints/*" in policy


def test_role_bad_props() -> None:
    with pytest.raises(ValueError, match="image_repositories: give at least one"):
        ModelExecutionRole(stack(), "Role", image_repositories=[])
    with pytest.raises(ValueError, match="write_prefixes: must be an S3 prefix"):
        ModelExecutionRole(stack(), "Role", image_repositories=["x"], write_prefixes=["bucket/x/"])


def test_endpoint_with_weighted_variants_and_data_capture() -> None:
    s = stack()
    key = kms.Key(s, "Key", enable_key_rotation=True)
    e = endpoint(
        s,
        variants=[Variant("v1", "model-a", 90), Variant("v2", "model-b", 10)],
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
        ({"variants": [Variant("v1", "a", 0)]}, "variants: at least one variant needs a weight"),
        ({"instance_type": "g5.xlarge"}, "instance_type: must be a SageMaker type"),
        ({"instance_type": "ml.m5.xlarge"}, "local_nvme: ml.m5.xlarge is not in the catalog"),
        ({"initial_instance_count": 0}, "initial_instance_count: must be >= 1"),
        ({"model_download_timeout_s": 5000}, "model_download_timeout_s: must be 60-3600"),
        ({"startup_health_check_timeout_s": 30}, "startup_health_check_timeout_s: must be 60-3600"),
        ({"volume_size_gb": 100}, "volume_size_gb: only for instances without local NVMe"),
        ({"endpoint_name": "has.dots"}, "endpoint_name: letters, digits and '-'"),
        (
            {"data_capture": DataCapture("s3://bucket/capture/", sampling_percent=0)},
            "data_capture.sampling_percent",
        ),
    ],
)
def test_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        endpoint(s, **props)
    assert no_resources(s)


def async_endpoint(scope: cdk.Stack, **props: Any) -> Any:
    from deepseek_cdk.constructs import AsyncEndpoint, S3Prefix

    defaults: dict[str, Any] = {
        "model_name": "m",
        "output": S3Prefix("bucket", "out/"),
        "failure": S3Prefix("bucket", "err/"),
        "kms_key": kms.Key(scope, "Key", enable_key_rotation=True),
        "max_concurrent_invocations": 8,
    }
    return AsyncEndpoint(scope, "Async", **{**defaults, **split_hosting(props, "ml.g6e.xlarge")})


def test_async_endpoint_without_scale_to_zero_has_no_wake_up_alarm() -> None:
    s = stack()
    async_endpoint(s).scale_on_backlog(min_capacity=1, max_capacity=2, backlog_per_instance=4)
    t = Template.from_stack(s)
    t.resource_count_is("AWS::CloudWatch::Alarm", 0)
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"max_concurrent_invocations": 0}, "max_concurrent_invocations: must be 1-1000"),
        ({"variant_name": "v_1"}, "variants: variant name 'v_1'"),
        ({"instance_type": "ml.m5.xlarge"}, "local_nvme: ml.m5.xlarge is not in the catalog"),
    ],
)
def test_async_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        async_endpoint(s, **props)
    assert not [
        c for c in s.node.find_all() if isinstance(c, cdk.CfnResource) and not isinstance(c, kms.CfnKey)
    ]


def ic_endpoint(scope: cdk.Stack, **props: Any) -> Any:
    from aws_cdk import aws_iam as iam

    from deepseek_cdk.constructs import InferenceComponentEndpoint

    role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    defaults: dict[str, Any] = {
        "components": [Component("v1", "model-a", accelerators=1, memory_mb=4096)],
        "execution_role": role,
        "min_instances": 0,
        "max_instances": 2,
        "endpoint_name": "chat",
    }
    return InferenceComponentEndpoint(scope, "Ic", **{**defaults, **split_hosting(props, "ml.g6.2xlarge")})


def test_long_component_names_are_shortened_with_a_hash() -> None:
    from deepseek_cdk.constructs.inference_component_endpoint import component_name

    long_endpoint = "deployment-name-long-tier-name-long-g6e-12xlarge-and-more-x"
    a = component_name(long_endpoint, "candidate-version")
    b = component_name(long_endpoint.replace("12xlarge", "24xlarge"), "candidate-version")
    assert len(a) <= 63 and len(b) <= 63 and a != b
    assert a.endswith("-candidate-version")
    assert component_name("chat", "v1") == "chat-v1"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"components": []}, "components: give 1-10 components"),
        (
            {"components": [Component("v1", "model-a", accelerators=0, memory_mb=4096)]},
            "components: 'v1': accelerators must be >= 1",
        ),
        ({"min_instances": 3}, "min_instances: must be 0-2"),
        ({"endpoint_name": "bad name"}, "endpoint_name: letters, digits and '-'"),
    ],
)
def test_inference_component_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        ic_endpoint(s, **props)
    assert not [
        c for c in s.node.find_all() if isinstance(c, cdk.CfnResource) and not isinstance(c, iam_.CfnRole)
    ]


def test_scale_copies_of_an_unknown_component() -> None:
    e = ic_endpoint(stack())
    with pytest.raises(ValueError, match="component: must be one of"):
        e.scale_copies("v9", min_copies=0, max_copies=1, target_concurrency=4)
