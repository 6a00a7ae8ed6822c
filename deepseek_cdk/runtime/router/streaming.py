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
the function's exec wrapper (`stream-bootstrap`) starts lambda_runtime.py instead, the
router's own client of the Lambda Runtime API, which posts what stream() writes in streaming
mode as API Gateway expects it: a JSON prelude with the status and headers, eight NUL bytes,
then the body (API Gateway developer guide, response-transfer-mode-lambda). Standard library
and boto3 only.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from botocore.exceptions import EventStreamError

from . import calls, chat_completions, handler, metrics
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

DELIMITER = b"\0" * 8  # between API Gateway's JSON prelude and the streamed body
# The engine may pause between tokens (a long prefill, a full batch): wait this long for the
# next piece before calling the stream broken.
STREAM_READ_TIMEOUT_S = 120
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
    return calls.invoke_tier(
        tier,
        lambda **args: calls.client(
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
    calls.now's clock) is when the answer is cut with an error event, before Lambda would
    stop the function mid-stream. The answer's measurements are written when it ends."""
    if event.get("resource") == CHAT_ROUTE:
        yield from chat_completion(config, event, deadline, ends_at)
        return
    started = calls.now()
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
        yield from buffered(calls.respond(400, {"error": str(err), "field": err.field}))
        return
    except calls.Reply as err:
        yield from buffered(err.response)
        return
    except Exception:  # an answer, not a broken stream, for whatever went wrong before one
        traceback.print_exc()
        yield from buffered(calls.respond(500, {"error": "the router failed; see its logs"}))
        return
    meter = metrics.StreamMeter(started)
    try:
        yield prelude(200, {**SSE_HEADERS, "X-Tier": tier.name})
        yield from events(result["Body"], ends_at, meter)
    except (GeneratorExit, Exception):  # the client went away (close()), or the answer crashed
        meter.error()  # a stream that did not reach [DONE] is a StreamFailure
        raise
    finally:
        calls.measure(config, tier, served_by, meter.values)


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
    started = calls.now()
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
        yield from buffered(calls.respond(400, chat_completions.refusal(err)))
        return
    except calls.Reply as err:
        yield from buffered(chat_completions.reshaped(err.response))
        return
    except Exception:
        traceback.print_exc()
        yield from buffered(
            chat_completions.reshaped(calls.respond(500, {"error": "the router failed; see its logs"}))
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
        calls.measure(config, tier, served_by, meter.values)


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
        now = calls.now()
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
            yield from buffered(calls.respond(502, error))
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
    cut = None if ends_at is None else (lambda: calls.now() > ends_at - CUT_MARGIN_S)
    for item in model_chunks(body, cut=cut, stopped=stream_error):
        if isinstance(item, StreamStop):
            meter.error()
        else:
            with contextlib.suppress(Exception):  # measuring never breaks the answer
                meter.chunk(item[0], calls.now())
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
    meter = meter or metrics.StreamMeter(calls.now())
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
    (calls.model_detail), SageMaker's text names the account and the endpoint's log group.
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


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    """Lambda requires a handler name; the exec wrapper never lets the managed runtime call it."""
    raise RuntimeError("the streaming router runs through its exec wrapper (stream-bootstrap)")
