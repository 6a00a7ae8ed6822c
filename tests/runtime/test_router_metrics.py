"""What the router measures: one Embedded Metric Format line per request served, per tier and
version, for streams, buffered answers and async jobs; never at the cost of a request.

The lines are read from what the handlers print, with SageMaker and S3 faked as in
test_streaming.py and test_router.py, on the fake clock (tests/runtime/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import EventStreamError
from botocore.stub import Stubber

from deepseek_cdk.runtime.router import contract, handler, metrics, streaming
from tests.runtime.conftest import CONFIG, WALL_START, Clock
from tests.runtime.test_router import (
    COMPLETION,
    body_of,
    expect_invoke,
    get_job,
    post,
    stream,
    stubs,
    submit,
)
from tests.runtime.test_streaming import (
    LMI_STREAM,
    FakeRuntime,
    post_stream,
    runtime,
    split_answer,
    sse_data,
    throttled,
)

__all__ = ["runtime", "stubs"]  # fixtures, imported for these tests

LINES = [line + b"\n" for line in LMI_STREAM.splitlines() if line.strip()]


def emf_lines(out: str) -> list[dict[str, Any]]:
    """The EMF documents among the printed lines."""
    documents = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [d for d in documents if "_aws" in d]


def one_emf_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    (document,) = emf_lines(capsys.readouterr().out)
    return document


def assert_follows_the_emf_specification(document: dict[str, Any]) -> None:
    """The specification's rules for what this router writes: an integer timestamp in
    milliseconds, one directive in the router's namespace whose dimension sets are the
    contract's and name string members of the root, and whose metrics are numeric members
    of the root with a CloudWatch unit."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] >= WALL_START * 1000
    (directive,) = meta["CloudWatchMetrics"]
    assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
    assert directive["Namespace"] == contract.METRICS_NAMESPACE
    assert directive["Dimensions"] == [list(contract.TIER_DIMENSIONS), list(contract.VERSION_DIMENSIONS)]
    for key in contract.VERSION_DIMENSIONS:
        assert isinstance(document[key], str) and document[key]
    for definition in directive["Metrics"]:
        assert definition == {"Name": definition["Name"], "Unit": contract.METRIC_UNITS[definition["Name"]]}
        value = document[definition["Name"]]
        assert isinstance(value, int | float) and not isinstance(value, bool)


def values(document: dict[str, Any]) -> dict[str, float]:
    names = [m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    return {name: document[name] for name in names}


def dimensions(document: dict[str, Any]) -> tuple[str, str, str]:
    deployment, tier, version = (document[key] for key in contract.VERSION_DIMENSIONS)
    return deployment, tier, version


# --- streams -------------------------------------------------------------------------------


def timed(clock: Clock, lines: list[bytes], first: float = 0.5, gap: float = 0.1) -> Iterator[dict[str, Any]]:
    """One line per PayloadPart: the first `first` s after the call, the others `gap` s apart."""
    for i, line in enumerate(lines):
        clock.t += first if i == 0 else gap
        yield {"PayloadPart": {"Bytes": line}}


def test_a_stream_writes_ttft_tpot_tokens_and_no_failure_for_the_invoked_version(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.variant = "live-2"  # the config maps it to v2
    clock.t = 0.0
    runtime.answers.append(timed(clock, LINES))
    prelude, _ = split_answer(post_stream({"prompt": "2+2?", "tier": "chat"}))
    assert prelude["statusCode"] == 200
    document = one_emf_line(capsys)
    assert_follows_the_emf_specification(document)
    assert dimensions(document) == ("d", "chat", "v2")
    # Lines at 0.5 s (the role, no token), 0.6, 0.7 (reasoning), 0.8, 0.9 s (content).
    assert values(document) == {
        contract.STREAM_FAILURES_METRIC: 0,
        contract.OUTPUT_TOKENS_METRIC: 4,
        contract.TTFT_METRIC: pytest.approx(600),
        contract.TPOT_METRIC: pytest.approx(100),
    }
    assert document["_aws"]["Timestamp"] == int((WALL_START + 0.9) * 1000)


def test_ttft_counts_from_the_start_of_the_request_retries_included(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.answers += [throttled(), timed(clock, LINES)]
    post_stream({"prompt": "x", "tier": "chat"})
    (sleep,) = clock.sleeps
    assert values(one_emf_line(capsys))[contract.TTFT_METRIC] == pytest.approx((sleep + 0.6) * 1000)


def test_output_tokens_are_the_engines_own_count_when_it_sends_one(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    usage = {"object": "chat.completion.chunk", "choices": [], "usage": {"completion_tokens": 9}}
    runtime.answers.append(timed(clock, [*LINES, json.dumps(usage).encode() + b"\n"]))
    post_stream({"prompt": "2+2?", "tier": "chat"})
    document = one_emf_line(capsys)
    assert values(document)[contract.OUTPUT_TOKENS_METRIC] == 9
    # The usage chunk carries no token: TPOT still spans the four token chunks.
    assert values(document)[contract.TPOT_METRIC] == pytest.approx(100)


def test_a_stream_that_ends_with_an_error_event_counts_one_failure(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield from timed(clock, LINES[:2])
        raise EventStreamError(
            {"Error": {"Code": "ModelStreamError", "Message": "ModelInvocationTimeExceeded"}},
            "InvokeEndpointWithResponseStream",
        )

    runtime.answers.append(broken())
    _, body = split_answer(post_stream({"prompt": "2+2?", "tier": "chat"}))
    assert sse_data(body)[-2]["error"]["type"] == "stream_error"
    document = one_emf_line(capsys)
    # One token chunk: a time to first token, no time per output token.
    assert values(document) == {
        contract.STREAM_FAILURES_METRIC: 1,
        contract.OUTPUT_TOKENS_METRIC: 1,
        contract.TTFT_METRIC: pytest.approx(600),
    }


def test_an_engine_error_line_at_the_end_is_a_failure_too() -> None:
    meter = metrics.StreamMeter(started=0.0)
    answer = [*LINES[:3], b'{"error": "CUDA out of memory"}\n']
    b"".join(streaming.events([{"PayloadPart": {"Bytes": b"".join(answer)}}], meter=meter))
    assert meter.values()[contract.STREAM_FAILURES_METRIC] == 1


def test_an_inference_component_stream_is_measured_for_the_component_chosen(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.variant = "AllTraffic"  # the endpoint's one variant: not what names the version
    runtime.answers.append(timed(clock, LINES))
    post_stream({"prompt": "hello there"})  # the rule sends it to the component tier
    assert runtime.calls[0]["InferenceComponentName"] == "d-fast-g6-2xlarge-v1"
    assert dimensions(one_emf_line(capsys)) == ("d", "fast", "v1")


def test_a_stream_refused_before_any_call_writes_no_metrics(
    runtime: FakeRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    prelude, _ = split_answer(post_stream({"prompt": ""}))
    assert prelude["statusCode"] == 400
    assert emf_lines(capsys.readouterr().out) == []


def test_a_stream_the_client_leaves_is_still_measured(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    runtime.answers.append(timed(clock, LINES))
    event = {"httpMethod": "POST", "resource": "/stream", "body": json.dumps({"prompt": "x", "tier": "chat"})}
    answer = streaming.stream(config, event, deadline=10)
    next(answer), next(answer), next(answer)  # the prelude, then two events
    answer.close()  # the connection is gone
    assert values(one_emf_line(capsys))[contract.OUTPUT_TOKENS_METRIC] == 1


# --- buffered answers ------------------------------------------------------------------------


def test_a_buffered_answer_writes_its_latency_and_output_tokens_for_the_invoked_version(
    stubs: dict[str, Stubber], clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint",
        {
            "Body": stream(json.dumps(COMPLETION).encode()),
            "ContentType": "application/json",
            "InvokedProductionVariant": "live-1",
        },
    )
    clock.t = 3.0
    assert post({"prompt": "2+2?", "max_tokens": 16})["statusCode"] == 200
    document = one_emf_line(capsys)
    assert_follows_the_emf_specification(document)
    assert dimensions(document) == ("d", "chat", "v1")
    # The stubbed call takes no time on the fake clock.
    assert values(document) == {contract.ANSWER_LATENCY_METRIC: 0, contract.OUTPUT_TOKENS_METRIC: 27}


def test_latency_includes_the_retries(
    stubs: dict[str, Stubber], clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs["sagemaker-runtime"].add_client_error(
        "invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400
    )
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    post({"prompt": "2+2?", "max_tokens": 16})
    (sleep,) = clock.sleeps
    assert values(one_emf_line(capsys))[contract.ANSWER_LATENCY_METRIC] == pytest.approx(sleep * 1000)


def test_an_unknown_variant_is_reported_as_itself(
    stubs: dict[str, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    stubs["sagemaker-runtime"].add_response(
        "invoke_endpoint",
        {"Body": stream(json.dumps(COMPLETION).encode()), "InvokedProductionVariant": "live-9"},
    )
    post({"prompt": "2+2?", "max_tokens": 16})
    assert dimensions(one_emf_line(capsys)) == ("d", "chat", "live-9")


def test_failed_answers_write_no_metrics(
    stubs: dict[str, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    expect_invoke(stubs, "d-chat-g6e-xlarge", {"not": "a completion"})
    assert post({"prompt": "2+2?", "max_tokens": 16})["statusCode"] == 502
    assert emf_lines(capsys.readouterr().out) == []


def test_a_metric_that_cannot_be_written_never_breaks_the_answer(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**_: Any) -> str:
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setattr(metrics, "emf_line", broken)
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    response = post({"prompt": "2+2?", "max_tokens": 16})
    assert response["statusCode"] == 200 and body_of(response)["choices"]
    out = capsys.readouterr()
    assert emf_lines(out.out) == []
    assert [json.loads(line) for line in out.err.splitlines()] == [
        {"event": "metrics-dropped", "error": "ValueError"}
    ]


def test_a_config_without_a_deployment_writes_no_metrics(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps({**CONFIG, "deployment": ""}))
    expect_invoke(stubs, "d-chat-g6e-xlarge", COMPLETION)
    assert post({"prompt": "2+2?", "max_tokens": 16})["statusCode"] == 200
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_value_that_is_not_a_finite_number_is_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        metrics.emf_line(
            deployment="d", tier="t", version="v", values={contract.TTFT_METRIC: bad}, timestamp_ms=0
        )


# --- async jobs ------------------------------------------------------------------------------


def done(stubs: dict[str, Stubber], written: float) -> None:
    stubs["s3"].add_response(
        "get_object",
        {
            "Body": stream(b'{"answer": 42}'),
            "ContentLength": 14,
            "LastModified": datetime.fromtimestamp(written, tz=UTC),
        },
    )


def test_a_done_job_writes_its_completion_time_from_acceptance_to_result(
    stubs: dict[str, Stubber], clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.t = 100.0
    job_id = submit(stubs)  # accepted at WALL_START + 100 s
    assert emf_lines(capsys.readouterr().out) == []  # acceptance is not an answer
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    assert body_of(get_job(job_id))["status"] == "pending"
    assert emf_lines(capsys.readouterr().out) == []
    done(stubs, WALL_START + 100 + 754)
    assert body_of(get_job(job_id))["status"] == "done"
    document = one_emf_line(capsys)
    assert_follows_the_emf_specification(document)
    # An async endpoint reports no variant: the tier's one version.
    assert dimensions(document) == ("d", "reasoning", "v1")
    assert values(document) == {contract.COMPLETION_METRIC: 754_000}


def test_every_read_of_a_done_job_repeats_the_same_completion_time(
    stubs: dict[str, Stubber], clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = submit(stubs)
    for later in (0, 3600):
        clock.t += later
        done(stubs, WALL_START + 60)
        get_job(job_id)
    assert [values(d) for d in emf_lines(capsys.readouterr().out)] == [
        {contract.COMPLETION_METRIC: 60_000},
        {contract.COMPLETION_METRIC: 60_000},
    ]


def test_a_failed_job_writes_no_completion_time(
    stubs: dict[str, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = submit(stubs)
    stubs["s3"].add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stubs["s3"].add_response(
        "get_object",
        {"Body": stream(b"CUDA out of memory"), "ContentLength": 18, "LastModified": datetime.now(tz=UTC)},
    )
    assert body_of(get_job(job_id))["status"] == "failed"
    assert emf_lines(capsys.readouterr().out) == []
