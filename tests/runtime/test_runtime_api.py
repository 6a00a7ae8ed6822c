"""The streaming function's Lambda Runtime API client against an emulation of the Runtime API:
a local HTTP server on 127.0.0.1 that answers as the API does (Lambda developer guide,
runtimes-api and runtimes-custom "response streaming", and the API's OpenAPI specification)
and records every request, so each failure path is checked over real HTTP:

- GET /runtime/invocation/next answers 500 ("Container error. Non-recoverable state. Runtime
  should exit promptly."): the client exits at once, and never posts `/invocation//response`;
- an invocation that fails before its response starts goes to /invocation/{id}/error;
- the client goes away mid-answer (the connection is reset): SageMaker's stream is closed at
  once, no trailer is written, nothing sleeps, one log line and no traceback, and the stream
  counts as a StreamFailure;
- a stream that fails midway counts as a StreamFailure."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from botocore.exceptions import EventStreamError

from deepseek_cdk.runtime.router import handler, lambda_runtime, streaming
from tests.runtime.conftest import CONFIG, POLL_S
from tests.runtime.test_streaming import LMI_STREAM, FakeRuntime, parts, runtime, split_answer

__all__ = ["runtime"]  # the fixture, imported for these tests

CHUNK = b'{"choices": [{"delta": {"content": "x"}}]}\n'


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """The Runtime API, scripted per test: what /next answers, and whether the client is
    cut off after the first chunk of its response."""

    next_status: ClassVar[int] = 200
    next_headers: ClassVar[dict[str, str]] = {}
    event: ClassVar[bytes] = b""
    cut_after_first_chunk: ClassVar[bool] = False
    cut: ClassVar[threading.Event] = threading.Event()
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self.requests.append({"method": "GET", "path": self.path})
        self.send_response(self.next_status)
        for name, value in self.next_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.event)))
        self.end_headers()
        self.wfile.write(self.event)

    def do_POST(self) -> None:
        record: dict[str, Any] = {"method": "POST", "path": self.path, "headers": dict(self.headers)}
        self.requests.append(record)
        if self.headers.get("Transfer-Encoding") != "chunked":
            record["body"] = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.answer(202)
            return
        body, trailers = b"", {}
        while (size := int(self.rfile.readline().strip(), 16)) > 0:
            body += self.rfile.read(size)
            self.rfile.read(2)
            record["body"] = body
            if self.cut_after_first_chunk:  # the client is gone: reset the connection
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                self.cut.set()
                return
        while (line := self.rfile.readline().strip()) != b"":
            name, _, value = line.decode().partition(": ")
            trailers[name] = value
        record.update(body=body, trailers=trailers)
        self.answer(202)

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection this test cut
            super().finish()

    def log_message(self, *args: Any) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a cut connection is the point of some tests


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    RuntimeApi.next_status, RuntimeApi.cut_after_first_chunk = 200, False
    RuntimeApi.next_headers = {"Lambda-Runtime-Aws-Request-Id": "req-1", "Lambda-Runtime-Deadline-Ms": "0"}
    RuntimeApi.event = json.dumps(
        {"httpMethod": "POST", "resource": "/stream", "body": '{"prompt": "x"}'}
    ).encode()
    RuntimeApi.requests = []
    RuntimeApi.cut = threading.Event()
    sleeps: list[float] = []
    monkeypatch.setattr(lambda_runtime.time, "sleep", sleeps.append)  # any sleep fails the test below
    server = Server(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, args=(POLL_S,), daemon=True).start()
    host, port = server.server_address[0], server.server_address[1]
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", f"{host}:{port}")
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps(CONFIG))
    yield str(host), int(port)
    server.shutdown()
    assert sleeps == [], "the runtime client must not sleep on these paths"


def serve(address: tuple[str, int]) -> None:
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    lambda_runtime.serve_one(lambda: http.client.HTTPConnection(*address, timeout=10), config)


def emf(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def test_a_500_from_next_exits_promptly_and_answers_nothing(
    api: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    RuntimeApi.next_status, RuntimeApi.next_headers = 500, {}
    with pytest.raises(SystemExit) as exit_:
        lambda_runtime.main()
    assert exit_.value.code == 1
    assert [r["path"] for r in RuntimeApi.requests] == ["/2018-06-01/runtime/invocation/next"]
    assert '"event": "runtime-api-failed"' in capsys.readouterr().err


def test_next_without_a_request_id_is_never_answered_at_an_empty_id(api: tuple[str, int]) -> None:
    RuntimeApi.next_headers = {}
    with pytest.raises(RuntimeError, match="without a usable request id"):
        serve(api)
    assert all("//" not in r["path"] for r in RuntimeApi.requests)
    assert [r["method"] for r in RuntimeApi.requests] == ["GET"]


def test_an_event_that_is_not_json_is_an_invocation_error(api: tuple[str, int]) -> None:
    RuntimeApi.event = b"{not json"
    serve(api)
    (_, posted) = RuntimeApi.requests
    assert posted["path"] == "/2018-06-01/runtime/invocation/req-1/error"
    assert posted["headers"]["Lambda-Runtime-Function-Error-Type"] == "Runtime.InvalidEvent"
    assert json.loads(posted["body"])["errorType"] == "Runtime.InvalidEvent"


def test_a_failure_before_the_response_starts_is_posted_to_error_not_response(
    api: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        raise MemoryError("no room")
        yield b""  # a generator, as stream() is

    monkeypatch.setattr(streaming, "stream", broken)
    serve(api)
    paths = [r["path"] for r in RuntimeApi.requests]
    assert paths == ["/2018-06-01/runtime/invocation/next", "/2018-06-01/runtime/invocation/req-1/error"]
    body = json.loads(RuntimeApi.requests[1]["body"])
    assert body == {
        "errorMessage": "MemoryError: no room",
        "errorType": "Runtime.RouterError",
        "stackTrace": [],
    }


class EndlessBody:
    """SageMaker's event stream of a long answer: a part at a time, the second one only once
    the client is gone; records whether the router closed it."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate, self.parts, self.closed = gate, 0, False

    def __iter__(self) -> EndlessBody:
        return self

    def __next__(self) -> dict[str, Any]:
        if self.closed or self.parts >= 100_000:
            raise StopIteration
        if self.parts == 1:
            assert self.gate.wait(5)
        self.parts += 1
        return {"PayloadPart": {"Bytes": CHUNK}}

    def close(self) -> None:
        self.closed = True


def test_a_client_that_goes_away_closes_the_sagemaker_stream_at_once(
    api: tuple[str, int], runtime: FakeRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    RuntimeApi.cut_after_first_chunk = True
    body = EndlessBody(RuntimeApi.cut)
    runtime.answers.append(body)
    serve(api)
    assert body.closed and body.parts < 1000  # closed as soon as a send failed
    (_, posted) = RuntimeApi.requests
    assert "trailers" not in posted  # no trailer written to a closed connection
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    disconnects = [line for line in err.splitlines() if "client-disconnected" in line]
    assert len(disconnects) == 1 and '"request_id": "req-1"' in disconnects[0]
    (line,) = emf(out)
    assert line["StreamFailures"] == 1


def test_a_stream_that_fails_midway_counts_as_a_stream_failure(
    api: tuple[str, int], runtime: FakeRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield from parts(LMI_STREAM[:200], 50)
        raise EventStreamError({"Error": {"Code": "InternalStreamFailure", "Message": "x"}}, "Invoke")

    runtime.answers.append(broken())
    serve(api)
    (_, posted) = RuntimeApi.requests
    assert posted["trailers"] == {}  # an error event in the answer; the response itself completed
    assert b"the answer stopped: InternalStreamFailure" in split_answer(posted["body"])[1]
    (line,) = emf(capsys.readouterr().out)
    assert line["StreamFailures"] == 1


def test_a_crash_midway_is_a_trailer_and_a_stream_failure(
    api: tuple[str, int],
    runtime: FakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def crash(body: Any, ends_at: float | None = None, meter: Any = None) -> Iterator[bytes]:
        yield b"data: {}\n\n"
        raise RuntimeError("boom")

    monkeypatch.setattr(streaming, "events", crash)
    runtime.answers.append([])
    serve(api)
    (_, posted) = RuntimeApi.requests
    assert posted["trailers"]["Lambda-Runtime-Function-Error-Type"] == "Runtime.StreamError"
    (line,) = emf(capsys.readouterr().out)
    assert line["StreamFailures"] == 1


def test_a_whole_answer_is_one_response_and_no_failure(
    api: tuple[str, int], runtime: FakeRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.answers.append(parts(LMI_STREAM, 40))
    serve(api)
    (_, posted) = RuntimeApi.requests
    assert posted["path"] == "/2018-06-01/runtime/invocation/req-1/response"
    assert posted["trailers"] == {}
    (line,) = emf(capsys.readouterr().out)
    assert line["StreamFailures"] == 0
