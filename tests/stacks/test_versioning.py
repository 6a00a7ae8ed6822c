"""Versioning as the stacks render it: every key of the spec's versioning shows in the
template (shadow, data capture, rollout, staged versions, retention), and replacing v1 with
v2 is an update SageMaker accepts with scaling attached."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from aws_cdk.assertions import Template

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import ROOT, SYNTH_DEPLOYMENTS, TEST_ENV, Synthesized, make_app


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(resource_type)


def logical_ids_of_refs(value: Any) -> set[str]:
    """Every logical id a property refers to (Ref or Fn::GetAtt)."""
    text = json.dumps(value)
    refs = {part.split('"')[0] for part in text.split('{"Ref": "')[1:]}
    atts = {part.split('"')[0] for part in text.split('{"Fn::GetAtt": ["')[1:]}
    return refs | atts


def test_the_shadow_is_a_shadow_variant_of_its_version_at_a_fixed_count_never_autoscaled(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["canary-with-shadow"]
    tier = s.plan.tier("chat")
    config = s.one_of_tier("AWS::SageMaker::EndpointConfig", "chat")
    (production,) = config["ProductionVariants"]
    (shadow,) = config["ShadowProductionVariants"]
    assert (production["VariantName"], production["InitialVariantWeight"]) == ("live-1", 1.0)
    assert (shadow["VariantName"], shadow["InitialVariantWeight"]) == ("shadow", 0.2)  # sample_percent 20
    models = resources(s.inference, "AWS::SageMaker::Model")
    version_of = {
        logical_id: next(t["Value"] for t in m["Properties"]["Tags"] if t["Key"] == "version")
        for logical_id, m in models.items()
    }
    assert version_of[logical_ids_of_refs(shadow["ModelName"]).pop()] == "v2"
    assert version_of[logical_ids_of_refs(production["ModelName"]).pop()] == "v1"
    planned = tier.capacity.shadow
    # 20% of max 6 rounded up, and two at least under the canary (its step must stay within
    # half of every variant): a fixed count, since no AWS page documents autoscaling a shadow.
    assert planned is not None and (planned.initial, planned.min, planned.max) == (2, 2, 2)
    assert shadow["InitialInstanceCount"] == 2
    targets = s.of_tier("AWS::ApplicationAutoScaling::ScalableTarget", "chat")
    assert [t for t in targets if "/variant/shadow" in json.dumps(t["ResourceId"])] == []


def test_a_shadow_alarms_but_never_pages_or_rolls_back(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["canary-with-shadow"]
    alarms = resources(s.inference, "AWS::CloudWatch::Alarm")
    shadow_alarms = {
        logical_id
        for logical_id, a in alarms.items()
        if {"Name": "VariantName", "Value": "shadow"} in a["Properties"].get("Dimensions", [])
    }
    assert {a.split("Shadow")[0] for a in shadow_alarms} >= {
        "ChatAlarmsLatency",
        "ChatAlarmsErrors5xx",
        "ChatAlarmsErrors4xx",
    }
    (page,) = [
        c
        for logical_id, c in resources(s.inference, "AWS::CloudWatch::CompositeAlarm").items()
        if logical_id.startswith("ChatAlarms")
    ]
    assert not logical_ids_of_refs(page["Properties"]["AlarmRule"]) & shadow_alarms
    endpoint = s.one_of_tier("AWS::SageMaker::Endpoint", "chat")
    rollback = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert not logical_ids_of_refs(rollback) & shadow_alarms


def test_the_dashboard_puts_production_and_shadow_side_by_side(synthesized: dict[str, Synthesized]) -> None:
    (dashboard,) = resources(
        synthesized["canary-with-shadow"].inference, "AWS::CloudWatch::Dashboard"
    ).values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "production vs shadow: p90 model latency" in body
    assert "production vs shadow: 5XX rate" in body


def test_data_capture_writes_requests_and_answers_under_the_tier_prefix(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["scheduled-chat"]
    capture = s.one_of_tier("AWS::SageMaker::EndpointConfig", "chat")["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 5
    assert json.dumps(capture["DestinationS3Uri"]).endswith('/capture/chat/"]]}')
    assert [o["CaptureMode"] for o in capture["CaptureOptions"]] == ["Input", "Output"]
    assert capture["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}  # not base64
    assert capture["KmsKeyId"]
    policies = json.dumps(resources(s.inference, "AWS::IAM::ManagedPolicy"))
    assert "/capture/chat/*" in policies
    # Tiers without data_capture write nothing there.
    canary = synthesized["canary-with-shadow"]
    assert "DataCaptureConfig" not in canary.one_of_tier("AWS::SageMaker::EndpointConfig", "burst")


def test_the_rollout_is_the_endpoints_blue_green_deployment_config(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["canary-with-shadow"]
    rollout = s.plan.tier("chat").rollout
    assert rollout is not None
    config = s.one_of_tier("AWS::SageMaker::Endpoint", "chat")["DeploymentConfig"]
    policy = config["BlueGreenUpdatePolicy"]
    # The example's own values (canary 20%, bake 15 min, termination wait 7 min), not defaults.
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
        "WaitIntervalInSeconds": 900,
    }
    assert policy["TerminationWaitInSeconds"] == 420
    assert policy["MaximumExecutionTimeoutInSeconds"] == rollout.max_execution_s
    assert 600 <= rollout.max_execution_s <= 28_800
    assert rollout.max_execution_s > rollout.duration_s
    rollback = logical_ids_of_refs(config["AutoRollbackConfiguration"]["Alarms"])
    assert {a[:-8] for a in rollback} == {"ChatAlarmsLatencyLive1", "ChatAlarmsErrors5xxLive1"}
    # SageMaker reads the alarms with the models' role: it may describe exactly those.
    statements = [
        st
        for p in resources(s.inference, "AWS::IAM::ManagedPolicy").values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
        if st["Action"] == "cloudwatch:DescribeAlarms"
    ]
    chat = [st for st in statements if logical_ids_of_refs(st["Resource"]) & rollback]
    (statement,) = chat
    assert logical_ids_of_refs(statement["Resource"]) == rollback


def test_behind_a_router_a_slow_version_rolls_back_too() -> None:
    """The example's rollouts with a router in front: each live version's p90 TTFT and TPOT
    alarms (RouterMonitoring) join its variant's (component's) rollback alarms, which the
    models' role may describe; the shadow, which answers nobody, has none."""
    spec = yaml.safe_load((ROOT / SYNTH_DEPLOYMENTS["canary-with-shadow"]).read_text())
    spec["router"] = {"default_tier": "chat"}
    resources = synth(spec)

    def props(kind: str, prefix: str) -> dict[str, Any]:
        matches = [r for k, r in resources.items() if r["Type"] == kind and k.startswith(prefix)]
        (found,) = [r["Properties"] for r in matches]
        return found

    chat = props("AWS::SageMaker::Endpoint", "ChatEndpoint")["DeploymentConfig"]["AutoRollbackConfiguration"]
    rollback = logical_ids_of_refs(chat["Alarms"])
    assert {a[:-8] for a in rollback} == {
        "ChatAlarmsLatencyLive1",
        "ChatAlarmsErrors5xxLive1",
        "ChatRouterAlarmsTimeToFirstTokenLive1",
        "ChatRouterAlarmsTimePerOutputTokenLive1",
    }
    for alarm in rollback & {k for k in resources if "RouterAlarms" in k}:
        dimensions = {d["Name"]: d["Value"] for d in resources[alarm]["Properties"]["Dimensions"]}
        assert dimensions == {"Deployment": "canary", "Tier": "chat", "Version": "v1"}
    assert not [k for k in resources if "RouterAlarms" in k and "Shadow" in k]
    statements = [
        st
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        for st in r["Properties"]["PolicyDocument"]["Statement"]
        if st["Action"] == "cloudwatch:DescribeAlarms" and logical_ids_of_refs(st["Resource"]) & rollback
    ]
    (statement,) = statements
    assert logical_ids_of_refs(statement["Resource"]) == rollback
    component = props("AWS::SageMaker::InferenceComponent", "BurstEndpoint")["DeploymentConfig"]
    assert {a[:-8] for a in logical_ids_of_refs(component["AutoRollbackConfiguration"]["Alarms"])} == {
        "BurstAlarmsLatencyLive1",
        "BurstAlarmsErrors5xxLive1",
        "BurstRouterAlarmsTimeToFirstTokenLive1",
        "BurstRouterAlarmsTimePerOutputTokenLive1",
    }


def test_inference_components_roll_out_in_batches_with_their_own_alarms(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["canary-with-shadow"]
    (component,) = s.of_tier("AWS::SageMaker::InferenceComponent", "burst")
    config = component["DeploymentConfig"]
    assert config["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 50}
    assert config["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 480
    rollback = logical_ids_of_refs(config["AutoRollbackConfiguration"]["Alarms"])
    assert {a[:-8] for a in rollback} == {"BurstAlarmsLatencyLive1", "BurstAlarmsErrors5xxLive1"}


def test_tiers_without_a_rollout_have_no_deployment_config(synthesized: dict[str, Synthesized]) -> None:
    for props in synthesized["default"].inference.find_resources("AWS::SageMaker::Endpoint").values():
        assert "DeploymentConfig" not in props["Properties"]


def test_a_staged_version_has_a_model_and_no_variant(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["canary-with-shadow"]
    models = resources(s.inference, "AWS::SageMaker::Model")
    staged = [m for m in models.values() if {"Key": "version", "Value": "v3"} in m["Properties"]["Tags"]]
    (model,) = staged
    assert model["Properties"]["PrimaryContainer"]["Environment"]["HF_REVISION"] == (
        "008b8c2e0b59dac9b7619d58a5ad609f43a5b6b1"
    )
    config = json.dumps(s.one_of_tier("AWS::SageMaker::EndpointConfig", "chat"))
    assert next(k for k, m in models.items() if m is model) not in config


def test_retention_is_the_artifacts_bucket_lifecycle(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["canary-with-shadow"]
    (bucket,) = [
        b for b in resources(s.stateful, "AWS::S3::Bucket").values() if "BucketName" in b["Properties"]
    ]
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    models, capture = rules["ReplacedModelWeights"], rules["CapturedData"]
    assert models["Prefix"] == "models/"
    # The example's own retention (5 versions, 45 days, 400 days), not the defaults.
    assert models["NoncurrentVersionTransitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 45}]
    assert models["NoncurrentVersionExpiration"] == {"NoncurrentDays": 400, "NewerNoncurrentVersions": 5}
    assert "ExpirationInDays" not in models  # current weights are never expired
    assert capture["Prefix"] == "capture/"
    assert capture["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 45}]
    assert capture["ExpirationInDays"] == 400


# ---------------------------------------------------------------------------------------
# Replacing v1 with v2: the update SageMaker must accept with scaling attached

ROLLING: dict[str, Any] = {
    "name": "roll",
    "tiers": [
        {
            "name": "chat",
            "model": "deepseek-r1-distill-qwen-7b",
            "max_context_tokens": 8192,
            "scaling": {"min": 2, "max": 4},
            "versions": [{"name": "v1", "revision": "6602cadec947dbb53e64f3d8d6425320b2197247"}],
            "rollout": {"strategy": "canary", "canary_percent": 25, "bake_minutes": 10},
        }
    ],
}


def synth(spec: dict[str, Any]) -> dict[str, Any]:
    app = make_app()
    stacks = build_deployment(app, build_plan(parse_deployment(spec)), env=TEST_ENV)
    resources: dict[str, Any] = Template.from_stack(stacks.inference).to_json()["Resources"]
    return resources


def test_replacing_v1_with_v2_updates_the_endpoint_in_place_and_keeps_its_scaling() -> None:
    v2 = copy.deepcopy(ROLLING)
    v2["tiers"][0]["versions"] = [{"name": "v2", "revision": "916b56a44061fd5cd7d6a8fb632557ed4f724f60"}]
    before, after = synth(ROLLING), synth(v2)

    def of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
        return {k: r for k, r in template.items() if r["Type"] == kind}

    # v1's model goes, v2's comes: a new model for the new weights.
    assert [k[:-8] for k in of_type(before, "AWS::SageMaker::Model")] == ["ChatModelV1Model"]
    assert [k[:-8] for k in of_type(after, "AWS::SageMaker::Model")] == ["ChatModelV2Model"]
    # The endpoint config is replace-only (no physical name): a new one, same variant name.
    (config_id,) = of_type(before, "AWS::SageMaker::EndpointConfig")
    assert of_type(after, "AWS::SageMaker::EndpointConfig").keys() == {config_id}
    old_variant = before[config_id]["Properties"]["ProductionVariants"][0]
    new_variant = after[config_id]["Properties"]["ProductionVariants"][0]
    assert old_variant["VariantName"] == new_variant["VariantName"] == "live-1"
    assert old_variant["ModelName"] != new_variant["ModelName"]
    # The endpoint keeps its logical id and its name: CloudFormation updates it in place to the
    # new config, and that update is the blue/green deployment with its canary and rollback.
    (endpoint_id,) = of_type(before, "AWS::SageMaker::Endpoint")
    old_endpoint, new_endpoint = before[endpoint_id]["Properties"], after[endpoint_id]["Properties"]
    assert old_endpoint["EndpointName"] == new_endpoint["EndpointName"]
    assert new_endpoint["DeploymentConfig"] == old_endpoint["DeploymentConfig"]
    assert new_endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "Type"
    ] == ("CANARY")
    # Scaling stays registered on the same variant: the scalable target, its policy and the
    # rollback alarms are unchanged, so CloudFormation leaves them alone during the update.
    for kind in (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::CloudWatch::Alarm",
    ):
        assert of_type(before, kind) == of_type(after, kind), kind
    (target,) = of_type(after, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert "/variant/live-1" in json.dumps(target["Properties"]["ResourceId"])


def test_adding_or_removing_a_variant_replaces_the_endpoint_under_a_new_name() -> None:
    """SageMaker refuses an update that removes a variant with a registered scalable target,
    so a change in the number of variants renames the endpoint: a replacement, like a new
    instance type, instead of an update."""
    shadowed = copy.deepcopy(ROLLING)
    shadowed["tiers"][0]["versions"].append(
        {"name": "v2", "revision": "916b56a44061fd5cd7d6a8fb632557ed4f724f60", "weight": 0}
    )
    shadowed["tiers"][0]["shadow"] = {"version": "v2", "sample_percent": 10}
    names = []
    for spec in (ROLLING, shadowed):
        (endpoint,) = [r for r in synth(spec).values() if r["Type"] == "AWS::SageMaker::Endpoint"]
        names.append(endpoint["Properties"]["EndpointName"])
    assert names == ["roll-chat-g5-2xlarge-1", "roll-chat-g5-2xlarge-1s"]


# ---------------------------------------------------------------------------------------
# The registry: a group per tier, a package per version, in the stateful stack


def test_every_version_is_a_retained_package_in_its_tiers_group(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["canary-with-shadow"]
    groups = resources(s.stateful, "AWS::SageMaker::ModelPackageGroup")
    assert sorted(g["Properties"]["ModelPackageGroupName"] for g in groups.values()) == [
        "canary-burst",
        "canary-chat",
    ]
    packages = resources(s.stateful, "AWS::SageMaker::ModelPackage")
    chat = {
        p["Properties"]["CustomerMetadataProperties"]["version"]: p
        for p in packages.values()
        if p["Properties"]["ModelPackageGroupName"] == "canary-chat"
    }
    assert {v: p["Properties"]["ModelApprovalStatus"] for v, p in chat.items()} == {
        "v1": "Approved",
        "v2": "Approved",
        "v3": "PendingManualApproval",
    }
    for resource in [*groups.values(), *packages.values()]:
        # A version dropped from the spec, or replaced by a changed one, stays in the registry.
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    for package in packages.values():
        assert "Tags" not in package["Properties"]  # packages take no tags
    plan_v1 = s.plan.tier("chat").versions[0]
    metadata = chat["v1"]["Properties"]["CustomerMetadataProperties"]
    assert metadata["settings-hash"] == plan_v1.settings_hash
    assert (
        metadata["weights"]
        == "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B@6602cadec947dbb53e64f3d8d6425320b2197247"
    )
    assert metadata["container"] == "djl-inference:0.36.0-lmi20.0.0-cu128-v1.0"
    assert (
        metadata["planned-cost"]
        == f"{plan_v1.monthly_at_min:.0f}-{plan_v1.monthly_at_max:.0f} USD a month at min-max at "
        f"{s.plan.tier('chat').price.region} prices"
    )
    container = chat["v1"]["Properties"]["InferenceSpecification"]["Containers"][0]
    assert container["Environment"] == dict(plan_v1.env)
    spec = chat["v1"]["Properties"]["InferenceSpecification"]
    assert spec["SupportedRealtimeInferenceInstanceTypes"] == [s.plan.tier("chat").instance_type]


def test_each_model_is_tagged_with_its_package_arn(synthesized: dict[str, Synthesized]) -> None:
    s = synthesized["canary-with-shadow"]
    packages = {
        logical_id: p["Properties"]["CustomerMetadataProperties"]
        for logical_id, p in resources(s.stateful, "AWS::SageMaker::ModelPackage").items()
    }
    for model in resources(s.inference, "AWS::SageMaker::Model").values():
        tags = {t["Key"]: t["Value"] for t in model["Properties"]["Tags"]}
        output = tags["model-package-arn"]["Fn::GetStackOutput"]
        assert output["StackName"] == "canary-stateful"
        (logical_id,) = [k for k in packages if k in output["OutputName"]]
        assert (packages[logical_id]["tier"], packages[logical_id]["version"]) == (
            tags["tier"],
            tags["version"],
        )


def test_autoscaled_endpoints_keep_their_instance_counts_through_an_update(
    synthesized: dict[str, Synthesized],
) -> None:
    """Without RetainAllVariantProperties an update (a blue/green one too) would start every
    variant at its initial count, whatever scaling had reached; weights still follow the spec."""
    checked = 0
    for s in synthesized.values():
        targets = [
            json.dumps(t["Properties"]["ResourceId"])
            for t in resources(s.inference, "AWS::ApplicationAutoScaling::ScalableTarget").values()
        ]
        for logical_id, endpoint in resources(s.inference, "AWS::SageMaker::Endpoint").items():
            props = endpoint["Properties"]
            scaled_here = any(logical_id in t and "/variant/" in t for t in targets)
            if scaled_here:
                checked += 1
                assert props["RetainAllVariantProperties"] is True
                assert props["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]
    assert checked >= 8  # every real-time and async tier of the shipped deployments
