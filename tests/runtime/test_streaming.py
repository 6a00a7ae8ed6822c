"""POST /stream: server-sent events from SageMaker's response stream, and the Lambda Runtime
API client that streams them, against a local fake of the Runtime API speaking HTTP.

The container's output is the reference shapes in tests/runtime/shapes (LMI v20 JSON lines,
TGI server-sent events), cut into PayloadParts at awkward places as SageMaker may cut them."""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import urllib3
from botocore.exceptions import ClientError, EventStreamError

from deepseek_cdk.runtime.router import calls, handler, lambda_runtime, streaming
from tests.runtime.conftest import CONFIG, POLL_S, Clock

SHAPES = Path(__file__).parent / "shapes"
LMI_STREAM = (SHAPES / "lmi_chat_stream.jsonl").read_bytes()
TGI_STREAM = (SHAPES / "tgi_chat_stream.txt").read_bytes()


def parts(data: bytes, size: int) -> list[dict[str, Any]]:
    return [{"PayloadPart": {"Bytes": data[i : i + size]}} for i in range(0, len(data), size)]


def sse_data(body: bytes) -> list[Any]:
    """The `data:` payloads of a server-sent-event body, JSON-decoded except [DONE]."""
    events = [e for e in body.decode().split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events), events
    return [e[6:] if e == "data: [DONE]" else json.loads(e[6:]) for e in events]


def code(kind: str) -> dict[str, Any]:
    """The rest of an error event's OpenAI error object: its type, no param, its code."""
    return {"type": kind, "param": None, "code": kind}


def split_answer(answer: bytes) -> tuple[dict[str, Any], bytes]:
    prelude, delimiter, body = answer.partition(streaming.DELIMITER)
    assert delimiter, "API Gateway needs eight NUL bytes after the JSON prelude"
    return json.loads(prelude), body


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_lmi_json_lines_become_server_sent_events_however_they_are_cut(size: int) -> None:
    chunks = [json.loads(line) for line in LMI_STREAM.splitlines() if line.strip()]
    events = sse_data(b"".join(streaming.events(parts(LMI_STREAM, size))))
    assert events == [*chunks, "[DONE]"]
    reasoning = "".join(e["choices"][0]["delta"].get("reasoning") or "" for e in events[:-1])
    content = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert (reasoning, content) == ("The user asks for 2 + 2.", "2 + 2 = 4.")


def test_tgi_server_sent_events_are_passed_on_with_one_done() -> None:
    events = sse_data(b"".join(streaming.events(parts(TGI_STREAM, 5))))
    assert [e["choices"][0]["delta"]["content"] for e in events[:-1]] == ["<think>", "4"]
    assert events[-1] == "[DONE]" and events.count("[DONE]") == 1


def broken_stream() -> Iterator[dict[str, Any]]:
    yield from parts(LMI_STREAM[:300], 50)
    raise EventStreamError(
        {"Error": {"Code": "ModelStreamError", "Message": "ModelInvocationTimeExceeded"}},
        "InvokeEndpointWithResponseStream",
    )


def test_a_stream_broken_midway_ends_with_an_error_event_then_done() -> None:
    events = sse_data(b"".join(streaming.events(broken_stream())))
    assert events[-1] == "[DONE]"
    assert events[-2] == {
        "error": {
            "message": "the answer stopped: ModelStreamError: ModelInvocationTimeExceeded",
            "type": "stream_error",
            "param": None,
            "code": "stream_error",
        }
    }


class Dropped:
    """An event stream whose connection drops after two parts (urllib3 raises, not botocore)."""

    closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from parts(LMI_STREAM[:200], 100)
        raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")

    def close(self) -> None:
        self.closed = True


def test_a_dropped_connection_ends_with_an_error_event_and_the_stream_is_closed() -> None:
    body = Dropped()
    events = sse_data(b"".join(streaming.events(body)))
    assert events[-2:] == [
        {"error": {"message": "the answer stopped: ProtocolError", **code("stream_error")}},
        "[DONE]",
    ]
    assert body.closed


def test_an_answer_still_running_at_the_time_limit_is_cut_with_an_error_event(clock: Clock) -> None:
    def slow() -> Iterator[dict[str, Any]]:
        for part in parts(LMI_STREAM, 50):
            clock.t += 60  # a minute per piece
            yield part

    events = sse_data(b"".join(streaming.events(slow(), ends_at=200)))
    assert events[-2:] == [
        {"error": {"message": "the answer was cut at the time limit", **code("time_limit")}},
        "[DONE]",
    ]
    assert len(events) < len(parts(LMI_STREAM, 50))


def test_an_engine_error_line_becomes_an_error_event() -> None:
    line = b'{"error": "CUDA out of memory", "code": 500}\n'
    events = sse_data(b"".join(streaming.events(parts(line, 100))))
    assert events == [{"error": {"message": "CUDA out of memory", **code("model_error")}}, "[DONE]"]


class FakeRuntime:
    """sagemaker-runtime with a scripted InvokeEndpointWithResponseStream."""

    def __init__(self, *answers: Iterable[dict[str, Any]] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []
        self.variant: str | None = None  # what SageMaker reports as InvokedProductionVariant

    def invoke_endpoint_with_response_stream(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        invoked = {"InvokedProductionVariant": self.variant} if self.variant else {}
        return {"Body": iter(answer), **invoked}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> FakeRuntime:
    fake = FakeRuntime()

    def client(service: str, read_timeout: int = calls.READ_TIMEOUT_S) -> Any:
        assert (service, read_timeout) == ("sagemaker-runtime", streaming.STREAM_READ_TIMEOUT_S)
        return fake

    monkeypatch.setattr(calls, "client", client)
    return fake


def post_stream(body: Any, headers: dict[str, str] | None = None) -> bytes:
    config = handler.RouterConfig.from_json(json.dumps({**CONFIG, "max_body_bytes": 262144}))
    with_long_numbers = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # so that the test can write what a client may send
    try:
        text = json.dumps(body)
    finally:
        sys.set_int_max_str_digits(with_long_numbers)
    event = {"httpMethod": "POST", "resource": "/stream", "headers": headers or {}, "body": text}
    return b"".join(streaming.stream(config, event, deadline=calls.now() + 10))


def test_stream_answers_200_event_stream_naming_the_tier(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(LMI_STREAM, 33))
    prelude, body = split_answer(post_stream({"prompt": "2+2?", "max_tokens": 2000}))
    assert prelude == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Tier": "chat"},
    }
    assert sse_data(body)[-1] == "[DONE]"
    (call,) = runtime.calls
    assert call["EndpointName"] == "d-chat-g6e-xlarge"
    assert json.loads(call["Body"]) == {
        "messages": [{"role": "user", "content": "2+2?"}],
        "max_tokens": 2000,  # above POST /invoke's 400: streaming is what long answers are for
        "stream": True,
    }


def test_stream_goes_to_the_chosen_inference_component(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(LMI_STREAM, 100))
    prelude, _ = split_answer(post_stream({"prompt": "hello there"}))
    assert prelude["headers"]["X-Tier"] == "fast"
    assert runtime.calls[0]["InferenceComponentName"] == "d-fast-g6-2xlarge-v1"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"prompt": "think", "tier": "reasoning"}, "tier", "asynchronous; send it to POST /invoke"),
        (
            {"prompt": "x", "tier": "fast", "max_tokens": 2001},
            "max_tokens",
            "send longer answers to an async tier",
        ),
        ({"prompt": "x", "tier": "chat", "max_tokens": 8190}, "max_tokens", "exceeds tier 'chat''s context"),
        ({"prompt": ""}, "prompt", "non-empty"),
        ({"prompt": "x", "max_tokens": 10**5000}, "max_tokens", "a whole number of 5,001 digits"),
    ],
)
def test_bad_stream_requests_are_400_before_any_call(
    runtime: FakeRuntime, body: dict[str, Any], field: str, says: str
) -> None:
    prelude, payload = split_answer(post_stream(body))
    assert prelude["statusCode"] == 400
    reply = json.loads(payload)
    assert reply["field"] == field and says in reply["error"]
    assert runtime.calls == []


def test_default_max_tokens_is_lowered_to_the_stream_limit(runtime: FakeRuntime) -> None:
    tiers = {**CONFIG["tiers"], "fast": {**CONFIG["tiers"]["fast"], "stream_max_tokens": 300}}
    config = handler.RouterConfig.from_json(json.dumps({**CONFIG, "tiers": tiers}))
    runtime.answers.append(parts(LMI_STREAM, 100))
    event = {"httpMethod": "POST", "resource": "/stream", "body": json.dumps({"prompt": "x", "tier": "fast"})}
    b"".join(streaming.stream(config, event, deadline=10))
    assert json.loads(runtime.calls[0]["Body"])["max_tokens"] == 300


def test_a_failure_before_the_first_token_is_a_500_answer(runtime: FakeRuntime) -> None:
    runtime.answers.append(RuntimeError("unexpected"))
    prelude, payload = split_answer(post_stream({"prompt": "x"}))
    assert prelude["statusCode"] == 500
    assert json.loads(payload) == {"error": "the router failed; see its logs"}


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}, "ResponseMetadata": {}},
        "InvokeEndpointWithResponseStream",
    )


def test_throttling_before_the_first_token_is_retried(runtime: FakeRuntime, clock: Clock) -> None:
    runtime.answers += [throttled(), parts(LMI_STREAM, 100)]
    prelude, _ = split_answer(post_stream({"prompt": "x"}))
    assert prelude["statusCode"] == 200
    assert len(runtime.calls) == 2 and len(clock.sleeps) == 1


def test_still_throttled_at_the_end_of_the_budget_is_503_with_retry_after(
    runtime: FakeRuntime, clock: Clock
) -> None:
    runtime.answers += [throttled() for _ in range(5)]
    prelude, payload = split_answer(post_stream({"prompt": "x"}))
    assert prelude["statusCode"] == 503
    assert int(prelude["headers"]["Retry-After"]) >= 1
    assert "busy" in json.loads(payload)["error"]


# --- the Lambda Runtime API, over HTTP -------------------------------------------------


class FakeRuntimeApi(http.server.BaseHTTPRequestHandler):
    """Hands out one invocation and records the streamed response, decoding the chunks."""

    event: ClassVar[dict[str, Any]] = {}
    posted: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        assert self.path == "/2018-06-01/runtime/invocation/next"
        body = json.dumps(self.event).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", "0")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-abc")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body, chunk_sizes, trailers = b"", [], {}
        while (size := int(self.rfile.readline().strip(), 16)) > 0:
            body += self.rfile.read(size)
            chunk_sizes.append(size)
            assert self.rfile.read(2) == b"\r\n"
        while (line := self.rfile.readline().strip()) != b"":
            name, _, value = line.decode().partition(": ")
            trailers[name] = value
        type(self).posted.update(
            path=self.path, headers=dict(self.headers), body=body, chunks=chunk_sizes, trailers=trailers
        )
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def runtime_api() -> Iterator[tuple[str, int]]:
    FakeRuntimeApi.posted = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRuntimeApi)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_S,), daemon=True)
    thread.start()
    yield server.server_address[0], server.server_address[1]
    server.shutdown()


def serve(address: tuple[str, int], body: dict[str, Any]) -> dict[str, Any]:
    FakeRuntimeApi.event = {"httpMethod": "POST", "resource": "/stream", "body": json.dumps(body)}
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    lambda_runtime.serve_one(lambda: http.client.HTTPConnection(*address, timeout=10), config)
    return FakeRuntimeApi.posted


def test_the_answer_is_posted_in_streaming_mode_chunk_by_chunk(
    runtime_api: tuple[str, int], runtime: FakeRuntime
) -> None:
    runtime.answers.append(parts(LMI_STREAM, 40))
    posted = serve(runtime_api, {"prompt": "2+2?"})
    assert posted["path"] == "/2018-06-01/runtime/invocation/req-1/response"
    assert posted["headers"]["Lambda-Runtime-Function-Response-Mode"] == "streaming"
    assert posted["headers"]["Transfer-Encoding"] == "chunked"
    assert posted["headers"]["Content-Type"] == lambda_runtime.PRELUDE_CONTENT_TYPE
    assert len(posted["chunks"]) > 3  # sent as it came, not buffered into one piece
    prelude, body = split_answer(posted["body"])
    assert prelude["statusCode"] == 200
    assert sse_data(body)[-1] == "[DONE]"
    assert posted["trailers"] == {}


def test_a_crash_midway_is_reported_in_the_trailers(
    runtime_api: tuple[str, int], runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(body: Any, ends_at: float | None = None, meter: Any = None) -> Iterator[bytes]:
        yield b"data: {}\n\n"
        raise RuntimeError("boom")

    monkeypatch.setattr(streaming, "events", crash)
    runtime.answers.append([])
    posted = serve(runtime_api, {"prompt": "2+2?"})
    assert posted["trailers"]["Lambda-Runtime-Function-Error-Type"] == "Runtime.StreamError"
    error = json.loads(base64.b64decode(posted["trailers"]["Lambda-Runtime-Function-Error-Body"]))
    assert error == {"errorMessage": "boom", "errorType": "RuntimeError"}
    assert split_answer(posted["body"])[0]["statusCode"] == 200


def test_the_exec_wrapper_runs_the_runtime_api_client_from_the_task_root() -> None:
    wrapper = Path(streaming.__file__).with_name("stream-bootstrap")
    text = wrapper.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert 'cd "$LAMBDA_TASK_ROOT"' in text and "exec python3 -m router.lambda_runtime" in text
    assert wrapper.stat().st_mode & 0o111, "Lambda executes the wrapper: it must be executable"


def test_the_wrapper_process_serves_an_invocation_end_to_end(
    runtime_api: tuple[str, int], tmp_path: Path
) -> None:
    """The exec wrapper as Lambda starts it: a separate process in a copy of the code package,
    talking to the Runtime API over HTTP. Without AWS credentials, SageMaker is never reached:
    the answer is the router's own 502, streamed in the format API Gateway reads."""
    task_root = tmp_path / "task"
    shutil.copytree(
        Path(streaming.__file__).parent.parent, task_root, ignore=shutil.ignore_patterns("__pycache__")
    )
    FakeRuntimeApi.event = {
        "httpMethod": "POST",
        "resource": "/stream",
        "body": json.dumps({"prompt": "2+2?"}),
    }
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_RUNTIME_API": f"{runtime_api[0]}:{runtime_api[1]}",
        "ROUTER_CONFIG": json.dumps(CONFIG),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    # Lambda passes the managed runtime's own command; the wrapper does not run it.
    process = subprocess.Popen(
        ["/bin/sh", str(task_root / "router" / "stream-bootstrap"), "/var/runtime/bootstrap"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if FakeRuntimeApi.posted:
                break
            time.sleep(0.05)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert FakeRuntimeApi.posted, stderr.decode()
    prelude, body = split_answer(FakeRuntimeApi.posted["body"])
    assert prelude["statusCode"] == 502
    assert json.loads(body)["error"] == "the tier could not be reached: NoCredentialsError"
