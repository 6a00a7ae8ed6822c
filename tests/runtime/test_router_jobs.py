"""Async jobs through the router: signed job ids, results of any size, calls inside the budget.

Stubbed clients as in test_router.py; the job-id key is the test key from conftest unless a
test reads it through a stubbed Secrets Manager."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber

from deepseek_cdk.runtime.router import async_jobs, calls, handler, jobs
from deepseek_cdk.runtime.router.contract import (
    ASYNC_INVOCATION_TIMEOUT_S,
    ASYNC_JOB_LIFETIME_S,
    ASYNC_REQUEST_TTL_S,
)
from tests.runtime.conftest import CONFIG, JOB_KEY, JOB_KEY_SECRET, Clock
from tests.runtime.test_router import body_of, get_job, post, stream, stubs, submit, timeouts

__all__ = ["stubs"]  # the fixture, imported for these tests

OUTPUT = "async/reasoning/responses/abc.out"
ACCEPTED = 1_765_000_000  # epoch seconds: when SageMaker accepted the job


def signed(job: Any, key: bytes = JOB_KEY) -> str:
    payload = json.dumps(job, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return f"{b64(payload)}.{b64(mac)}"


def result(stubs: dict[str, Stubber], data: bytes, key: str = OUTPUT) -> None:
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(data), "ContentLength": len(data)},
        {"Bucket": "artifacts-bucket", "Key": key},
    )


# --- signed job ids ----------------------------------------------------------------------------


def test_a_job_id_is_a_payload_and_its_hmac_and_reads_back(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    payload, _mac = job_id.split(".")
    job = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert job == {
        "f": "async/reasoning/failures/abc-error.out",
        "o": OUTPUT,
        "t": "reasoning",
        "a": int(calls.wall()),
    }
    assert job_id == signed(job)
    result(stubs, b'{"answer": 42}')
    assert body_of(get_job(job_id)) == {"status": "done", "tier": "reasoning", "result": {"answer": 42}}


@pytest.mark.parametrize(
    "job_id",
    [
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED}, key=b"another deployment's key"),
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED})[:-2] + "AA",  # the MAC altered
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED, "x": ""}),  # not the job's shape
        signed({"t": "reasoning", "o": OUTPUT, "f": ""}),  # the shape of ids before "a": refused
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": "1765000000"}),
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": True}),
        signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": -1}),
        signed({"t": "reasoning", "o": 1, "f": "", "a": ACCEPTED}),
        signed(["reasoning", OUTPUT]),
        signed(
            {"t": "reasoning", "o": "models/weights.bin", "f": "", "a": ACCEPTED}
        ),  # signed, outside the prefix
        signed({"t": "chat", "o": OUTPUT, "f": "", "a": ACCEPTED}),
        "x" * 5000,
        "a.b.c",
        "a." + "A" * 43,  # a payload length base64 cannot have
        "",
        "eyJ0IjogInJlYXNvbmluZyJ9",  # an unsigned payload, as ids were before they were signed
    ],
)
def test_a_forged_altered_or_malformed_job_id_is_400_and_reads_nothing(
    stubs: dict[str, Stubber], job_id: str
) -> None:
    response = get_job(job_id)
    assert response["statusCode"] == 400
    assert body_of(response)["field"] == "id"


def test_a_payload_altered_under_a_valid_mac_is_refused(stubs: dict[str, Stubber]) -> None:
    payload, mac = signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED}).split(".")
    other = signed(
        {"t": "reasoning", "o": "async/reasoning/responses/other.out", "f": "", "a": ACCEPTED}
    ).split(".")[0]
    assert get_job(f"{other}.{mac}")["statusCode"] == 400
    assert payload != other


def test_the_key_is_read_from_its_secret_once_per_function_instance(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    secrets = boto3.client(
        "secretsmanager", region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    stubber = Stubber(secrets)
    stubber.add_response("get_secret_value", {"SecretString": "s" * 64}, {"SecretId": JOB_KEY_SECRET})
    stubber.activate()
    stubbed = calls.client

    def client(service: str, read_timeout: int = calls.READ_TIMEOUT_S) -> Any:
        return secrets if service == "secretsmanager" else stubbed(service, read_timeout)

    monkeypatch.setattr(calls, "client", client)
    monkeypatch.setattr(async_jobs, "_job_keys", {})
    job_id = signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED}, key=b"s" * 64)
    for _ in range(2):
        no_result(stubs)
        failures_listed(stubs, "abc", [])
        assert body_of(get_job(job_id))["status"] == "pending"
    stubber.assert_no_pending_responses()  # one read for both requests


def test_without_a_job_key_no_async_job_starts(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "job_key_secret": ""}))
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 502
    assert "job-id key" in body_of(response)["error"]


# --- results of any size -----------------------------------------------------------------------


def test_an_empty_result_reads_as_done_and_empty(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    result(stubs, b"")
    assert body_of(get_job(job_id)) == {"status": "done", "tier": "reasoning", "result": ""}


def test_a_result_larger_than_a_response_is_a_presigned_url_not_read(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    size = 50 * 1024 * 1024
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(b""), "ContentLength": size},
        {"Bucket": "artifacts-bucket", "Key": OUTPUT},
    )
    response = get_job(job_id)
    body = body_of(response)
    assert response["statusCode"] == 200 and body["status"] == "done" and "result" not in body
    assert body["result_bytes"] == size and body["url_expires_in_seconds"] == async_jobs.RESULT_URL_SECONDS
    assert body["result_url"].startswith("https://artifacts-bucket.s3.amazonaws.com/" + OUTPUT)
    assert len(json.dumps(response)) < 2000


def test_a_result_that_grows_past_the_limit_once_escaped_is_a_url_never_cut(
    stubs: dict[str, Stubber],
) -> None:
    job_id = submit(stubs)
    answer = json.dumps({"text": "思" * 1_200_000}, ensure_ascii=False).encode()  # 3.6 MB of UTF-8
    assert len(answer) < calls.MAX_RESPONSE_BYTES
    result(stubs, answer)
    body = body_of(get_job(job_id))
    assert "result" not in body and body["result_bytes"] == len(answer)


def test_a_result_that_fits_is_returned_whole(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    text = "x" * 4_000_000
    result(stubs, json.dumps({"text": text}).encode())
    response = get_job(job_id)
    assert body_of(response)["result"]["text"] == text
    assert len(json.dumps(response)) <= calls.MAX_RESPONSE_BYTES


# --- the time budget ---------------------------------------------------------------------------


def test_async_calls_read_no_longer_than_the_budget_left(stubs: dict[str, Stubber], clock: Clock) -> None:
    clock.t = 0.0
    submit(stubs)
    budget = CONFIG["time_budget_seconds"]
    assert [t for service, t in timeouts if service in ("s3", "sagemaker-runtime")] == [budget, budget]


def test_a_submit_never_starts_a_call_that_could_outlast_the_api(
    stubs: dict[str, Stubber], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 6000  # 5 s of budget once the function keeps 1 s for itself

    stubs["s3"].add_response("put_object", {}, None)
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint_async", {"OutputLocation": f"s3://artifacts-bucket/{OUTPUT}"}, None
    )
    event = {
        "httpMethod": "POST",
        "resource": "/invoke",
        "body": json.dumps({"prompt": "x", "tier": "reasoning"}),
    }
    assert handler.handler(event, Context())["statusCode"] == 202
    assert all(t <= 5 for service, t in timeouts if service in ("s3", "sagemaker-runtime"))


@pytest.mark.parametrize("body", ["\x80", "not base64!", "é"])
def test_a_body_flagged_base64_that_is_not_is_400(stubs: dict[str, Stubber], body: str) -> None:
    event = {"httpMethod": "POST", "resource": "/invoke", "isBase64Encoded": True, "body": body}
    response = handler.handler(event, None)
    assert response["statusCode"] == 400 and body_of(response)["field"] == "body"


@pytest.mark.parametrize("key", ["", "a b", "x" * 500])
def test_an_unknown_field_with_an_odd_name_is_named_as_the_body(stubs: dict[str, Stubber], key: str) -> None:
    response = post({"prompt": "hi", key: 1})
    assert response["statusCode"] == 400
    assert body_of(response)["field"] == "body" and len(body_of(response)["error"]) < 200


def test_only_the_one_spelling_of_a_mac_verifies(stubs: dict[str, Stubber]) -> None:
    job_id = signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(job_id[-1])
    # The 43rd character carries 4 bits of the digest and 2 spare ones: its neighbours in the
    # same group of four decode to the same bytes, and must still be refused.
    for other in {alphabet[(last & ~3) + i] for i in range(4)} - {job_id[-1]}:
        assert get_job(job_id[:-1] + other)["statusCode"] == 400


def test_without_an_async_tier_a_job_route_is_404(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    realtime_only = {**CONFIG, "tiers": {k: v for k, v in CONFIG["tiers"].items() if not v["queued"]}}
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps(realtime_only))
    response = get_job(signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED}))
    assert response["statusCode"] == 404 and body_of(response)["field"] == "path"


def test_reading_a_result_waits_only_for_the_budget_left(stubs: dict[str, Stubber], clock: Clock) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 5000  # 4 s of budget once the function keeps 1 s for itself

    job_id = signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED})
    no_result(stubs)
    failures_listed(stubs, "abc", [])
    event = {"httpMethod": "GET", "resource": "/jobs/{id}", "pathParameters": {"id": job_id}}
    assert body_of(handler.handler(event, Context()))["status"] == "pending"
    assert timeouts[-2:] == [("s3", 4), ("s3", 4)]


# --- a failure SageMaker did not name ----------------------------------------------------------

FAILURES = "async/reasoning/failures/"


def submit_without_failure_location(stubs: dict[str, Stubber]) -> str:
    stubs["s3"].add_response("put_object", {}, None)
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint_async", {"OutputLocation": f"s3://artifacts-bucket/{OUTPUT}"}, None
    )
    response = post({"prompt": "think", "tier": "reasoning"})
    assert response["statusCode"] == 202
    return str(body_of(response)["job_id"])


def no_result(stubs: dict[str, Stubber], key: str = OUTPUT) -> None:
    stubs["s3"].add_client_error(
        "get_object",
        service_error_code="NoSuchKey",
        http_status_code=404,
        expected_params={"Bucket": "artifacts-bucket", "Key": key},
    )


def failures_listed(stubs: dict[str, Stubber], name: str, keys: list[str]) -> None:
    stubs["s3"].add_response(
        "list_objects_v2",
        {"Contents": [{"Key": k} for k in keys], "KeyCount": len(keys)},
        {"Bucket": "artifacts-bucket", "Prefix": FAILURES + name, "MaxKeys": async_jobs.FAILURE_KEYS_LISTED},
    )


def test_a_failure_without_failure_location_is_found_by_the_results_name(stubs: dict[str, Stubber]) -> None:
    job_id = submit_without_failure_location(stubs)  # OUTPUT is .../abc.out: SageMaker's own name
    no_result(stubs)
    failures_listed(stubs, "abc", [FAILURES + "abc-error.out"])
    result(stubs, b"CUDA out of memory", key=FAILURES + "abc-error.out")
    failed = {"status": "failed", "tier": "reasoning", "error": "CUDA out of memory"}
    assert body_of(get_job(job_id)) == failed


def test_a_failure_is_found_for_a_result_the_router_named_and_an_id_issued_before(
    stubs: dict[str, Stubber],
) -> None:
    name = "0123456789abcdef0123456789abcdef"  # as the router names results (Filename)
    job_id = signed({"t": "reasoning", "o": f"async/reasoning/responses/{name}", "f": "", "a": ACCEPTED})
    no_result(stubs, f"async/reasoning/responses/{name}")
    failures_listed(stubs, name, [f"{FAILURES}{name}-error.out"])
    result(stubs, b'{"error": "timed out"}', key=f"{FAILURES}{name}-error.out")
    assert body_of(get_job(job_id))["error"] == {"error": "timed out"}


def test_another_jobs_failure_that_only_starts_with_the_name_is_not_taken(stubs: dict[str, Stubber]) -> None:
    job_id = submit_without_failure_location(stubs)
    no_result(stubs)
    failures_listed(stubs, "abc", [FAILURES + "abcdef-error.out"])
    assert body_of(get_job(job_id)) == {"status": "pending", "tier": "reasoning"}


def test_a_failure_location_sagemaker_answers_is_read_without_listing(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)  # with FailureLocation .../abc-error.out
    no_result(stubs)
    no_result(stubs, FAILURES + "abc-error.out")
    assert body_of(get_job(job_id)) == {"status": "pending", "tier": "reasoning"}  # no list stubbed


# --- jobs that will never end --------------------------------------------------------------------


def test_a_job_without_result_or_failure_past_what_sagemaker_may_take_is_expired(
    stubs: dict[str, Stubber], clock: Clock
) -> None:
    job_id = submit(stubs)
    clock.t = ASYNC_JOB_LIFETIME_S - 1  # the queue's 6 h, the run's hour and the write's margin
    no_result(stubs)
    no_result(stubs, FAILURES + "abc-error.out")
    assert body_of(get_job(job_id)) == {"status": "pending", "tier": "reasoning"}
    clock.t = ASYNC_JOB_LIFETIME_S + 1
    no_result(stubs)
    no_result(stubs, FAILURES + "abc-error.out")
    response = get_job(job_id)
    body = body_of(response)
    assert response["statusCode"] == 200 and body["status"] == "expired" and body["tier"] == "reasoning"
    assert "6 h in the queue" in body["error"] and "retention.async_days" in body["error"]
    assert "submit it again" in body["error"]


def test_a_job_whose_result_the_retention_deleted_is_expired_not_pending(
    stubs: dict[str, Stubber], clock: Clock
) -> None:
    job_id = signed({"t": "reasoning", "o": OUTPUT, "f": FAILURES + "abc-error.out", "a": ACCEPTED})
    clock.t = 31 * 86_400  # past the default retention.async_days (30)
    no_result(stubs)
    no_result(stubs, FAILURES + "abc-error.out")
    assert body_of(get_job(job_id))["status"] == "expired"


def test_a_result_still_there_is_done_however_old(stubs: dict[str, Stubber], clock: Clock) -> None:
    job_id = signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED})
    clock.t = 10 * 86_400
    result(stubs, b'{"answer": 42}')
    assert body_of(get_job(job_id))["status"] == "done"


def test_the_queue_and_run_limits_are_sent_not_left_to_defaults(stubs: dict[str, Stubber]) -> None:
    sent: list[dict[str, Any]] = []
    calls.client("sagemaker-runtime").meta.events.register(
        "before-parameter-build.sagemaker-runtime.InvokeEndpointAsync",
        lambda params, **_: sent.append(params),
    )
    submit(stubs)
    (params,) = sent
    assert params["RequestTTLSeconds"] == ASYNC_REQUEST_TTL_S == 21_600
    assert params["InvocationTimeoutSeconds"] == ASYNC_INVOCATION_TIMEOUT_S == 3600
    assert ASYNC_JOB_LIFETIME_S > ASYNC_REQUEST_TTL_S + ASYNC_INVOCATION_TIMEOUT_S


# --- a submission SageMaker did not answer -------------------------------------------------------


def submit_unanswered(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> tuple[dict[str, Any], dict[str, Any]]:
    """POST /invoke to the async tier whose InvokeEndpointAsync raises `error` once the
    request has gone out: (the answer, what was sent)."""
    sent: list[dict[str, Any]] = []

    def unanswered(**params: Any) -> Any:
        sent.append(params)
        raise error

    stubs["s3"].add_response("put_object", {}, None)
    monkeypatch.setattr(calls.client("sagemaker-runtime"), "invoke_endpoint_async", unanswered)
    response = post({"prompt": "think", "tier": "reasoning"})
    (params,) = sent  # never sent twice: a second request could run the job twice
    return response, params


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://runtime.sagemaker"),
        ConnectionClosedError(endpoint_url="https://runtime.sagemaker"),
    ],
    ids=["read-timeout", "connection-closed"],
)
def test_a_submission_without_an_answer_still_gets_a_job_id_marked_unconfirmed(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    response, params = submit_unanswered(stubs, monkeypatch, error)
    assert response["statusCode"] == 202
    body = body_of(response)
    assert (body["tier"], body["status"]) == ("reasoning", "unconfirmed")
    assert "GET /jobs/{id}" in body["detail"] and "expired" in body["detail"]
    job = jobs.verify_job(handler.RouterConfig.from_json(json.dumps(CONFIG)), body["job_id"], JOB_KEY)
    name = params["Filename"]
    assert (job.output_key, job.failure_key, job.unconfirmed) == (
        f"async/reasoning/responses/{name}",
        "",
        True,
    )

    # Polled: unconfirmed until the result SageMaker may still write appears.
    no_result(stubs, job.output_key)
    failures_listed(stubs, name, [])
    assert body_of(get_job(body["job_id"])) == {"status": "unconfirmed", "tier": "reasoning"}
    result(stubs, b'{"answer": 42}', key=job.output_key)
    assert body_of(get_job(body["job_id"]))["status"] == "done"


def test_an_unconfirmed_job_with_nothing_written_in_time_is_expired_as_never_queued(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    response, params = submit_unanswered(stubs, monkeypatch, ReadTimeoutError(endpoint_url="x"))
    clock.t = ASYNC_JOB_LIFETIME_S + 1
    no_result(stubs, f"async/reasoning/responses/{params['Filename']}")
    failures_listed(stubs, params["Filename"], [])
    body = body_of(get_job(body_of(response)["job_id"]))
    assert body["status"] == "expired" and "never confirmed" in body["error"]


def test_a_connection_that_never_opened_is_504_without_an_id(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The request never left: nothing can be queued, and the client may simply retry.
    response, _ = submit_unanswered(stubs, monkeypatch, ConnectTimeoutError(endpoint_url="x"))
    assert response["statusCode"] == 504 and "job_id" not in body_of(response)
    assert "the job was not acknowledged; retry the request" in body_of(response)["error"]


def test_a_confirmed_job_id_keeps_the_shape_of_ids_issued_before(stubs: dict[str, Stubber]) -> None:
    job_id = submit(stubs)
    payload = job_id.split(".")[0]
    assert set(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))) == {
        "t",
        "o",
        "f",
        "a",
    }


@pytest.mark.parametrize("flag", [True, 1.0, 0, 2, "1", None])
def test_an_unconfirmed_flag_of_another_value_is_refused(stubs: dict[str, Stubber], flag: Any) -> None:
    response = get_job(signed({"t": "reasoning", "o": OUTPUT, "f": "", "a": ACCEPTED, "u": flag}))
    assert response["statusCode"] == 400 and body_of(response)["field"] == "id"
