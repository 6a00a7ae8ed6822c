"""What every route of the router shares: AWS clients, the clock, calls retried within the
time budget, the answers they end in (respond, Reply, busy), the call to a real-time tier
(invoke_tier: which variant or component served it) and the EMF line of each answer served
(measure). Used by handler.py (POST /invoke, GET /models), async_jobs.py (async tiers and
GET /jobs/{id}) and streaming.py (POST /stream, POST /chat/completions). Standard library and
boto3 only.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from . import metrics
from .contract import BUFFERED_SECONDS, MAX_DETAIL_CHARS, STREAM_ROUTE, RouterConfig, Tier

RETRYABLE_CODES = {"ThrottlingException", "ServiceUnavailable", "ModelNotReadyException", "InternalFailure"}
NO_CAPACITY = "no capacity"  # SageMaker's message when an inference component has no copy yet
MIN_CALL_SECONDS = 2.0  # do not start a call with less time than this left
# Lambda answers API Gateway with at most 6 MB of JSON, the body escaped inside it: a result
# whose answer would not fit is returned as a short-lived presigned URL, never cut short.
MAX_RESPONSE_BYTES = 5_500_000
CONNECT_TIMEOUT_S = 3


class Reply(Exception):
    """A call failed for good: answer with `response` (502, or 503 with Retry-After)."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response["statusCode"])
        self.response = response


# Replaced in tests; a real clock and sleep at run time. `now` times requests, `wall` dates
# metrics and async jobs (epoch seconds).
now = time.monotonic
sleep = time.sleep
wall = time.time
_clients: dict[tuple[str, int], Any] = {}
READ_TIMEOUT_S = BUFFERED_SECONDS  # below API Gateway's 29 s, so a slow tier gets a clear 504
STREAM_ADVICE = f"stream long answers with POST {STREAM_ROUTE}, or send them to an async tier"
# What a timeout on an async tier's own calls (S3, SageMaker's queue, Secrets Manager) means:
# not that the answer is long, so never the streaming advice above.
ASYNC_TIMEOUT_ADVICE = "the job was not acknowledged; retry the request"


def client(service: str, read_timeout: int = READ_TIMEOUT_S) -> Any:
    """One client per service and read timeout, created on first use; the router retries,
    botocore does not."""
    if (service, read_timeout) not in _clients:
        _clients[service, read_timeout] = boto3.client(
            service,
            config=BotoConfig(
                retries={"max_attempts": 1, "mode": "standard"},
                read_timeout=read_timeout,
                connect_timeout=CONNECT_TIMEOUT_S,
                signature_version="s3v4" if service == "s3" else None,
            ),
        )
    return _clients[service, read_timeout]


def respond(status: int, body: dict[str, Any], extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(extra_headers or {})},
        "body": json.dumps(body),
    }


def busy(retry_after: int) -> dict[str, Any]:
    return respond(
        503,
        {"error": "the tier is busy or scaling out; retry later", "retry_after_seconds": retry_after},
        {"Retry-After": str(retry_after)},
    )


def model_detail(err: ClientError) -> dict[str, str]:
    """What the serving container itself said (its own error body, shortened), without
    SageMaker's wrapper around it, which names the account and the endpoint's log group."""
    original = str(err.response.get("OriginalMessage") or "").strip()
    return {"detail": original[:MAX_DETAIL_CHARS]} if original else {}


def with_retries(call: Any, deadline: float, timeout_advice: str = STREAM_ADVICE) -> Any:
    """Run `call`; retry throttling and no-capacity errors with full-jitter backoff while the
    time budget allows, then raise Reply(503 with Retry-After). A read timeout is Reply(504)
    with `timeout_advice`; other errors Reply(502)."""
    attempt = 0
    while True:
        try:
            return call()
        except ClientError as err:
            code = err.response["Error"].get("Code", "")
            message = err.response["Error"].get("Message", "")
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            retryable = code in RETRYABLE_CODES or status in (429, 503) or NO_CAPACITY in message.lower()
            if not retryable:
                original = err.response.get("OriginalStatusCode", 0)
                if code == "ModelError" and 400 <= original < 500:
                    # The engine refused the request itself (e.g. longer than the context).
                    raise Reply(
                        respond(
                            400,
                            {"error": "the model refused the request", "field": "body", **model_detail(err)},
                        )
                    ) from None
                if code == "ModelError":
                    raise Reply(
                        respond(502, {"error": "the model failed to answer", **model_detail(err)})
                    ) from None
                raise Reply(respond(502, {"error": f"the tier could not be invoked: {code}"})) from None
        except (ReadTimeoutError, ConnectTimeoutError):
            queued = timeout_advice == ASYNC_TIMEOUT_ADVICE  # S3, the queue or the key: not the model
            who = "the async tier's storage or queue" if queued else "the tier"
            retry = {"Retry-After": "5"} if queued else None
            raise Reply(
                respond(504, {"error": f"{who} did not answer in time; {timeout_advice}"}, retry)
            ) from None
        except BotoCoreError as err:
            raise Reply(
                respond(502, {"error": f"the tier could not be reached: {type(err).__name__}"})
            ) from None
        delay = random.uniform(0, min(4.0, 0.5 * 2**attempt))  # noqa: S311 - jitter, not security
        if now() + delay + MIN_CALL_SECONDS > deadline:
            raise Reply(busy(max(1, int(min(30.0, 2 ** (attempt + 1))))))
        sleep(delay)
        attempt += 1


def measure(
    config: RouterConfig, tier: Tier, served_by: str, values: Callable[[], Mapping[str, float]]
) -> None:
    """Write one EMF line (metrics.emf_line) of `values()` for the version that served the
    request. Never raises: a line that cannot be built or written is dropped, and one log
    line (on stderr) says so. Without a deployment name in the config, writes nothing."""
    try:
        if not config.deployment:
            return
        line = metrics.emf_line(
            deployment=config.deployment,
            tier=tier.name,
            version=tier.version_of(served_by),
            values=values(),
            timestamp_ms=int(wall() * 1000),
        )
        print(line, flush=True)
    except Exception as err:
        with contextlib.suppress(Exception):
            dropped = {"event": "metrics-dropped", "error": type(err).__name__}
            print(json.dumps(dropped), file=sys.stderr, flush=True)


def invoke_tier(
    tier: Tier, call: Callable[..., dict[str, Any]], deadline: float, **retry: Any
) -> tuple[dict[str, Any], str]:
    """`call(**endpoint_args(tier))` with retries (with_retries), and which variant or
    component served it: the component drawn for the attempt that succeeded, else the
    variant SageMaker reports as invoked ("" when it reports none)."""
    chosen: dict[str, Any] = {}

    def attempt() -> dict[str, Any]:
        chosen.clear()
        chosen.update(endpoint_args(tier))
        return call(**chosen)

    result: dict[str, Any] = with_retries(attempt, deadline, **retry)
    served_by = chosen.get("InferenceComponentName") or result.get("InvokedProductionVariant") or ""
    return result, str(served_by)


def read_timeout_until(deadline: float) -> int:
    """Whole seconds left in the budget, so a retried call cannot outlast it (and the
    function's own timeout); at least MIN_CALL_SECONDS, which with_retries keeps free."""
    return max(int(MIN_CALL_SECONDS), min(READ_TIMEOUT_S, int(deadline - now())))


def endpoint_args(tier: Tier) -> dict[str, Any]:
    """Where a real-time request goes: the endpoint and, for inference components, a
    component drawn by the versions' weights."""
    args: dict[str, Any] = {"EndpointName": tier.endpoint, "ContentType": "application/json"}
    if tier.components:
        names, weights = zip(*tier.components, strict=True)
        args["InferenceComponentName"] = random.choices(names, weights=weights)[0]  # noqa: S311
    return args
