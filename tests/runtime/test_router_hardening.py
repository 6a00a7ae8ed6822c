"""The router's third hardening round (#25): reading the model's answer inside the call's error
handling, job ids that cannot be lost, answers past Lambda's 6 MB, NaN in the model's output,
unusable job keys, SageMaker's text kept out of streamed errors, S3 timeouts on async tiers,
and events a direct invoke may send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import EventStreamError, ReadTimeoutError, ResponseStreamingError
from botocore.stub import ANY, Stubber

from deepseek_cdk.runtime.router import async_jobs, calls, handler, jobs, streaming
from tests.runtime.conftest import CONFIG, JOB_KEY, JOB_KEY_SECRET
from tests.runtime.test_router import COMPLETION, body_of, post, stream, stubs

__all__ = ["stubs"]  # the fixture, imported for these tests


def strict_json(text: str) -> Any:
    """JSON as a standard client reads it: NaN and Infinity are errors."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


class Body:
    """An invoke_endpoint Body whose read fails as botocore's StreamingBody fails."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, amt: int | None = None) -> bytes:
        raise self.error

    def close(self) -> None:
        pass


def answer_with(monkeypatch: pytest.MonkeyPatch, body: Any) -> None:
    def invoke_endpoint(**_: Any) -> dict[str, Any]:
        return {"Body": body, "ContentType": "application/json"}

    monkeypatch.setattr(calls.client("sagemaker-runtime"), "invoke_endpoint", invoke_endpoint)


# --- reading the answer ------------------------------------------------------------------


def test_a_read_timeout_on_the_answer_is_a_504_not_an_uncaught_error(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_with(monkeypatch, Body(ReadTimeoutError(endpoint_url="https://runtime.sagemaker")))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 504
    assert "did not finish its answer in time" in body_of(response)["error"]


def test_a_connection_cut_while_reading_is_a_502_with_retry_after(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_with(monkeypatch, Body(ResponseStreamingError(error="Connection broken: IncompleteRead")))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502
    assert response["headers"]["Retry-After"] == "1"
    assert "broke while reading its answer" in body_of(response)["error"]


def test_an_answer_larger_than_a_lambda_response_is_a_clear_502(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = json.dumps({**COMPLETION, "padding": "x" * calls.MAX_RESPONSE_BYTES}).encode()
    answer_with(monkeypatch, stream(huge))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502
    assert "Lambda's 6 MB response limit" in body_of(response)["error"]
    assert "POST /stream" in body_of(response)["error"]


def test_an_answer_that_grows_past_the_limit_when_escaped_is_refused_too(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1.5 M CJK characters: 4.5 MB as UTF-8, three times that as \uXXXX escapes in the answer.
    wide = json.dumps({**COMPLETION, "padding": "中" * 1_500_000}, ensure_ascii=False).encode()
    assert len(wide) < calls.MAX_RESPONSE_BYTES
    answer_with(monkeypatch, stream(wide))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502 and "6 MB" in body_of(response)["error"]


def test_nan_and_infinity_in_the_models_answer_come_back_as_standard_json(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.dumps(COMPLETION)[:-1] + ', "logprob": -Infinity, "score": NaN}'
    answer_with(monkeypatch, stream(raw.encode()))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 200
    answer = strict_json(response["body"])  # a standard parser reads it
    assert (answer["logprob"], answer["score"]) == (None, None)
    assert answer["choices"] == COMPLETION["choices"]


def test_a_models_answer_with_a_5000_digit_number_is_a_502_not_a_crash(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.dumps(COMPLETION)[:-1] + ', "n": ' + "9" * 5000 + "}"
    answer_with(monkeypatch, stream(raw.encode()))
    response = post({"prompt": "x"})
    assert response["statusCode"] == 502
    assert body_of(response)["error"] == "the model's answer is not a chat completion"


def test_nan_in_an_async_result_is_read_as_null(stubs: dict[str, Stubber]) -> None:
    job_id = submit_without_locations(stubs)
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(b'{"score": NaN, "text": "42"}'), "ContentLength": 28},
        {"Bucket": "artifacts-bucket", "Key": ANY},
    )
    response = get(job_id)
    assert strict_json(response["body"])["result"] == {"score": None, "text": "42"}


# --- job ids ---------------------------------------------------------------------------


def submit_without_locations(stubs: dict[str, Stubber]) -> str:
    stubs["s3"].add_response("put_object", {}, None)
    stubs["sagemaker-runtime"].add_response("invoke_endpoint_async", {"InferenceId": "x"}, None)
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 202, response
    return str(body_of(response)["job_id"])


def get(job_id: str) -> dict[str, Any]:
    event = {"httpMethod": "GET", "resource": "/jobs/{id}", "pathParameters": {"id": job_id}}
    return handler.handler(event, None)


def test_the_router_names_the_result_itself_so_the_job_id_is_known_before_queueing(
    stubs: dict[str, Stubber],
) -> None:
    sent: list[dict[str, Any]] = []
    calls.client("sagemaker-runtime").meta.events.register(
        "before-parameter-build.sagemaker-runtime.InvokeEndpointAsync",
        lambda params, **_: sent.append(params),
    )
    job_id = submit_without_locations(stubs)
    (params,) = sent
    assert params["Filename"] == params["InferenceId"]
    assert len(params["Filename"]) == 32  # InvokeEndpointAsync's Filename takes at most 32
    assert params["InputLocation"].endswith(f"/async/reasoning/requests/{params['Filename']}.json")
    # An answer without OutputLocation still gets an id, whose result key is the one named.
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    job = jobs.verify_job(config, job_id, JOB_KEY)
    assert job.output_key == f"async/reasoning/responses/{params['Filename']}"
    assert (job.failure_key, job.unconfirmed) == ("", False)


def test_an_s3_timeout_on_an_async_tier_does_not_advise_an_async_tier(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(**_: Any) -> dict[str, Any]:
        raise ReadTimeoutError(endpoint_url="https://s3")

    monkeypatch.setattr(calls.client("s3"), "put_object", slow)
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 504
    assert response["headers"]["Retry-After"] == "5"
    error = body_of(response)["error"]
    assert "async tier" not in error.replace("async tier's storage", "") and "POST /stream" not in error
    assert "the job was not acknowledged; retry the request" in error


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ({"SecretBinary": b"k" * 64}, "stored as binary"),
        ({"SecretString": ""}, "holds 0 characters"),
        ({"SecretString": "short"}, "holds 5 characters"),
    ],
)
def test_an_unusable_job_key_is_refused_with_a_logged_reason(
    stubs: dict[str, Stubber],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: dict[str, Any],
    reason: str,
) -> None:
    class Secrets:
        def get_secret_value(self, **_: Any) -> dict[str, Any]:
            return secret

    stubbed = calls.client
    monkeypatch.setattr(
        calls,
        "client",
        lambda service, t=25: Secrets() if service == "secretsmanager" else stubbed(service, t),
    )
    monkeypatch.setattr(async_jobs, "_job_keys", {})
    response = post({"prompt": "think", "tier": "reasoning"})  # no S3 or SageMaker call is stubbed
    assert response["statusCode"] == 502
    assert body_of(response)["error"] == "the router's job-id key is unusable; see its logs"
    assert reason in capsys.readouterr().err
    assert async_jobs._job_keys == {}  # not kept: a fixed secret is read again

    # At start-up (Lambda's init phase) the same secret stops the function from starting.
    environ = {"_HANDLER": async_jobs.HANDLER, "ROUTER_CONFIG": json.dumps(CONFIG)}
    with pytest.raises(async_jobs.UnusableJobKey, match=reason):
        async_jobs.load_job_key_at_start(environ)
    assert "job-key-refused" in capsys.readouterr().err


def test_a_usable_job_key_is_read_at_start_up_and_only_in_the_buffered_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []

    class Secrets:
        def get_secret_value(self, SecretId: str) -> dict[str, Any]:
            reads.append(SecretId)
            return {"SecretString": JOB_KEY.decode()}

    monkeypatch.setattr(calls, "client", lambda service, t=25: Secrets())
    monkeypatch.setattr(async_jobs, "_job_keys", {})
    async_jobs.load_job_key_at_start({"_HANDLER": "router.streaming.lambda_handler", "ROUTER_CONFIG": "{}"})
    assert reads == []
    async_jobs.load_job_key_at_start({"_HANDLER": async_jobs.HANDLER, "ROUTER_CONFIG": json.dumps(CONFIG)})
    assert reads == [JOB_KEY_SECRET] and async_jobs._job_keys == {JOB_KEY_SECRET: JOB_KEY}


# --- streamed errors ------------------------------------------------------------------------


def test_a_mid_stream_sagemaker_error_does_not_pass_on_the_account_or_log_group(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = (
        'Received server error (500) from primary with message "boom". See https://us-east-1.console.aws'
        ".amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints/"
        "d-chat in account 111111111111 for more information."
    )

    def broken() -> Any:
        yield {"PayloadPart": {"Bytes": b'{"choices": [{"delta": {"content": "4"}}]}\n'}}
        raise EventStreamError({"Error": {"Code": "ModelStreamError", "Message": message}}, "InvokeStream")

    events = b"".join(streaming.events(broken())).decode()
    assert "111111111111" not in events and "logEventViewer" not in events
    assert '"the answer stopped: ModelStreamError"' in events
    assert "111111111111" in capsys.readouterr().err  # the operator still has it, in the log


def test_nan_in_a_stream_chunk_is_re_emitted_as_null() -> None:
    line = b'{"choices": [{"delta": {"content": "4"}, "logprobs": {"content": [{"logprob": -Infinity}]}}]}\n'
    events = b"".join(streaming.events([{"PayloadPart": {"Bytes": line}}])).decode()
    first = events.split("\n\n")[0].removeprefix("data: ")
    assert strict_json(first)["choices"][0]["logprobs"]["content"][0]["logprob"] is None


# --- what a direct invoke may send ------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"httpMethod": "POST", "resource": "/invoke", "body": {"prompt": "x"}}, "body"),
        ({"httpMethod": "POST", "resource": "/invoke", "body": '{"prompt": "\ud800"}'}, "body"),
        ({"httpMethod": "POST", "resource": "/invoke", "body": '{"prompt": "x"}', "headers": ["x"]}, None),
        (["not", "an", "event"], "event"),
    ],
)
def test_events_a_direct_invoke_may_send_are_400_not_a_crash(
    stubs: dict[str, Stubber], event: Any, field: str | None
) -> None:
    if field is None:  # headers that are not a mapping are ignored, the request served
        stubs["sagemaker-runtime"].add_response(
            "invoke_endpoint", {"Body": stream(json.dumps(COMPLETION).encode())}, None
        )
        assert handler.handler(event, None)["statusCode"] == 200
        return
    response = handler.handler(event, None)
    assert response["statusCode"] == 400
    assert body_of(response)["field"] == field


def test_a_lone_surrogate_in_a_stream_request_is_a_400() -> None:
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    event = {"httpMethod": "POST", "resource": "/stream", "body": '{"prompt": "\udfff"}'}
    answer = b"".join(streaming.stream(config, event, deadline=10.0))
    prelude, _, body = answer.partition(streaming.DELIMITER)
    assert json.loads(prelude)["statusCode"] == 400
    assert json.loads(body)["field"] == "body"
