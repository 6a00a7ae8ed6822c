"""The router of chat-and-reasoning as synthesized, and RequestRouter's props on their own."""

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from deepseek_cdk.constructs.request_router import RequestRouter
from deepseek_cdk.constructs.router_props import RoutedTier, RouterOptions
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.runtime.router import contract
from deepseek_cdk.runtime.router.handler import RouterConfig
from tests.conftest import TEST_ENV, Synthesized, make_app


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["chat-and-reasoning"]


def resources(s: Synthesized, resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in s.inference.find_resources(resource_type).values()]


def test_every_method_needs_iam_and_every_post_validates_its_body(s: Synthesized) -> None:
    methods = resources(s, "AWS::ApiGateway::Method")
    assert sorted(m["HttpMethod"] for m in methods) == ["GET", "GET", "POST", "POST", "POST"]
    assert all(m["AuthorizationType"] == "AWS_IAM" for m in methods)
    posts = [m for m in methods if m["HttpMethod"] == "POST"]
    assert all("application/json" in post["RequestModels"] for post in posts)
    models = {m["Name"]: m["Schema"] for m in resources(s, "AWS::ApiGateway::Model")}
    # chat/completions: a JSON object at the gateway; the function names each refused field.
    assert models["ChatCompletionRequest"] == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "ChatCompletionRequest",
        "type": "object",
    }
    schema = models["InvokeRequest"]
    assert schema["oneOf"] == [{"required": ["prompt"]}, {"required": ["messages"]}]
    assert schema["additionalProperties"] is False
    message = schema["properties"]["messages"]["items"]
    assert message["properties"]["role"]["enum"] == ["system", "user", "assistant"]
    assert sorted(schema["properties"]["parameters"]["properties"]) == sorted(contract.PARAMETERS)
    validators = resources(s, "AWS::ApiGateway::RequestValidator")
    assert any(v.get("ValidateRequestBody") for v in validators)


def test_stream_and_chat_completions_stream_for_up_to_15_minutes(s: Synthesized) -> None:
    streamed = [
        m["Integration"]
        for m in resources(s, "AWS::ApiGateway::Method")
        if m["Integration"].get("ResponseTransferMode") == "STREAM"
    ]
    assert len(streamed) == 2  # POST stream and POST chat/completions
    for integration in streamed:
        assert integration["Type"] == "AWS_PROXY"
        assert integration["TimeoutInMillis"] == 900_000
        assert "/response-streaming-invocations" in json.dumps(integration["Uri"])
        assert "StreamFunction" in json.dumps(integration["Uri"])
    paths = {r["PathPart"] for r in resources(s, "AWS::ApiGateway::Resource")}
    assert {"invoke", "stream", "jobs", "{id}", "chat", "completions", "models"} == paths


def test_the_gateways_own_errors_are_openai_error_objects(s: Synthesized) -> None:
    """Denied signatures, throttling, bodies that are not JSON objects: API Gateway answers
    them itself, with OpenAI's error object (which the openai SDK reads) beside `message`."""
    responses = {r["ResponseType"]: r for r in resources(s, "AWS::ApiGateway::GatewayResponse")}
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"}
    template = responses["DEFAULT_4XX"]["ResponseTemplates"]["application/json"]
    # What API Gateway substitutes: messageString is quoted, responseType is not.
    body = template.replace("$context.error.messageString", '"Missing Authentication Token"').replace(
        "$context.error.responseType", "MISSING_AUTHENTICATION_TOKEN"
    )
    assert json.loads(body) == {
        "message": "Missing Authentication Token",
        "error": {
            "message": "Missing Authentication Token",
            "type": "invalid_request_error",
            "param": None,
            "code": "MISSING_AUTHENTICATION_TOKEN",
        },
    }
    assert '"type":"rate_limit_error"' in responses["THROTTLED"]["ResponseTemplates"]["application/json"]


def test_stream_function_runs_the_router_through_its_exec_wrapper(s: Synthesized) -> None:
    (function,) = [f for f in resources(s, "AWS::Lambda::Function") if "EXEC_WRAPPER" in json.dumps(f)]
    assert (
        function["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == "/var/task/router/stream-bootstrap"
    )
    assert function["Timeout"] == 900
    assert function["Runtime"] == "python3.14"
    # The wrapper keeps its executable bit in the asset that CDK stages (and zips with modes).
    wrappers = list(Path(s.app.outdir).glob("asset.*/router/stream-bootstrap"))
    assert wrappers and all(os.access(w, os.X_OK) for w in wrappers)


def test_stage_logs_traces_and_throttles(s: Synthesized) -> None:
    (stage,) = resources(s, "AWS::ApiGateway::Stage")
    assert stage["TracingEnabled"] is True
    assert "DestinationArn" in stage["AccessLogSetting"]
    (settings,) = stage["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False  # prompts and answers stay out of the logs
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (20, 40)
    for group in resources(s, "AWS::Logs::LogGroup"):
        assert "KmsKeyId" in group and group["RetentionInDays"] == 365


def router_config(s: Synthesized) -> RouterConfig:
    functions = [f for f in resources(s, "AWS::Lambda::Function") if "ROUTER_CONFIG" in json.dumps(f)]
    (joined,) = {json.dumps(f["Environment"]["Variables"]["ROUTER_CONFIG"]) for f in functions}
    joined = json.loads(joined)
    parts = joined["Fn::Join"][1] if isinstance(joined, dict) else [joined]
    text = "".join(p if isinstance(p, str) else f"<{p.get('Ref')}>" for p in parts)
    return RouterConfig.from_json(text)


def test_the_function_gets_a_config_the_handler_reads(s: Synthesized) -> None:
    config = router_config(s)
    assert config.default_tier == "chat"
    assert config.tiers["chat"].endpoint == s.plan.tier("chat").endpoint_name
    reasoning = config.tiers["reasoning"]
    assert (reasoning.queued, reasoning.endpoint) == (
        True,
        s.plan.tier("reasoning").endpoint_name,
    )
    assert reasoning.requests_prefix == "async/reasoning/requests/"
    assert reasoning.bucket == "chatreason-artifacts-<AWS::AccountId>-<AWS::Region>"
    assert config.rules == (
        {"tier": "reasoning", "max_tokens_at_least": 4096},
        {"tier": "reasoning", "prompt_chars_at_least": 8000},
    )
    chat = s.plan.tier("chat")
    assert config.tiers["chat"].context_tokens == chat.max_context_tokens
    assert config.tiers["chat"].buffered_max_tokens == chat.answers.buffered_max_tokens
    assert config.tiers["chat"].stream_max_tokens == chat.answers.stream_max_tokens
    assert config.time_budget_seconds == contract.BUFFERED_SECONDS
    # What the router's metrics call the deployment and each variant's version.
    assert config.deployment == s.plan.deployment
    for name in ("chat", "reasoning"):
        planned = s.plan.tier(name).capacity.live
        assert config.tiers[name].versions == tuple((v.slot, v.version) for v in planned)


def test_functions_run_on_the_latest_python_with_encrypted_env(s: Synthesized) -> None:
    functions = [f for f in resources(s, "AWS::Lambda::Function") if "ROUTER_CONFIG" in json.dumps(f)]
    assert sorted(f["Timeout"] for f in functions) == [29, 900]
    for function in functions:
        assert function["Runtime"] == "python3.14"
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert "KmsKeyArn" in function


def test_router_role_invokes_only_this_deployments_endpoints(s: Synthesized) -> None:
    (policy,) = [
        p for p in resources(s, "AWS::IAM::ManagedPolicy") if p["Description"] == "What the router may do"
    ]
    statements = policy["PolicyDocument"]["Statement"]
    (realtime,) = [
        st
        for st in statements
        if isinstance(st["Action"], list) and "sagemaker:InvokeEndpoint" in st["Action"]
    ]
    assert realtime["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert json.dumps(realtime["Resource"]).endswith(f'endpoint/{s.plan.tier("chat").endpoint_name}"]]}}')
    (queued,) = [st for st in statements if st["Action"] == "sagemaker:InvokeEndpointAsync"]
    assert json.dumps(queued["Resource"]).endswith(f'endpoint/{s.plan.tier("reasoning").endpoint_name}"]]}}')
    s3 = [
        st
        for st in policy["PolicyDocument"]["Statement"]
        if str(st["Action"]).startswith("s3:") and st["Action"] != "s3:ListBucket"
    ]
    grants = {
        (st["Action"], json.dumps(resource).split("/", 1)[1])
        for st in s3
        for resource in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
    }
    assert grants == {
        ("s3:PutObject", 'async/reasoning/requests/*"]]}'),
        ("s3:GetObject", 'async/reasoning/responses/*"]]}'),
        ("s3:GetObject", 'async/reasoning/failures/*"]]}'),
    }
    # ListBucket only for the result prefixes: S3 then answers 404, not 403, for a result not yet written.
    (listing,) = [st for st in policy["PolicyDocument"]["Statement"] if st["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": ["async/reasoning/responses/*", "async/reasoning/failures/*"]}
    }
    actions = json.dumps([st["Action"] for st in policy["PolicyDocument"]["Statement"]])
    assert '"s3:*"' not in actions and '"sagemaker:*"' not in actions


def test_no_router_without_a_router_section(synthesized: dict[str, Synthesized]) -> None:
    assert resources(synthesized["r1-full"], "AWS::ApiGateway::RestApi") == []


def tier(**props: Any) -> RoutedTier:
    """A tier named "a" on endpoint "e"; `props` set the rest by name."""
    return RoutedTier(name="a", endpoint_name="e", **props)


def router(**props: Any) -> tuple[cdk.Stack, RequestRouter]:
    stack = cdk.Stack(make_app(), "Test", env=TEST_ENV)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    tiers = [
        RoutedTier(
            name="chat",
            kind=EndpointKind.REALTIME,
            endpoint_name="chat-endpoint",
            context_tokens=8192,
            buffered_max_tokens=400,
            stream_max_tokens=8191,
        ),
        RoutedTier(
            name="batch",
            kind=EndpointKind.ASYNC,
            endpoint_name="batch-endpoint",
            context_tokens=32768,
            requests=S3Prefix("bucket", "in/"),
            responses=S3Prefix("bucket", "out/"),
            failures=S3Prefix("bucket", "err/"),
        ),
    ]
    defaults: dict[str, Any] = {"tiers": tiers, "default_tier": "chat", "kms_key": key, "deployment": "d"}
    return stack, RequestRouter(stack, "Router", **{**defaults, **props})


def test_api_key_and_usage_plan_on_request() -> None:
    stack, _ = router(options=RouterOptions(api_key_required=True))
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::ApiGateway::UsagePlan", 1)
    t.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    methods = t.find_resources("AWS::ApiGateway::Method").values()
    assert all(m["Properties"]["ApiKeyRequired"] is True for m in methods)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"default_tier": "nope"}, "default_tier: must be one of"),
        ({"rules": [{"tier": "nope", "max_tokens_at_least": 1}]}, r"rules\[0\].tier: must be one of"),
        ({"tiers": []}, "tiers: give at least one tier"),
        (
            {"tiers": [tier(kind=EndpointKind.ASYNC, context_tokens=10)], "default_tier": "a"},
            "an async tier needs requests",
        ),
        (
            {
                "tiers": [
                    tier(
                        kind=EndpointKind.INFERENCE_COMPONENTS,
                        context_tokens=10,
                        buffered_max_tokens=5,
                        stream_max_tokens=9,
                    )
                ],
                "default_tier": "a",
            },
            "an inference-components tier needs its components",
        ),
        ({"options": RouterOptions(max_body_bytes=10)}, "max_body_bytes: must be 1 KiB-6 MiB"),
        ({"deployment": ""}, "deployment: the deployment's name, 1-255 characters"),
        (
            {"tiers": [tier(kind=EndpointKind.REALTIME, context_tokens=8192)], "default_tier": "a"},
            "a real-time tier needs buffered_max_tokens and stream_max_tokens, each 1-8191",
        ),
        (
            {
                "tiers": [
                    tier(
                        kind=EndpointKind.REALTIME,
                        context_tokens=8192,
                        buffered_max_tokens=400,
                        stream_max_tokens=8192,
                    )
                ],
                "default_tier": "a",
            },
            "a real-time tier needs buffered_max_tokens and stream_max_tokens",
        ),
    ],
)
def test_bad_router_props(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        router(**props)


def test_a_tier_kind_may_be_given_by_its_spec_name_and_nothing_else() -> None:
    assert tier(kind="realtime", context_tokens=10, buffered_max_tokens=5, stream_max_tokens=9).kind is (
        EndpointKind.REALTIME
    )
    with pytest.raises(
        ValueError, match="tiers: 'a': kind must be one of realtime, inference-components, async"
    ):
        tier(kind="batch", context_tokens=10)
