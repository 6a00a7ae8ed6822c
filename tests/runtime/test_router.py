"""The router Lambda with botocore's Stubber: every route, retry path, timeout and bad input.

No network and no credentials: clients are unsigned and stubbed; a fake clock drives the
time budget, so retries are checked without sleeping. The model's answers are the reference
shapes in tests/runtime/shapes (what LMI v20 returns for a chat request)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from deepseek_cdk.runtime.router import calls, contract, handler
from tests.runtime.conftest import CONFIG, Clock

SHAPES = Path(__file__).parent / "shapes"
COMPLETION = json.loads((SHAPES / "lmi_chat_completion.json").read_text())


timeouts: list[tuple[str, int]] = []  # (service, read timeout) of every client asked for


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[dict[str, Stubber]]:
    unsigned = Config(signature_version=UNSIGNED)
    clients = {
        "sagemaker-runtime": boto3.client("sagemaker-runtime", region_name="us-east-1", config=unsigned),
        "s3": boto3.client("s3", region_name="us-east-1", config=unsigned),
    }
    timeouts.clear()

    def client(service: str, read_timeout: int = calls.READ_TIMEOUT_S) -> Any:
        timeouts.append((service, read_timeout))
        return clients[service]

    monkeypatch.setattr(calls, "client", client)
    stubbers = {name: Stubber(c) for name, c in clients.items()}
    for s in stubbers.values():
        s.activate()
    yield stubbers
    for s in stubbers.values():
        s.assert_no_pending_responses()  # every expected call happened
        s.deactivate()


def post(body: Any, headers: dict[str, str] | None = None, raw: str | None = None) -> dict[str, Any]:
    event = {
        "httpMethod": "POST",
        "resource": "/invoke",
        "headers": headers or {},
        "body": raw if raw is not None else json.dumps(body),
    }
    return handler.handler(event, None)


def get_job(job_id: str) -> dict[str, Any]:
    event = {"httpMethod": "GET", "resource": "/jobs/{id}", "pathParameters": {"id": job_id}}
    return handler.handler(event, None)


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def expect_invoke(stubs: dict[str, Stubber], endpoint: str, output: Any, **extra: Any) -> None:
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint",
        {"Body": stream(json.dumps(output).encode()), "ContentType": "application/json"},
        {
            "EndpointName": endpoint,
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": ANY,
            **extra,
        },
    )


def throttle(
    stubs: dict[str, Stubber], operation: str, code: str = "ThrottlingException", message: str = "slow down"
) -> None:
    stubs["sagemaker-runtime"].add_client_error(
        operation, service_error_code=code, service_message=message, http_status_code=400
    )


# --- routing -------------------------------------------------------------------------


def test_default_tier_answers_a_chat_completion_with_the_reasoning_apart(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    response = post({"prompt": "2+2?", "max_tokens": 16, "parameters": {"temperature": 0.6}})
    assert response["statusCode"] == 200
    answer = body_of(response)
    assert answer == {"tier": "chat", **COMPLETION}
    (choice,) = answer["choices"]
    assert choice["message"]["content"] == "2 + 2 = 4."
    assert choice["message"]["reasoning"].startswith("The user asks")


def sent_bodies(stubs: dict[str, Stubber], operation: str = "InvokeEndpoint") -> list[Any]:
    sent: list[Any] = []
    calls.client("sagemaker-runtime").meta.events.register(
        f"before-parameter-build.sagemaker-runtime.{operation}",
        lambda params, **_: sent.append(json.loads(params["Body"])),
    )
    return sent


def test_a_prompt_is_sent_as_one_user_message_in_the_chat_form(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    sent = sent_bodies(stubs)
    post({"prompt": "hey", "max_tokens": 20, "parameters": {"temperature": 0.6, "top_p": 0.95}})
    # Only `messages` gets the model's chat template in LMI; `inputs` would be a raw completion.
    assert sent == [
        {
            "temperature": 0.6,
            "top_p": 0.95,
            "messages": [{"role": "user", "content": "hey"}],
            "max_tokens": 20,
        }
    ]


def test_a_conversation_is_sent_as_given(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    sent = sent_bodies(stubs)
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4."},
        {"role": "user", "content": "And 3+3?"},
    ]
    assert post({"messages": messages, "max_tokens": 64})["statusCode"] == 200
    assert sent == [{"messages": messages, "max_tokens": 64}]


def test_a_default_max_tokens_is_lowered_to_what_the_tier_writes_in_time(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    sent = sent_bodies(stubs)
    assert post({"prompt": "what is 2+2?"})["statusCode"] == 200
    assert sent[0]["max_tokens"] == 400 < contract.DEFAULT_MAX_TOKENS


CUT = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "finish_reason": "length"}]}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"prompt": "write an essay"}, "POST /invoke lowered the default max_tokens to 400"),
        ({"prompt": "write an essay", "max_tokens": 400}, "max_tokens 400 is POST /invoke's limit"),
    ],
)
def test_an_answer_cut_at_the_routes_limit_says_so_and_names_the_stream_route(
    stubs: dict[str, Stubber], body: dict[str, Any], says: str
) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", CUT)
    answer = body_of(post(body))
    assert answer["choices"][0]["finish_reason"] == "length"  # the engine's own, passed on
    assert answer["truncated"] == {
        "reason": f"{says}, the longest answer tier 'chat' writes within 25 s",
        "max_tokens": 400,
        "stream_with": "POST /stream",
    }


@pytest.mark.parametrize(
    ("body", "completion"),
    [
        ({"prompt": "write an essay", "max_tokens": 100}, CUT),  # the client's own, smaller limit
        ({"prompt": "write an essay"}, COMPLETION),  # finished ("stop") within the limit
    ],
)
def test_an_answer_not_cut_by_the_route_has_no_truncated_field(
    stubs: dict[str, Stubber], body: dict[str, Any], completion: dict[str, Any]
) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", completion)
    assert "truncated" not in body_of(post(body))


def test_a_longer_answer_than_the_tier_writes_in_25_s_is_400_pointing_to_streaming(
    stubs: dict[str, Stubber],
) -> None:
    response = post({"prompt": "write an essay", "max_tokens": 401})
    assert response["statusCode"] == 400
    reply = body_of(response)
    assert reply["field"] == "max_tokens"
    assert "about 400 tokens" in reply["error"] and "POST /stream" in reply["error"]


def test_prompt_plus_answer_beyond_the_context_is_400_before_any_call(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    tiers = {**CONFIG["tiers"], "chat": {**CONFIG["tiers"]["chat"], "context_tokens": 1000}}
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "tiers": tiers, "max_body_bytes": 20000}))
    # 3000 characters: about 750 tokens, plus 16 for the chat framing; 300 more cannot fit 1000.
    response = post({"prompt": "x" * 3000, "max_tokens": 300})
    assert response["statusCode"] == 400
    reply = body_of(response)
    assert reply["field"] == "max_tokens"
    assert "about 766 tokens" in reply["error"] and "ask for at most 234" in reply["error"]
    # The same prompt with an answer that fits goes through.
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    assert post({"prompt": "x" * 3000, "max_tokens": 234})["statusCode"] == 200


# SageMaker's ModelError wraps the container's own answer in a message naming the account and
# the endpoint's log group; clients get only the container's words.
SAGEMAKER_WRAPPER = (
    'Received client error (400) from primary with message "{}". See https://us-east-1.console.aws.amazon.com'
    "/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints/d-chat-g6e-xlarge "
    "in account 111111111111 for more information."
)
VLLM_REFUSAL = '{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError"}'


def model_error(stubs: dict[str, Stubber], status: int, original: str) -> None:
    stubs["sagemaker-runtime"].add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message=SAGEMAKER_WRAPPER.format(original),
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": status, "OriginalMessage": original},
    )


def test_model_refusing_the_request_is_400_not_502(stubs: dict[str, Stubber], clock: Clock) -> None:
    model_error(stubs, 400, VLLM_REFUSAL)
    response = post({"prompt": "x"})
    assert response["statusCode"] == 400
    assert body_of(response)["detail"] == VLLM_REFUSAL
    assert "111111111111" not in response["body"] and "console.aws" not in response["body"]
    assert clock.sleeps == []


def test_an_answer_that_is_not_a_chat_completion_is_502(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", {"generated_text": "4"})
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502
    assert body_of(response)["error"] == "the model's answer is not a chat completion"


def test_explicit_tier_field_wins_over_header_and_rules(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    response = post({"prompt": "hello", "tier": "chat"}, headers={"X-Request-Type": "fast"})
    assert body_of(response)["tier"] == "chat"


def test_header_picks_the_tier(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-fast-g6-2xlarge", COMPLETION, InferenceComponentName="d-fast-g6-2xlarge-v1")
    response = post({"prompt": "summarize this"}, headers={"x-request-type": "fast"})
    assert body_of(response)["tier"] == "fast"


def test_rule_on_prompt_regex_routes_to_the_inference_component(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-fast-g6-2xlarge", COMPLETION, InferenceComponentName="d-fast-g6-2xlarge-v1")
    assert body_of(post({"prompt": "hello there"}))["tier"] == "fast"


def test_regex_rules_read_the_last_user_message(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-fast-g6-2xlarge", COMPLETION, InferenceComponentName="d-fast-g6-2xlarge-v1")
    messages = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi again"}]
    assert body_of(post({"messages": messages}))["tier"] == "fast"


@pytest.mark.parametrize("request_body", [{"prompt": "prove it", "max_tokens": 4096}, {"prompt": "p" * 8000}])
def test_long_generations_and_long_prompts_go_to_the_async_tier(
    stubs: dict[str, Stubber], request_body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubs["s3"].add_response(
        "put_object",
        {},
        {"Bucket": "artifacts-bucket", "Key": ANY, "Body": ANY, "ContentType": "application/json"},
    )
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint_async",
        {
            "OutputLocation": "s3://artifacts-bucket/async/reasoning/responses/abc.out",
            "FailureLocation": "s3://artifacts-bucket/async/reasoning/failures/abc-error.out",
        },
        {
            "EndpointName": "d-reasoning-g6e-12xlarge",
            "ContentType": "application/json",
            "InputLocation": ANY,
            "RequestTTLSeconds": 21_600,
            "InvocationTimeoutSeconds": 3600,
            "InferenceId": ANY,
            "Filename": ANY,
        },
    )
    # An 8000-character prompt needs a larger body limit than the other tests use.
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "max_body_bytes": 20000}))
    response = post(request_body)
    assert response["statusCode"] == 202
    reply = body_of(response)
    assert (reply["tier"], reply["status"]) == ("reasoning", "pending")
    assert reply["job_id"]


# --- async jobs ------------------------------------------------------------------------


def submit(stubs: dict[str, Stubber]) -> str:
    stubs["s3"].add_response("put_object", {}, None)
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint_async",
        {
            "OutputLocation": "s3://artifacts-bucket/async/reasoning/responses/abc.out",
            "FailureLocation": "s3://artifacts-bucket/async/reasoning/failures/abc-error.out",
        },
        None,
    )
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 202
    return str(body_of(response)["job_id"])


def test_request_is_stored_before_it_is_sent(stubs: dict[str, Stubber]) -> None:
    made: list[str] = []
    for service in ("s3", "sagemaker-runtime"):
        calls.client(service).meta.events.register(
            "before-parameter-build", lambda model, **_: made.append(model.name)
        )
    submit(stubs)
    assert made == ["PutObject", "InvokeEndpointAsync"]


def test_request_not_stored_is_never_sent_nor_acknowledged(stubs: dict[str, Stubber]) -> None:
    stubs["s3"].add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 502
    assert "job_id" not in body_of(response)


def test_async_refused_until_the_budget_runs_out_is_503_not_202(
    stubs: dict[str, Stubber], clock: Clock
) -> None:
    stubs["s3"].add_response("put_object", {}, None)
    for _ in range(5):  # attempts at 0, 0.5, 1.5, 3.5 and 7.5 s; the next would end past 10 s
        throttle(stubs, "invoke_endpoint_async")
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 503
    assert "job_id" not in body_of(response)


def test_job_pending_then_done(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    assert body_of(get_job(job_id)) == {"status": "pending", "tier": "reasoning"}
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(b'{"generated_text": "42"}'), "ContentLength": 24},
        {"Bucket": "artifacts-bucket", "Key": "async/reasoning/responses/abc.out"},
    )
    assert body_of(get_job(job_id)) == {
        "status": "done",
        "tier": "reasoning",
        "result": {"generated_text": "42"},
    }


def test_job_failed(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(b"CUDA out of memory"), "ContentLength": 18},
        {"Bucket": "artifacts-bucket", "Key": "async/reasoning/failures/abc-error.out"},
    )
    assert body_of(get_job(job_id)) == {
        "status": "failed",
        "tier": "reasoning",
        "error": "CUDA out of memory",
    }


@pytest.mark.parametrize(
    "job_id",
    [
        "not-a-job",
        base64.urlsafe_b64encode(
            json.dumps({"t": "reasoning", "o": "secrets/key", "f": ""}).encode()
        ).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"t": "chat", "o": "async/reasoning/responses/x", "f": ""}).encode()
        ).decode(),
        base64.urlsafe_b64encode(json.dumps({"t": "nope", "o": "x", "f": ""}).encode()).decode(),
    ],
)
def test_crafted_or_garbled_job_ids_are_400_and_read_nothing(stubs: dict[str, Stubber], job_id: str) -> None:
    response = get_job(job_id)
    assert response["statusCode"] == 400
    assert body_of(response)["field"] == "id"


# --- retries, capacity, timeouts ------------------------------------------------------------


def test_throttling_is_retried_with_backoff(stubs: dict[str, Stubber], clock: Clock) -> None:
    throttle(stubs, "invoke_endpoint")
    throttle(stubs, "invoke_endpoint")
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    response = post({"prompt": "hi there", "tier": "chat"})
    assert response["statusCode"] == 200
    assert len(clock.sleeps) == 2
    assert all(0 <= s <= 4 for s in clock.sleeps)


def test_a_retried_call_may_not_read_past_the_budget(stubs: dict[str, Stubber], clock: Clock) -> None:
    for _ in range(3):
        throttle(stubs, "invoke_endpoint")
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    assert post({"prompt": "what now?"})["statusCode"] == 200
    # Budget 10 s; attempts start at 0, 0.5, 1.5 and 3.5 s: each may wait only for what is left.
    assert [t for service, t in timeouts if service == "sagemaker-runtime"] == [10, 9, 8, 6]


def test_no_capacity_at_zero_copies_is_retried(stubs: dict[str, Stubber], clock: Clock) -> None:
    throttle(
        stubs,
        "invoke_endpoint",
        code="ValidationError",
        message="Inference Component has no capacity to process this request. "
        "ApplicationAutoScaling may be in-progress",
    )
    expect_invoke(stubs, "d-fast-g6-2xlarge", COMPLETION, InferenceComponentName="d-fast-g6-2xlarge-v1")
    assert post({"prompt": "x", "tier": "fast"})["statusCode"] == 200
    assert len(clock.sleeps) == 1


def test_still_busy_at_the_end_of_the_budget_is_503_with_retry_after(
    stubs: dict[str, Stubber], clock: Clock
) -> None:
    for _ in range(5):
        throttle(stubs, "invoke_endpoint", code="ServiceUnavailable")
    response = post({"prompt": "x", "tier": "chat"})
    assert response["statusCode"] == 503
    assert int(response["headers"]["Retry-After"]) >= 1
    assert clock.sleeps == [0.5, 1, 2, 4]
    assert clock.t <= CONFIG["time_budget_seconds"]


def test_model_error_is_502_and_not_retried(stubs: dict[str, Stubber], clock: Clock) -> None:
    model_error(stubs, 500, "CUDA out of memory")
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502
    assert body_of(response) == {"error": "the model failed to answer", "detail": "CUDA out of memory"}
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [("SlowDown", 503, 503), ("InternalError", 500, 503), ("AccessDenied", 403, 502)],
)
def test_s3_failures_reading_a_job_are_answers_not_crashes(
    stubs: dict[str, Stubber], code: str, status: int, expected: int
) -> None:
    job_id = submit(stubs)
    stubs["s3"].add_client_error("get_object", service_error_code=code, http_status_code=status)
    response = get_job(job_id)
    assert response["statusCode"] == expected
    if expected == 503:
        assert int(response["headers"]["Retry-After"]) >= 1
    else:
        assert body_of(response)["error"] == f"the job's result could not be read: {code}"


def test_timeout_is_504_pointing_to_streaming_and_the_async_tier(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(**_: Any) -> Any:
        raise ReadTimeoutError(endpoint_url="https://runtime.sagemaker")

    monkeypatch.setattr(calls.client("sagemaker-runtime"), "invoke_endpoint", slow)
    response = post({"prompt": "x"})
    assert response["statusCode"] == 504
    assert "POST /stream" in body_of(response)["error"] and "async tier" in body_of(response)["error"]


# --- bad requests: 400, naming the field, nothing sent --------------------------------------


@pytest.mark.parametrize(
    ("body", "raw", "headers", "field"),
    [
        (None, "{not json", None, "body"),
        (None, "[1, 2]", None, "body"),
        (None, json.dumps({"prompt": "x" * 2000}), None, "body"),  # over max_body_bytes
        ({"max_tokens": 5}, None, None, "prompt"),
        ({"prompt": "x", "messages": [{"role": "user", "content": "x"}]}, None, None, "prompt"),
        ({"messages": []}, None, None, "messages"),
        ({"messages": "hi"}, None, None, "messages"),
        ({"messages": [{"role": "user"}]}, None, None, "messages[0]"),
        ({"messages": [{"role": "robot", "content": "x"}]}, None, None, "messages[0].role"),
        ({"messages": [{"role": "user", "content": " "}]}, None, None, "messages[0].content"),
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]},
            None,
            None,
            "messages[1].role",
        ),
        ({"prompt": "x", "stream": True}, None, None, "stream"),
        ({"prompt": "x", "parameters": {"n": 4}}, None, None, "parameters.n"),
        ({"prompt": "x", "parameters": {"temperature": "hot"}}, None, None, "parameters.temperature"),
        ({"prompt": "x", "parameters": {"temperature": 2.5}}, None, None, "parameters.temperature"),
        ({"prompt": "x", "parameters": {"temperature": True}}, None, None, "parameters.temperature"),
        ({"prompt": "x", "parameters": {"top_p": 0}}, None, None, "parameters.top_p"),
        ({"prompt": "x", "parameters": {"top_k": 1.5}}, None, None, "parameters.top_k"),
        ({"prompt": "x", "parameters": {"seed": -1}}, None, None, "parameters.seed"),
        ({"prompt": "x", "parameters": {"stop": []}}, None, None, "parameters.stop"),
        ({"prompt": "x", "parameters": {"stop": ["a", "b", "c", "d", "e"]}}, None, None, "parameters.stop"),
        ({"prompt": "x", "parameters": {"stop": "x" * 201}}, None, None, "parameters.stop"),
        (None, '{"prompt": "x", "parameters": {"temperature": NaN}}', None, "parameters.temperature"),
        (None, '{"prompt": "x", "max_tokens": Infinity}', None, "max_tokens"),
        (None, '{"prompt": "x", "max_tokens": ' + "9" * 500 + "}", None, "max_tokens"),
        (None, '{"prompt": "x", "parameters": {"seed": -' + "1" * 600 + "}}", None, "parameters.seed"),
        (None, '{"messages": [{"role": "user", "content": ' + "7" * 30 + "}]}", None, "messages[0].content"),
        ({"prompt": "x", "parameters": {"messages": []}}, None, None, "parameters.messages"),
        ({"prompt": "   "}, None, None, "prompt"),
        ({"prompt": 42}, None, None, "prompt"),
        ({"prompt": "x", "tier": "gpu"}, None, None, "tier"),
        ({"prompt": "x"}, None, {"X-Request-Type": "gpu"}, "X-Request-Type"),
        ({"prompt": "x", "max_tokens": 0}, None, None, "max_tokens"),
        ({"prompt": "x", "max_tokens": "many"}, None, None, "max_tokens"),
        ({"prompt": "x", "max_tokens": True}, None, None, "max_tokens"),
        ({"prompt": "x", "tier": "chat", "max_tokens": 9000}, None, None, "max_tokens"),  # over the context
        ({"prompt": "x", "parameters": [1]}, None, None, "parameters"),
        ({"prompt": "x", "temperature": 0.6}, None, None, "temperature"),
    ],
)
def test_bad_requests_are_400_and_reach_no_endpoint(
    stubs: dict[str, Stubber], body: Any, raw: str | None, headers: dict[str, str] | None, field: str
) -> None:
    response = post(body, headers=headers, raw=raw)  # the stubbers fail on any call
    assert response["statusCode"] == 400
    assert body_of(response)["field"] == field
    assert body_of(response)["error"]


def test_a_body_nested_too_deeply_is_400_not_a_crash(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "max_body_bytes": 262144}))
    response = post(
        None, raw='{"prompt": "x", "parameters": {"stop": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    )
    assert response["statusCode"] == 400
    assert body_of(response) == {"error": "not valid JSON (or nested too deeply)", "field": "body"}


def test_base64_body_is_decoded(stubs: dict[str, Stubber]) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    event = {
        "httpMethod": "POST",
        "resource": "/invoke",
        "isBase64Encoded": True,
        "body": base64.b64encode(json.dumps({"prompt": "x"}).encode()).decode(),
    }
    assert handler.handler(event, None)["statusCode"] == 200


def test_unknown_route_is_404(stubs: dict[str, Stubber]) -> None:
    assert handler.handler({"httpMethod": "DELETE", "resource": "/invoke"}, None)["statusCode"] == 404


def test_lambda_remaining_time_bounds_the_budget(stubs: dict[str, Stubber], clock: Clock) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 3000  # 3 s left: one attempt, then no time for a retry

    throttle(stubs, "invoke_endpoint")
    event = {"httpMethod": "POST", "resource": "/invoke", "body": json.dumps({"prompt": "x"})}
    assert handler.handler(event, Context())["statusCode"] == 503
    assert clock.sleeps == []


@pytest.mark.parametrize("digits", [21, 4301, 50_000])
def test_a_whole_number_too_long_to_read_is_one_400_naming_its_field(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, digits: int
) -> None:
    """Python cannot read an integer of more than 4,300 digits (int_max_str_digits): the
    ValueError it raises is not a JSONDecodeError, and used to escape the handler."""
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "max_body_bytes": 262144}))
    response = post(None, raw='{"prompt": "x", "max_tokens": ' + "9" * digits + "}")
    assert response["statusCode"] == 400
    limit = contract.MAX_NUMBER_DIGITS
    assert body_of(response) == {
        "error": f"a whole number of {digits:,} digits; no field takes more than {limit}",
        "field": "max_tokens",
    }
