"""`deepseek-cdk invoke` against stubbed AWS (botocore's Stubber; a fake for the response
stream, whose event-stream body the Stubber cannot build): nothing here calls AWS."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EventStreamError, NoCredentialsError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from deepseek_cdk.cli import main
from deepseek_cdk.names import artifacts_bucket_name, component_name
from deepseek_cdk.ops.aws import AwsProblem, Clients
from deepseek_cdk.ops.invoke import Output, chat_request, invoke, invoke_via_router, router_url
from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import load_deployment

ROOT = Path(__file__).resolve().parents[2]
STREAM = (ROOT / "tests" / "runtime" / "shapes" / "lmi_chat_stream.jsonl").read_bytes()
COMPLETION = (ROOT / "tests" / "runtime" / "shapes" / "lmi_chat_completion.json").read_bytes()
ACCOUNT = "111111111111"


def parts(data: bytes, size: int = 40) -> Iterator[dict[str, Any]]:
    for start in range(0, len(data), size):
        yield {"PayloadPart": {"Bytes": data[start : start + size]}}


class Runtime:
    """sagemaker-runtime: a fake response stream, and a real stubbed client for the rest."""

    def __init__(self, stubbed: Any) -> None:
        self.stubbed = stubbed
        self.sent: list[dict[str, Any]] = []
        self.body: Any = parts(STREAM)

    def invoke_endpoint_with_response_stream(self, **args: Any) -> dict[str, Any]:
        self.sent.append(args)
        return {"Body": self.body}

    def invoke_endpoint_async(self, **args: Any) -> Any:
        return self.stubbed.invoke_endpoint_async(**args)


class Aws:
    def __init__(self) -> None:
        def make(name: str) -> Any:
            return boto3.client(
                name,
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",  # noqa: S106 - a stub's placeholder
            )

        self.real = {
            name: make(name) for name in ("sagemaker", "sagemaker-runtime", "s3", "sts", "cloudformation")
        }
        self.stubs = {name: Stubber(client) for name, client in self.real.items()}
        self.runtime = Runtime(self.real["sagemaker-runtime"])
        self.sleeps: list[float] = []

    def clients(self) -> Clients:
        return Clients(
            "us-east-1",
            make=lambda name, region: self.runtime if name == "sagemaker-runtime" else self.real[name],
        )

    def in_service(self, endpoint: str, status: str = "InService") -> None:
        self.stubs["sagemaker"].add_response(
            "describe_endpoint",
            {
                "EndpointName": endpoint,
                "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{endpoint}",
                "EndpointStatus": status,
                "CreationTime": "2026-11-30T00:00:00Z",
                "LastModifiedTime": "2026-11-30T00:00:00Z",
                **({"FailureReason": "CUDA out of memory"} if status == "Failed" else {}),
            },
            {"EndpointName": endpoint},
        )


@pytest.fixture
def aws() -> Iterator[Aws]:
    fake = Aws()
    for stub in fake.stubs.values():
        stub.activate()
    yield fake
    for stub in fake.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


PLAN = build_plan(load_deployment(None))


def run(
    plan: Plan, tier_name: str, aws: Aws, prompt: str = "What is 2 + 2?", **kwargs: Any
) -> tuple[int, str, str]:
    tier = plan.tier(tier_name)
    answer, notes = io.StringIO(), io.StringIO()
    code = invoke(
        plan,
        tier,
        chat_request(tier, prompt, 64),
        aws.clients(),
        Output(answer, notes),
        sleep=aws.sleeps.append,
        **kwargs,
    )
    return code, answer.getvalue(), notes.getvalue()


def test_a_real_time_answer_streams_the_answer_to_stdout_and_the_thinking_to_stderr(aws: Aws) -> None:
    chat = PLAN.tier("chat")
    aws.in_service(chat.endpoint_name)
    code, answer, notes = run(PLAN, "chat", aws)
    assert code == 0
    assert answer == "2 + 2 = 4.\n"
    assert notes == "The user asks for 2 + 2."
    (sent,) = aws.runtime.sent
    assert sent["EndpointName"] == chat.endpoint_name and "InferenceComponentName" not in sent
    body = json.loads(sent["Body"])
    assert body["stream"] is True and body["max_tokens"] == 64
    assert body["messages"] == [{"role": "user", "content": "What is 2 + 2?"}]


def test_an_inference_component_tier_is_asked_through_its_first_live_component(aws: Aws) -> None:
    plan = build_plan(load_deployment(ROOT / "deployments" / "examples" / "scale-to-zero.yaml"))
    tier = next(t for t in plan.tiers if t.endpoint.per_component)
    aws.in_service(tier.endpoint_name)
    code, _, _ = run(plan, tier.name, aws)
    assert code == 0
    assert aws.runtime.sent[0]["InferenceComponentName"] == component_name(tier.endpoint_name, "live-1")


def test_a_fleet_member_is_asked_through_its_own_component_on_the_fleets_endpoint(aws: Aws) -> None:
    plan = build_plan(load_deployment(ROOT / "deployments" / "examples" / "shared-fleet.yaml"))
    coder = plan.tier("coder")
    aws.in_service(coder.endpoint_name)
    code, _, _ = run(plan, "coder", aws)
    assert code == 0
    sent = aws.runtime.sent[0]
    assert sent["EndpointName"] == plan.fleets[0].endpoint_name
    assert sent["InferenceComponentName"] == component_name(coder.endpoint_name, "coder-live-1")


@pytest.mark.parametrize("status", ["Creating", "Updating", "Failed"])
def test_an_endpoint_not_in_service_is_one_line_and_nothing_is_sent(aws: Aws, status: str) -> None:
    aws.in_service(PLAN.tier("chat").endpoint_name, status=status)
    with pytest.raises(AwsProblem) as err:
        run(PLAN, "chat", aws)
    assert str(err.value).startswith(f"endpoint {PLAN.tier('chat').endpoint_name} is {status}, not InService")
    assert "\n" not in str(err.value) and aws.runtime.sent == []


def test_a_missing_endpoint_is_one_line(aws: Aws) -> None:
    aws.stubs["sagemaker"].add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message="Could not find endpoint",
    )
    with pytest.raises(AwsProblem) as err:
        run(PLAN, "chat", aws)
    endpoint = PLAN.tier("chat").endpoint_name
    assert str(err.value) == (
        f"sagemaker:DescribeEndpoint on {endpoint}: ValidationException: Could not find endpoint"
    )


def test_a_stream_that_breaks_says_so_and_exits_1(aws: Aws) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield from parts(STREAM[:500])
        raise EventStreamError(
            {"Error": {"Code": "ModelStreamError", "Message": "timed out"}},
            "InvokeEndpointWithResponseStream",
        )

    aws.in_service(PLAN.tier("chat").endpoint_name)
    aws.runtime.body = broken()
    code, _, notes = run(PLAN, "chat", aws)
    assert code == 1
    # SageMaker's message is withheld (it may name the account); its code is passed on.
    assert "\ndeepseek-cdk: the answer stopped: ModelStreamError\n" in notes


def submit_async(aws: Aws) -> tuple[str, str]:
    tier = PLAN.tier("reasoning")
    aws.in_service(tier.endpoint_name)
    aws.stubs["sts"].add_response(
        "get_caller_identity",
        {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/operator", "UserId": "AIDAEXAMPLE"},
        {},
    )
    bucket = artifacts_bucket_name(PLAN.deployment, ACCOUNT, "us-east-1")
    aws.stubs["s3"].add_response(
        "put_object", {}, {"Bucket": bucket, "Key": ANY, "Body": ANY, "ContentType": "application/json"}
    )
    output = f"s3://{bucket}/async/reasoning/responses/abc.out"
    failure = f"s3://{bucket}/async/reasoning/failures/abc-error.out"
    aws.stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint_async",
        {"OutputLocation": output, "FailureLocation": failure, "InferenceId": "abc"},
        {
            "EndpointName": tier.endpoint_name,
            "ContentType": "application/json",
            "InputLocation": ANY,
            "InvocationTimeoutSeconds": 3600,
        },
    )
    return bucket, "async/reasoning/responses/abc.out"


def not_yet(aws: Aws, times: int) -> None:
    for _ in range(times):  # neither the result nor the failure exists yet
        aws.stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
        aws.stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)


def test_an_async_job_is_stored_submitted_and_polled_until_its_result(aws: Aws) -> None:
    bucket, key = submit_async(aws)
    not_yet(aws, 2)
    aws.stubs["s3"].add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(COMPLETION), len(COMPLETION))},
        {"Bucket": bucket, "Key": key},
    )
    code, answer, notes = run(PLAN, "reasoning", aws)
    assert code == 0
    completion = json.loads(COMPLETION)["choices"][0]["message"]
    assert answer == completion["content"] + "\n"
    assert f"submitted; the result will be at s3://{bucket}/{key}" in notes
    assert "waiting for the result: 5 s" in notes and aws.sleeps == [5, 5]


def test_an_async_job_that_fails_prints_the_failure_and_exits_1(aws: Aws) -> None:
    submit_async(aws)
    aws.stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    aws.stubs["s3"].add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(b"CUDA out of memory"), 18)}, None
    )
    code, answer, notes = run(PLAN, "reasoning", aws)
    assert code == 1 and answer == ""
    assert "the job failed: CUDA out of memory" in notes


def test_an_async_job_still_running_at_the_wait_limit_says_where_its_result_will_be(aws: Aws) -> None:
    bucket, key = submit_async(aws)
    not_yet(aws, 3)
    code, _, notes = run(PLAN, "reasoning", aws, wait_seconds=10)
    assert code == 1
    assert f"no result after 10 s; the job goes on: s3://{bucket}/{key}" in notes


def test_a_request_beyond_the_context_is_exit_2_before_any_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoke", "--tier", "chat", "hi", "--max-tokens", "100000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("deepseek-cdk: --max-tokens: the prompt") and "\n" not in err


def test_without_credentials_the_command_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class NoCredentials:
        def describe_endpoint(self, **_: Any) -> Any:
            raise NoCredentialsError()

    monkeypatch.setattr("deepseek_cdk.ops.aws.boto3_client", lambda service, region: NoCredentials())
    assert main(["invoke", "--tier", "chat", "hi"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("deepseek-cdk: no AWS credentials") and "\n" not in err


# --- through the router ----------------------------------------------------------------------

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/"


def stack_outputs(aws: Aws, outputs: dict[str, str]) -> None:
    aws.stubs["cloudformation"].add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "deepseek-inference",
                    "CreationTime": "2026-11-30T00:00:00Z",
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
            ]
        },
        {"StackName": "deepseek-inference"},
    )


def test_the_router_url_is_the_inference_stacks_output(aws: Aws) -> None:
    stack_outputs(aws, {"RouterApiEndpoint2408998C": URL, "RouterUrl": URL.rstrip("/")})
    assert router_url(PLAN, aws.clients()) == URL


@pytest.mark.parametrize(
    "outputs, message",
    [
        ({}, "stack deepseek-inference has no RouterUrl output"),
        ({"RouterUrl": "http://plain.example/v1/"}, "RouterUrl is not an https URL"),
    ],
)
def test_a_missing_or_odd_router_url_is_one_line(aws: Aws, outputs: dict[str, str], message: str) -> None:
    stack_outputs(aws, outputs)
    with pytest.raises(AwsProblem) as err:
        router_url(PLAN, aws.clients())
    assert message in str(err.value) and "\n" not in str(err.value)


class Router:
    """A fake API: canned answers per (method, path), and what was sent."""

    def __init__(self, answers: dict[tuple[str, str], list[tuple[int, list[bytes]]]]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, method: str, url: str, body: bytes | None) -> tuple[int, list[bytes]]:
        path = url.removeprefix(URL).split("/")[0]
        self.sent.append((method, path, json.loads(body) if body else None))
        return self.answers[method, path].pop(0)


def via_router(router: Router, tier_name: str, **kwargs: Any) -> tuple[int, str, str]:
    tier = PLAN.tier(tier_name)
    answer, notes = io.StringIO(), io.StringIO()
    request = chat_request(tier, "What is 2 + 2?", 64)
    sleeps: list[float] = []
    code = invoke_via_router(
        PLAN, tier, request, URL, router, Output(answer, notes), sleep=sleeps.append, **kwargs
    )
    return code, answer.getvalue(), notes.getvalue()


def sse(data: bytes) -> list[bytes]:
    events = b"".join(b"data: " + line + b"\n\n" for line in data.splitlines()) + b"data: [DONE]\n\n"
    return [events[i : i + 50] for i in range(0, len(events), 50)]  # in pieces, as a network reads it


def test_a_real_time_tier_streams_through_the_routers_stream_route() -> None:
    router = Router({("POST", "stream"): [(200, sse(STREAM))]})
    code, answer, notes = via_router(router, "chat")
    assert (code, answer, notes) == (0, "2 + 2 = 4.\n", "The user asks for 2 + 2.")
    ((method, path, body),) = router.sent
    assert (method, path, body["tier"], body["max_tokens"]) == ("POST", "stream", "chat", 64)
    assert body["messages"] == [{"role": "user", "content": "What is 2 + 2?"}]


def test_a_refusal_from_the_router_is_one_line_and_exit_1() -> None:
    refusal = json.dumps({"error": "max_tokens too large", "field": "max_tokens"}).encode()
    router = Router({("POST", "stream"): [(400, [refusal])]})
    code, _, notes = via_router(router, "chat")
    assert code == 1
    assert notes == "deepseek-cdk: the router answered 400: max_tokens too large (field max_tokens)\n"


def test_an_async_tier_goes_through_invoke_and_jobs_until_done() -> None:
    job = json.dumps({"tier": "reasoning", "job_id": "eyJ0Ijoi.c2ln", "status": "pending"}).encode()
    pending = json.dumps({"status": "pending", "tier": "reasoning"}).encode()
    done = json.dumps({"status": "done", "tier": "reasoning", "result": json.loads(COMPLETION)}).encode()
    router = Router({("POST", "invoke"): [(202, [job])], ("GET", "jobs"): [(200, [pending]), (200, [done])]})
    code, answer, _ = via_router(router, "reasoning")
    assert code == 0
    assert answer == json.loads(COMPLETION)["choices"][0]["message"]["content"] + "\n"
    assert [(m, p) for m, p, _ in router.sent] == [("POST", "invoke"), ("GET", "jobs"), ("GET", "jobs")]


def test_a_large_async_result_is_its_presigned_url() -> None:
    job = json.dumps({"tier": "reasoning", "job_id": "j.s", "status": "pending"}).encode()
    done = {
        "status": "done",
        "tier": "reasoning",
        "result_url": "https://bucket.s3/x?sig",
        "result_bytes": 9_000_000,
    }
    router = Router(
        {("POST", "invoke"): [(202, [job])], ("GET", "jobs"): [(200, [json.dumps(done).encode()])]}
    )
    code, answer, _ = via_router(router, "reasoning")
    assert code == 0 and answer == "the result (9,000,000 bytes) is at: https://bucket.s3/x?sig\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["invoke", "deployments/default.yaml", "--tier", "chat", "hello", "--max-tokens", "99999"],
        ["invoke", "deployments/default.yaml", "hello", "--tier", "chat", "--max-tokens", "99999"],
        ["invoke", "--tier", "chat", "--max-tokens", "99999", "hello"],
    ],
)
def test_file_and_prompt_may_sit_on_either_side_of_the_options(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2  # parsed: the request reaches the context check
    assert capsys.readouterr().err.startswith("deepseek-cdk: --max-tokens: the prompt")


def test_a_failed_async_job_with_a_large_error_points_to_it() -> None:
    job = json.dumps({"tier": "reasoning", "job_id": "j.s", "status": "pending"}).encode()
    failed = {
        "status": "failed",
        "tier": "reasoning",
        "error_url": "https://bucket.s3/err?sig",
        "error_bytes": 7_000_000,
    }
    router = Router(
        {("POST", "invoke"): [(202, [job])], ("GET", "jobs"): [(200, [json.dumps(failed).encode()])]}
    )
    code, _, notes = via_router(router, "reasoning")
    assert code == 1 and "the job failed: its error is at https://bucket.s3/err?sig" in notes


def test_an_expired_async_job_ends_the_wait_with_its_reason() -> None:
    job = json.dumps({"tier": "reasoning", "job_id": "j.s", "status": "pending"}).encode()
    expired = {"status": "expired", "tier": "reasoning", "error": "neither a result nor a failure"}
    router = Router(
        {("POST", "invoke"): [(202, [job])], ("GET", "jobs"): [(200, [json.dumps(expired).encode()])]}
    )
    code, _, notes = via_router(router, "reasoning")
    assert code == 1 and "the job expired: neither a result nor a failure" in notes
    assert [(m, p) for m, p, _ in router.sent] == [("POST", "invoke"), ("GET", "jobs")]


def test_an_unconfirmed_submission_is_polled_like_a_pending_one_and_says_so() -> None:
    job = {"tier": "reasoning", "job_id": "j.s", "status": "unconfirmed", "detail": "no answer came"}
    unconfirmed = json.dumps({"status": "unconfirmed", "tier": "reasoning"}).encode()
    done = json.dumps({"status": "done", "tier": "reasoning", "result": json.loads(COMPLETION)}).encode()
    router = Router(
        {
            ("POST", "invoke"): [(202, [json.dumps(job).encode()])],
            ("GET", "jobs"): [(200, [unconfirmed]), (200, [done])],
        }
    )
    code, _, notes = via_router(router, "reasoning")
    assert code == 0 and "unconfirmed: no answer came" in notes
