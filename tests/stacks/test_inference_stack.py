"""Assertions of intent on the inference stack: what the plan says is what gets deployed."""

import json

import pytest
from aws_cdk.assertions import Match, Template

from deepseek_cdk.constructs.nag import COMPLIANCE_PACKS
from tests.conftest import SYNTH_DEPLOYMENTS, SYNTH_TIERS, Synthesized

DEPLOYMENTS = sorted(SYNTH_DEPLOYMENTS)
TIERS = [(name, tier) for name, tier, _ in SYNTH_TIERS]


def only(template: Template, resource_type: str) -> dict:  # type: ignore[type-arg]
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, resources
    return next(iter(resources.values()))["Properties"]


@pytest.mark.parametrize(("name", "tier_name"), TIERS)
def test_endpoint_config_follows_the_plan(
    synthesized: dict[str, Synthesized], name: str, tier_name: str
) -> None:
    s = synthesized[name]
    tier = s.plan.tier(tier_name)
    variants = s.of_endpoint("AWS::SageMaker::EndpointConfig", tier_name)["ProductionVariants"]
    if tier.endpoint == "inference-components":
        (variant,) = variants  # one shared variant; timeouts sit on the components
        assert variant["ManagedInstanceScaling"]["Status"] == "ENABLED"
        assert "ModelName" not in variant
        for component in s.of_tier("AWS::SageMaker::InferenceComponent", tier_name):
            assert component["Specification"]["StartupParameters"] == {
                "ModelDataDownloadTimeoutInSeconds": tier.model_download_timeout_s,
                "ContainerStartupHealthCheckTimeoutInSeconds": tier.startup_health_check_timeout_s,
            }
        return
    assert [v["VariantName"] for v in variants] == [v.slot for v in tier.capacity.live]
    for variant, planned in zip(variants, tier.capacity.live, strict=True):
        assert variant["InstanceType"] == tier.instance_type
        assert variant["InitialInstanceCount"] == planned.initial
        assert variant["ModelDataDownloadTimeoutInSeconds"] == tier.model_download_timeout_s
        assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] == tier.startup_health_check_timeout_s
        assert "VolumeSizeInGB" not in variant  # every catalog instance has local NVMe
        if tier.endpoint == "realtime":
            assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


@pytest.mark.parametrize(("name", "tier_name"), TIERS)
def test_model_env_and_image_follow_the_plan(
    synthesized: dict[str, Synthesized], name: str, tier_name: str
) -> None:
    s = synthesized[name]
    tier = s.plan.tier(tier_name)
    container = s.of_tier("AWS::SageMaker::Model", tier_name)[0]["PrimaryContainer"]
    assert container["Environment"] == dict(tier.versions[0].env)
    image = json.dumps(container["Image"])
    assert f"{tier.image_repository}:{tier.image_tag}" in image
    assert "763104351884" in image  # us-east-1 Deep Learning Containers account, from CDK's facts


@pytest.mark.parametrize(("name", "tier_name"), TIERS)
def test_no_kms_key_on_nvme_instances_and_the_rule_is_acknowledged(
    synthesized: dict[str, Synthesized], name: str, tier_name: str
) -> None:
    s = synthesized[name]
    assert "KmsKeyId" not in s.of_endpoint("AWS::SageMaker::EndpointConfig", tier_name)
    config = s.stacks.inference.tiers[tier_name].endpoint.endpoint_config
    metadata = json.dumps([entry.data for entry in config.node.metadata], default=str)
    for pack in COMPLIANCE_PACKS:
        assert f"{pack}-SageMakerEndpointConfigurationKMSKeyConfigured" in metadata
    assert "hardware-encrypted" in metadata


@pytest.mark.parametrize(("name", "tier_name"), TIERS)
def test_endpoint_name_carries_the_instance_type(
    synthesized: dict[str, Synthesized], name: str, tier_name: str
) -> None:
    s = synthesized[name]
    tier = s.plan.tier(tier_name)
    assert s.of_endpoint("AWS::SageMaker::Endpoint", tier_name)["EndpointName"] == tier.endpoint_name
    instance = tier.instance_type.removeprefix("ml.").replace(".", "-")
    # ... then, unless it hosts inference components, its variant count (`s`: and a shadow).
    shadow = "s" if tier.capacity.shadow else ""
    suffix = "" if tier.endpoint.per_component else f"-{len(tier.capacity.live)}{shadow}"
    assert tier.endpoint_name.endswith(instance + suffix)
    # Model and EndpointConfig are replace-only: they must never carry a physical name.
    assert all("ModelName" not in m for m in s.of_tier("AWS::SageMaker::Model", tier_name))
    assert "EndpointConfigName" not in s.of_endpoint("AWS::SageMaker::EndpointConfig", tier_name)


@pytest.mark.parametrize(("name", "tier_name"), TIERS)
def test_roles_are_least_privilege(synthesized: dict[str, Synthesized], name: str, tier_name: str) -> None:
    s = synthesized[name]
    tier = s.plan.tier(tier_name)
    text = json.dumps(s.inference.to_json())
    assert "FullAccess" not in text
    for role in s.inference.find_resources("AWS::IAM::Role").values():
        assert "Policies" not in role["Properties"]  # no inline policies
        # No AWS managed policies, but the one API Gateway's account-level log role needs.
        managed = json.dumps(role["Properties"].get("ManagedPolicyArns", []))
        assert managed in ("[]", "") or managed.endswith(
            ':policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}]'
        )
    (role_id,) = [
        k
        for k, r in s.inference.find_resources("AWS::IAM::Role").items()
        if {"Key": "tier", "Value": tier_name} in r["Properties"]["Tags"]
    ]
    policies = [
        p["Properties"]
        for p in s.inference.find_resources("AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    statements = [st for p in policies for st in p["PolicyDocument"]["Statement"]]
    by_sid = {st.get("Sid"): st for st in statements}
    assert json.dumps(by_sid["PullServingImage"]["Resource"]).endswith(
        f':repository/{tier.image_repository}"]]}}'
    )
    assert by_sid["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"
    assert tier.endpoint_name in json.dumps(by_sid["WriteOwnLogs"]["Resource"])
    assert by_sid["PublishMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}
    }
    wildcard = [st for st in statements if st["Resource"] == "*"]
    assert {st["Sid"] for st in wildcard} == {"EcrLogin", "PublishMetrics"}
    actions = {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert not any(a.endswith("*") for a in actions)


def test_s3_weights_are_read_from_their_prefix_only_and_isolate_the_network(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["r1-full"]
    model = only(s.inference, "AWS::SageMaker::Model")
    assert model["EnableNetworkIsolation"] is True
    assert model["PrimaryContainer"]["ModelDataSource"] == {
        "S3DataSource": {
            "S3Uri": "s3://example-model-weights/deepseek-r1/",
            "S3DataType": "S3Prefix",
            "CompressionType": "None",
        }
    }
    assert model["PrimaryContainer"]["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    s.inference.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:ListBucket",
                                "Condition": {"StringLike": {"s3:prefix": ["deepseek-r1/*"]}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_hub_weights_need_the_network(synthesized: dict[str, Synthesized]) -> None:
    model = synthesized["default"].one_of_tier("AWS::SageMaker::Model", "chat")
    assert model["EnableNetworkIsolation"] is False
    assert "ModelDataSource" not in model["PrimaryContainer"]


@pytest.mark.parametrize(
    "resource_type",
    [
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::IAM::Role",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    ],
)
def test_every_resource_is_tagged_for_cost_allocation(
    synthesized: dict[str, Synthesized], resource_type: str
) -> None:
    s = synthesized["default"]
    tags = {t["Key"]: t["Value"] for t in s.one_of_tier(resource_type, "chat")["Tags"]}
    assert tags["deployment"] == "deepseek"
    assert tags["tier"] == "chat"
    assert tags["model"] == "deepseek-r1-distill-qwen-7b"
    if resource_type == "AWS::SageMaker::Model":
        assert tags["version"] == "v1"
