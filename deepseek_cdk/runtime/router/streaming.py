"""POST /stream and POST /chat/completions: the model's answer as it writes it, for up to 15 min.

POST /chat/completions is OpenAI's (chat_completion(): server-sent chunks for `stream: true`,
one `chat.completion` for `stream: false`, OpenAI's error object for every refusal and error;
see chat_completions.py). POST /stream is the router's own:

    data: {"object": "chat.completion.chunk", "choices": [{"delta": {"content": "..."}}], ...}
    data: [DONE]

The chunks are the serving container's own (OpenAI chat.completion.chunk; with the
`deepseek_r1` reasoning parser the chain of thought arrives in `delta.reasoning`). The tier
name is in the X-Tier header. A request is checked as on POST /invoke (same body, same tier
choice, same context limit), except that only real-time tiers stream: an async tier is a 400.
Errors before the first byte are ordinary HTTP answers (400, 502, 503 with Retry-After);
an error in the middle of an answer is a last `data: {"error": ...}` event.

Every stream that starts is measured (metrics.StreamMeter) and written as one EMF line when
it ends, however it ends: TimeToFirstToken, TimePerOutputToken, OutputTokens and
StreamFailures, per tier and per version (the variant SageMaker reports as invoked, or the
inference component the router chose).

How it runs: API Gateway invokes this function with InvokeWithResponseStream (integration
response transfer mode STREAM). Lambda's managed Python runtime cannot stream a response, so
the function's exec wrapper (`stream-bootstrap`) starts this module instead, as its own
client of the Lambda Runtime API: it takes each invocation, and posts the answer in
streaming mode (chunked transfer) as API Gateway expects it: a JSON prelude with the status
and headers, eight NUL bytes, then the body (API Gateway developer guide,
response-transfer-mode-lambda). Standard library and boto3 only.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import itertools
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from botocore.exceptions import EventStreamError

from . import chat_completions, handler, metrics
from .contract import (
    CHAT_ROUTE,
    INVOKE_ROUTE,
    JOB_ROUTE,
    MAX_DETAIL_CHARS,
    STREAM_ROUTE,
    BadRequest,
    ChatOptions,
    RouterConfig,
    StreamStop,
    Tier,
    model_chunks,
    stream_error_said,
    within_limit,
)

RUNTIME_API_VERSION = "2018-06-01"
DELIMITER = b"\0" * 8  # between API Gateway's JSON prelude and the streamed body
# The engine may pause between tokens (a long prefill, a full batch): wait this long for the
# next piece before calling the stream broken.
STREAM_READ_TIMEOUT_S = 120
PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
CUT_MARGIN_S = 5  # end the answer this long before the invocation's deadline
# A chat completion that is not streamed (stream: false) is held until it is whole, so that a
# failure is still an HTTP error status. API Gateway closes a streamed response that sends
# nothing for 5 minutes (regional endpoints; API Gateway developer guide, "Stream the
# integration response", considerations): an answer still being written HOLD_S after the
# request came is committed as 200 and kept alive with a newline (JSON allows whitespace before
# its value) at least every KEEPALIVE_S. Both are checked as the model's chunks arrive, at most
# STREAM_READ_TIMEOUT_S apart: 150 + 120 s and 60 + 120 s stay inside the 300 s.
HOLD_S = 150
KEEPALIVE_S = 60
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
ASYNC_ADVICE = f"send it to POST {INVOKE_ROUTE}, then read the result with GET {JOB_ROUTE}"


def open_stream(tier: Tier, body: bytes, deadline: float, timeout_advice: str) -> tuple[dict[str, Any], str]:
    """InvokeEndpointWithResponseStream on `tier` (retried within `deadline`): the answer's
    event stream and the variant or component that serves it."""
    return handler.invoke_tier(
        tier,
        lambda **args: handler.client(
            "sagemaker-runtime", STREAM_READ_TIMEOUT_S
        ).invoke_endpoint_with_response_stream(**args, Accept="application/json", Body=body),
        deadline,
        timeout_advice=timeout_advice,
    )


def stream(
    config: RouterConfig, event: dict[str, Any], deadline: float, ends_at: float | None = None
) -> Generator[bytes, None, None]:
    """The whole HTTP answer to one POST /stream: prelude, delimiter, then the body.

    `deadline` bounds the retries before the first token; `ends_at` (the invocation's end, on
    handler.now's clock) is when the answer is cut with an error event, before Lambda would
    stop the function mid-stream. The answer's measurements are written when it ends."""
    if event.get("resource") == CHAT_ROUTE:
        yield from chat_completion(config, event, deadline, ends_at)
        return
    started = handler.now()
    try:
        request = handler.parse_request(config, event)
        tier = handler.route(config, request, event)
        if tier.queued:
            raise BadRequest("tier", f"tier {tier.name!r} is asynchronous; send it to POST {INVOKE_ROUTE}")
        request = within_limit(
            request,
            limit=tier.stream_max_tokens,
            tier=tier.name,
            route=STREAM_ROUTE,
            otherwise="send longer answers to an async tier",
        )
        result, served_by = open_stream(
            tier, request.model_body(stream=True), deadline, "send long answers to an async tier"
        )
    except BadRequest as err:
        yield from buffered(handler.respond(400, {"error": str(err), "field": err.field}))
        return
    except handler.Reply as err:
        yield from buffered(err.response)
        return
    except Exception:  # an answer, not a broken stream, for whatever went wrong before one
        traceback.print_exc()
        yield from buffered(handler.respond(500, {"error": "the router failed; see its logs"}))
        return
    meter = metrics.StreamMeter(started)
    try:
        yield prelude(200, {**SSE_HEADERS, "X-Tier": tier.name})
        yield from events(result["Body"], ends_at, meter)
    except (GeneratorExit, Exception):  # the client went away (close()), or the answer crashed
        meter.error()  # a stream that did not reach [DONE] is a StreamFailure
        raise
    finally:
        handler.measure(config, tier, served_by, meter.values)


def chat_completion(
    config: RouterConfig, event: dict[str, Any], deadline: float, ends_at: float | None = None
) -> Generator[bytes, None, None]:
    """The whole HTTP answer to one POST /chat/completions (OpenAI's request and answers:
    contract.parse_chat_completion, chat_completions). The tier is `model` (or, for `auto`,
    the X-Request-Type header, the rules, the default tier), real-time only: an async tier is a
    400 naming the jobs route. The engine is always asked to stream, with usage, so a
    completion that is not streamed is measured like a stream (TTFT, TPOT, output tokens) and
    is limited by the 15-minute stream, not the 25-s buffered budget. Every refusal and error
    before the answer starts is OpenAI's error object with its HTTP status."""
    started = handler.now()
    options = ChatOptions()
    try:
        request, options = handler.parse_chat_request(config, event)
        tier = handler.route(config, request, event)
        if tier.queued:
            chosen = "" if request.tier else f" (chosen for model {'auto'!r} by the router's rules)"
            raise BadRequest("model", f"tier {tier.name!r} is asynchronous{chosen}: {ASYNC_ADVICE}")
        request = within_limit(
            request,
            limit=tier.stream_max_tokens,
            tier=tier.name,
            route=CHAT_ROUTE,
            otherwise=f"send longer answers to an async tier ({ASYNC_ADVICE})",
        )
        result, served_by = open_stream(
            tier,
            request.model_body(stream=True, include_usage=True),
            deadline,
            "stream the answer (stream: true), or send it to an async tier",
        )
    except BadRequest as err:
        if err.field == "max_tokens":  # the length's field as the client named it
            err.field = options.tokens_field
        yield from buffered(handler.respond(400, chat_completions.refusal(err)))
        return
    except handler.Reply as err:
        yield from buffered(chat_completions.reshaped(err.response))
        return
    except Exception:
        traceback.print_exc()
        yield from buffered(
            chat_completions.reshaped(handler.respond(500, {"error": "the router failed; see its logs"}))
        )
        return
    meter = metrics.StreamMeter(started)
    try:
        if options.stream:
            yield prelude(200, {**SSE_HEADERS, "X-Tier": tier.name})
            yield from events(
                result["Body"],
                ends_at,
                meter,
                shape=lambda chunk: chat_completions.shaped_chunk(
                    chunk, model=tier.name, include_usage=options.include_usage
                ),
            )
        else:
            yield from whole(result["Body"], ends_at, meter, tier.name, started)
    except (GeneratorExit, Exception):
        meter.error()
        raise
    finally:
        handler.measure(config, tier, served_by, meter.values)


def whole(
    body: Iterable[dict[str, Any]],
    ends_at: float | None,
    meter: metrics.StreamMeter,
    model: str,
    started: float,
) -> Iterator[bytes]:
    """A `chat.completion` in one JSON body, assembled from the engine's stream. Held until
    whole (a failure is then a 502 with OpenAI's error object), or, past HOLD_S, committed as
    200 and kept alive until whole (a failure is then the error object as the body)."""
    completion = chat_completions.Completion(model)
    committed: float | None = None  # when the 200 prelude, or the last keep-alive, was sent
    failure: Failure | None = None
    items = chunks(body, ends_at, meter)
    for item in items:
        if isinstance(item, Failure):
            failure = item
            items.close()  # closes SageMaker's stream
            break
        completion.add(item[0])
        now = handler.now()
        if committed is None and now - started > HOLD_S:
            yield prelude(200, {"Content-Type": "application/json", "X-Tier": model})
            committed = now
        elif committed is not None and now - committed > KEEPALIVE_S:
            yield b"\n"
            committed = now
    if failure is not None:
        error = chat_completions.error_object(
            failure.message, type=chat_completions.SERVER_ERROR, code=failure.kind
        )
        if committed is None:
            yield from buffered(handler.respond(502, error))
        else:
            yield json.dumps(error).encode()
        return
    if committed is None:
        yield prelude(200, {"Content-Type": "application/json", "X-Tier": model})
    yield json.dumps(completion.body()).encode()


Failure = StreamStop  # why an answer stopped early (contract.model_chunks)


def failure_event(failure: StreamStop) -> bytes:
    """The last event of a stream that stopped early: OpenAI's error object."""
    return sse(chat_completions.error_object(failure.message, type=failure.kind, code=failure.kind))


def chunks(
    body: Iterable[dict[str, Any]], ends_at: float | None, meter: metrics.StreamMeter
) -> Generator[tuple[Any, bytes | None] | Failure, None, None]:
    """The chunks of SageMaker's event stream (contract.model_chunks), cut CUT_MARGIN_S before
    `ends_at`. The meter sees every chunk and every failure."""
    cut = None if ends_at is None else (lambda: handler.now() > ends_at - CUT_MARGIN_S)
    for item in model_chunks(body, cut=cut, stopped=stream_error):
        if isinstance(item, StreamStop):
            meter.error()
        else:
            with contextlib.suppress(Exception):  # measuring never breaks the answer
                meter.chunk(item[0], handler.now())
        yield item


def events(
    body: Iterable[dict[str, Any]],
    ends_at: float | None = None,
    meter: metrics.StreamMeter | None = None,
    shape: Callable[[Any], Any] | None = None,
) -> Iterator[bytes]:
    """Server-sent events of the model's chunks (chunks()), then `[DONE]`; whatever stops the
    stream is an error event (OpenAI's error object) before it, so a client never sees an
    answer simply stop. A chunk is passed on as the container wrote it, re-written (with null)
    when it held NaN or Infinity, which a client's JSON parser refuses (decode_model_json);
    `shape` (if given) re-writes each chunk, or leaves it out by returning None."""
    meter = meter or metrics.StreamMeter(handler.now())
    for item in chunks(body, ends_at, meter):
        if isinstance(item, Failure):
            yield failure_event(item)
            continue
        chunk, raw = item
        if shape is not None:
            chunk = shape(chunk)
            if chunk is not None:
                yield sse(chunk)
        else:
            yield sse(chunk) if raw is None else b"data: " + raw + b"\n\n"
    yield b"data: [DONE]\n\n"


def stream_error(err: Exception) -> str:
    """What a client is told of a stream that broke: the error's code (ModelStreamError,
    InternalStreamFailure), and its message only when that is a bare code such as
    ModelInvocationTimeExceeded (botocore's event-stream parser keeps Code and Message, nothing
    else). Any other message is withheld: like the wrapper the buffered path strips
    (handler.model_detail), SageMaker's text names the account and the endpoint's log group.
    It goes to the function's own log, once."""
    if isinstance(err, EventStreamError):
        error = err.response.get("Error", {})
        code, message = str(error.get("Code") or ""), str(error.get("Message") or "")
        logged = {"event": "stream-error", "code": code, "message": message[:MAX_DETAIL_CHARS]}
        print(json.dumps(logged), file=sys.stderr, flush=True)
        return stream_error_said(code, message)
    return type(err).__name__


def sse(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def prelude(status: int, headers: dict[str, str]) -> bytes:
    return json.dumps({"statusCode": status, "headers": headers}).encode() + DELIMITER


def buffered(response: dict[str, Any]) -> Iterator[bytes]:
    """A whole answer (an error before any token) in the streaming format."""
    yield prelude(response["statusCode"], response["headers"])
    yield response["body"].encode()


# ---------------------------------------------------------------------------------------
# The Lambda Runtime API client (docs: runtimes-api, runtimes-custom "response streaming")

Connect = Callable[[], http.client.HTTPConnection]
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RuntimeApiFailed(Exception):
    """The Runtime API answered 500: "Container error. Non-recoverable state. Runtime should
    exit promptly." (Lambda developer guide, runtimes-api, and its OpenAPI specification)."""


def log(event: str, **fields: Any) -> None:
    """One JSON line on stderr (the function's log): the runtime client's own events."""
    print(json.dumps({"event": event, **fields}), file=sys.stderr, flush=True)


def _checked(reply: http.client.HTTPResponse, path: str) -> None:
    if reply.status >= 500:
        raise RuntimeApiFailed(f"{path} answered HTTP {reply.status}")


def serve_one(connect: Connect, config: RouterConfig) -> None:
    """Take the next invocation and stream its answer back.

    The Runtime API's contract (Lambda developer guide: runtimes-api; runtimes-custom,
    "response streaming"), as this client holds it:
    - GET /runtime/invocation/next: a 500 means exit promptly (RuntimeApiFailed, which
      main() turns into an exit); any other answer than 200, or one without a request id,
      is never answered with `/invocation//response`.
    - A failure before the response starts (an event that is not JSON, a crash before the
      first byte) is posted to /runtime/invocation/{id}/error, with
      Lambda-Runtime-Function-Error-Type, not as a response.
    - The answer is POSTed to /runtime/invocation/{id}/response in streaming mode (chunked,
      Lambda-Runtime-Function-Response-Mode: streaming); a failure midway is reported in the
      trailers Lambda-Runtime-Function-Error-Type and -Body.
    - When the connection breaks while sending (the client went away), the SageMaker stream
      is closed at once (no more tokens are paid for), no trailer is written (there is no
      one to read it), nothing sleeps, and one log line says so; the stream counts as a
      StreamFailure (stream())."""
    conn = connect()
    conn.request("GET", f"/{RUNTIME_API_VERSION}/runtime/invocation/next")
    reply = conn.getresponse()
    raw = reply.read()
    conn.close()
    _checked(reply, "/runtime/invocation/next")
    request_id = reply.getheader("Lambda-Runtime-Aws-Request-Id", "")
    if reply.status != 200 or not _REQUEST_ID.fullmatch(request_id):
        raise RuntimeError(
            f"/runtime/invocation/next answered HTTP {reply.status} without a usable request id"
        )
    deadline_ms = int(reply.getheader("Lambda-Runtime-Deadline-Ms", "0") or 0)
    os.environ["_X_AMZN_TRACE_ID"] = reply.getheader("Lambda-Runtime-Trace-Id", "")
    try:
        event = json.loads(raw)
    except ValueError as err:
        post_error(
            connect, request_id, "Runtime.InvalidEvent", f"the event is not JSON: {type(err).__name__}"
        )
        return

    # Seconds left in this invocation, on the router's own clock (handler.now).
    left = deadline_ms / 1000 - time.time() if deadline_ms else None
    budget = config.time_budget_seconds if left is None else min(config.time_budget_seconds, left - 1)
    start = handler.now()
    deadline, ends_at = start + budget, (None if left is None else start + left)
    pieces = stream(config, event, deadline, ends_at)
    try:
        first = next(pieces)
    except Exception as err:  # nothing sent yet: an invocation error, not a broken response
        post_error(connect, request_id, "Runtime.RouterError", f"{type(err).__name__}: {err}"[:500])
        return

    conn = connect()
    conn.putrequest("POST", f"/{RUNTIME_API_VERSION}/runtime/invocation/{request_id}/response")
    conn.putheader("Content-Type", PRELUDE_CONTENT_TYPE)
    conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
    trailers = b""
    try:
        conn.endheaders()
        for piece in itertools.chain([first], pieces):
            if piece:
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    except OSError as err:  # the connection broke: the client is gone
        pieces.close()  # closes SageMaker's stream (events' finally), counts the failure
        conn.close()
        log("client-disconnected", request_id=request_id, error=type(err).__name__)
        return
    except Exception as err:
        pieces.close()
        body = base64.b64encode(
            json.dumps({"errorMessage": str(err), "errorType": type(err).__name__}).encode()
        )
        trailers = b"Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n"
        trailers += b"Lambda-Runtime-Function-Error-Body: " + body + b"\r\n"
        log("stream-crashed", request_id=request_id, error=type(err).__name__, message=str(err)[:500])
    try:
        conn.send(b"0\r\n" + trailers + b"\r\n")
        reply = conn.getresponse()
        reply.read()
    except OSError as err:
        log("client-disconnected", request_id=request_id, error=type(err).__name__)
        return
    finally:
        conn.close()
    _checked(reply, "/runtime/invocation/{id}/response")
    if reply.status >= 300:
        log("response-refused", request_id=request_id, status=reply.status)


def post_error(connect: Connect, request_id: str, error_type: str, message: str) -> None:
    """Report an invocation that failed before its response started
    (POST /runtime/invocation/{id}/error)."""
    conn = connect()
    try:
        conn.request(
            "POST",
            f"/{RUNTIME_API_VERSION}/runtime/invocation/{request_id}/error",
            body=json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": []}),
            headers={"Lambda-Runtime-Function-Error-Type": error_type, "Content-Type": "application/json"},
        )
        reply = conn.getresponse()
        reply.read()
    finally:
        conn.close()
    log("invocation-error", request_id=request_id, error_type=error_type, message=message)
    _checked(reply, "/runtime/invocation/{id}/error")


def main() -> None:
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(api, timeout=None)

    try:
        config = RouterConfig.from_json(os.environ["ROUTER_CONFIG"])
    except Exception as err:
        conn = connect()
        conn.request(
            "POST",
            f"/{RUNTIME_API_VERSION}/runtime/init/error",
            body=json.dumps({"errorMessage": str(err), "errorType": type(err).__name__}),
            headers={"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigError"},
        )
        conn.getresponse().read()
        raise
    while True:
        try:
            serve_one(connect, config)
        except RuntimeApiFailed as err:  # the Runtime API says: exit promptly
            log("runtime-api-failed", error=str(err))
            sys.exit(1)
        except Exception:  # keep serving: a crash would cost the next request a cold start
            traceback.print_exc()
            time.sleep(1)


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    """Lambda requires a handler name; the exec wrapper never lets the managed runtime call it."""
    raise RuntimeError("the streaming router runs through its exec wrapper (stream-bootstrap)")


if __name__ == "__main__":
    main()
