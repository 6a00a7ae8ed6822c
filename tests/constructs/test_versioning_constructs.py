"""The versioning constructs on their own: a shadow variant, blue/green and rolling updates,
the model registry, retention rules; and their bad props, each refused naming the prop."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template

from deepseek_cdk.constructs import ArtifactStore, BlueGreen, ModelRegistry, Retention, Variant
from tests.constructs.builders import ENV, UNKNOWN_REPOSITORY, endpoint, ic_endpoint, stack


def alarm(scope: Any, name: str) -> cloudwatch.Alarm:
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="ModelLatency")
    return cloudwatch.Alarm(scope, name, metric=metric, threshold=1, evaluation_periods=1)


def test_a_shadow_variant_copies_its_share_beside_one_production_variant() -> None:
    s = stack()
    e = endpoint(s, shadow=Variant("shadow", "model-b", weight=0.25))
    props = next(iter(Template.from_stack(s).find_resources("AWS::SageMaker::EndpointConfig").values()))
    config = props["Properties"]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ProductionVariants"]] == [
        ("v1", 1)
    ]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ShadowProductionVariants"]] == [
        ("shadow", 0.25)
    ]
    assert e.variant_names == ["v1", "shadow"] and e.production_variant_names == ["v1"]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {
                "variants": [Variant("v1", "a"), Variant("v2", "b")],
                "shadow": Variant("shadow", "c", weight=0.1),
            },
            "shadow: SageMaker runs a shadow beside one production variant only",
        ),
        ({"shadow": Variant("shadow", "c", weight=5)}, "shadow: weight: the share copied, 0-1"),
        ({"shadow": Variant("v1", "c", weight=0.5)}, "variants: variant names must be unique"),
    ],
)
def test_bad_shadows_are_refused(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        endpoint(stack(), **props)


def test_roll_out_sets_a_blue_green_deployment_config_with_rollback_alarms() -> None:
    s = stack()
    e = endpoint(s)
    e.roll_out(
        BlueGreen("linear", step_percent=20, bake_s=300, max_execution_s=3600),
        rollback_alarms=[alarm(s, "A")],
    )
    (props,) = Template.from_stack(s).find_resources("AWS::SageMaker::Endpoint").values()
    config = props["Properties"]["DeploymentConfig"]
    assert config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
        "WaitIntervalInSeconds": 300,
    }
    assert len(config["AutoRollbackConfiguration"]["Alarms"]) == 1


@pytest.mark.parametrize(
    ("policy", "alarms", "message"),
    [
        (BlueGreen("canary", step_percent=60), 1, "step_percent: a canary step must be 1-50%"),
        (BlueGreen("linear", step_percent=5), 1, "step_percent: a linear step must be 10-50%"),
        (BlueGreen("all-at-once", step_percent=10), 1, "step_percent: only for canary and linear"),
        (BlueGreen("blue"), 1, "strategy: all-at-once, canary or linear"),
        (BlueGreen(bake_s=4000), 1, "bake_s: must be 0-3600"),
        (BlueGreen(bake_s=3600, max_execution_s=3600), 1, "max_execution_s: must be 600-28800 and longer"),
        (BlueGreen(max_execution_s=30_000), 1, "max_execution_s"),
        (BlueGreen(), 0, "rollback_alarms: give 1-10 alarms"),
        (BlueGreen(), 11, "rollback_alarms: give 1-10 alarms"),
    ],
)
def test_bad_rollouts_are_refused(policy: BlueGreen, alarms: int, message: str) -> None:
    s = stack()
    e = endpoint(s)
    with pytest.raises(ValueError, match=message):
        e.roll_out(policy, rollback_alarms=[alarm(s, f"A{i}") for i in range(alarms)])


def test_a_component_rolls_out_in_batches() -> None:
    s = stack()
    e = ic_endpoint(s)
    (name,) = e.components
    e.roll_out_component(
        name, batch_percent=25, wait_s=120, max_execution_s=3600, rollback_alarms=[alarm(s, "A")]
    )
    with pytest.raises(ValueError, match="batch_percent: must be 5-50"):
        e.roll_out_component(
            name, batch_percent=60, wait_s=0, max_execution_s=3600, rollback_alarms=[alarm(s, "B")]
        )
    with pytest.raises(ValueError, match="component: must be one of"):
        e.roll_out_component("nope", batch_percent=25, wait_s=0, max_execution_s=3600, rollback_alarms=[])
    (props,) = Template.from_stack(s).find_resources("AWS::SageMaker::InferenceComponent").values()
    policy = props["Properties"]["DeploymentConfig"]["RollingUpdatePolicy"]
    assert policy["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}


def test_the_registry_retains_a_group_and_its_packages() -> None:
    s = stack()
    registry = ModelRegistry(s, "Registry", group_name="deepseek-chat", description="chat")
    registry.register(
        "v1",
        image_repository="djl-inference",
        image_tag="0.36.0-lmi20.0.0-cu128-v1.0",
        environment=ENV,
        instance_type="ml.g6.2xlarge",
        weights_uri="s3://bucket/models/chat/v1/",
        approval="pending",
        metadata={"revision": "abc", "memory-fit": "15.2 GB weights + 1.8 GB KV cache"},
    )
    template = Template.from_stack(s)
    (package,) = template.find_resources("AWS::SageMaker::ModelPackage").values()
    assert package["DeletionPolicy"] == "Retain"
    assert package["Properties"]["ModelApprovalStatus"] == "PendingManualApproval"
    container = package["Properties"]["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataSource"]["S3DataSource"]["S3Uri"] == "s3://bucket/models/chat/v1/"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"approval": "maybe"}, "approval: one of approved, pending, rejected"),
        ({"image_repository": "djl-inferense"}, re.escape(f"image_repository: {UNKNOWN_REPOSITORY}")),
        (
            {"environment": {f"K{i}": "v" for i in range(17)}},
            "environment: a model package carries at most 16",
        ),
        ({"metadata": {"cost": "$1,000"}}, "metadata: 'cost': 1-256 letters"),
        ({"metadata": {"empty": ""}}, "metadata: 'empty'"),
        ({"weights_uri": "bucket/v1"}, "weights_uri: must be an S3 prefix"),
    ],
)
def test_bad_registrations_are_refused(props: dict[str, Any], message: str) -> None:
    registry = ModelRegistry(stack(), "Registry", group_name="deepseek-chat", description="chat")
    defaults: dict[str, Any] = {
        "image_repository": "djl-inference",
        "image_tag": "0.36.0-lmi20.0.0-cu128-v1.0",
        "environment": ENV,
        "instance_type": "ml.g6.2xlarge",
    }
    with pytest.raises(ValueError, match=message):
        registry.register("v1", **{**defaults, **props})


def test_a_bad_group_name_is_refused() -> None:
    with pytest.raises(ValueError, match="group_name: letters, digits and '-'"):
        ModelRegistry(stack(), "Registry", group_name="deepseek_chat", description="chat")


def test_retention_rules_are_checked() -> None:
    with pytest.raises(ValueError, match=r"retention\.archive_after_days: must be 1 or more and before"):
        ArtifactStore(stack(), "Store", retention=Retention(archive_after_days=400, expire_after_days=365))
    with pytest.raises(ValueError, match=r"retention\.keep_noncurrent_versions: must be 1-100"):
        ArtifactStore(stack(), "Store", retention=Retention(keep_noncurrent_versions=0))
    with pytest.raises(ValueError, match=r"retention\.async_days: must be 1-3650 \(got 0\)"):
        ArtifactStore(stack(), "Store", retention=Retention(async_days=0))
    with pytest.raises(
        ValueError, match=r"retention\.async_prefixes: each must be a key prefix ending in '/'"
    ):
        ArtifactStore(stack(), "Store", retention=Retention(async_prefixes=("async/chat/requests",)))


def test_each_async_prefix_gets_its_own_expiry_rule() -> None:
    s = stack()
    prefixes = ("async/chat/requests/", "async/chat/responses/")
    ArtifactStore(s, "Store", retention=Retention(async_days=7, async_prefixes=prefixes))
    template = Template.from_stack(s)
    for prefix, rule_id in zip(
        prefixes, ("ExpireAsyncChatRequests", "ExpireAsyncChatResponses"), strict=True
    ):
        template.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "LifecycleConfiguration": {
                    "Rules": Match.array_with(
                        [
                            {
                                "Id": rule_id,
                                "Prefix": prefix,
                                "ExpirationInDays": 7,
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                                "Status": "Enabled",
                            }
                        ]
                    )
                }
            },
        )


def test_a_linear_rollouts_execution_time_covers_every_step() -> None:
    """Steps of 20% are five shifts, each followed by a bake: five bakes of 600 s and the
    termination wait need more than 3,000 s."""
    s = stack()
    e = endpoint(s)
    with pytest.raises(ValueError, match=r"longer than the waits \(3000 s\)"):
        e.roll_out(
            BlueGreen("linear", step_percent=20, bake_s=600, max_execution_s=2400),
            rollback_alarms=[alarm(s, "A")],
        )
    e.roll_out(
        BlueGreen("linear", step_percent=20, bake_s=600, max_execution_s=3600),
        rollback_alarms=[alarm(s, "B")],
    )
