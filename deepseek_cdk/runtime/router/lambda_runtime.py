"""The streaming function's own Lambda Runtime API client (Lambda developer guide: runtimes-api;
runtimes-custom, "response streaming"). Lambda's managed Python runtime cannot stream a
response, so the function's exec wrapper (`stream-bootstrap`) runs this module instead
(`python3 -m router.lambda_runtime`): it takes each invocation, and posts the answer that
streaming.stream() writes in streaming mode (chunked transfer), as API Gateway expects it.
Standard library only.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from . import calls, streaming
from .contract import RouterConfig

RUNTIME_API_VERSION = "2018-06-01"
PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"

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
      StreamFailure (streaming.stream())."""
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

    # Seconds left in this invocation, on the router's own clock (calls.now).
    left = deadline_ms / 1000 - time.time() if deadline_ms else None
    budget = config.time_budget_seconds if left is None else min(config.time_budget_seconds, left - 1)
    start = calls.now()
    deadline, ends_at = start + budget, (None if left is None else start + left)
    pieces = streaming.stream(config, event, deadline, ends_at)
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


if __name__ == "__main__":
    main()
