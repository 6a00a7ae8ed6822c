"""Request router: picks a tier for each request and invokes it (Lambda, API Gateway proxy).

POST /invoke   {"prompt": "..." | "messages": [...], "max_tokens": 512, "tier": "chat",
                "parameters": {"temperature": 0.6, ...}}   (see contract.py)
               -> 200 chat completion (OpenAI schema) + "tier", from a real-time or
                  inference-component tier, for answers short enough to finish in 25 s
               -> 202 {"tier", "job_id", "status": "pending"} from an async tier
GET /jobs/{id} -> 200 {"status": "pending" | "done" | "failed", ...}
GET /models    -> 200 the tiers POST /chat/completions serves, in OpenAI's list shape
POST /stream and POST /chat/completions (OpenAI's chat completions, streamed or not) are
served by streaming.py (up to 15 minutes).

A buffered answer that stopped at the route's limit (finish_reason "length" with max_tokens
at the tier's buffered_max_tokens) says so in a top-level `truncated` field naming
POST /stream, which carries longer answers.

The tier is, in order: the `tier` field, the X-Request-Type header, the first matching rule
(max_tokens at least N, prompt length at least N characters, a regular expression on the
last user message), the default tier. Bad requests get 400 with {"error", "field"} and reach
no endpoint: among them a prompt plus max_tokens beyond the tier's context, and, here, a
real-time answer longer than the tier can write in 25 s (stream it, or use an async tier).
Throttling and "no capacity" answers are retried with jittered backoff inside the time
budget, then answered 503 with Retry-After. An async request is written to S3 first and
acknowledged only once SageMaker has accepted it.

Measurements (metrics.py): every answer served is timed per tier and per version and
written to the log as an EMF line: AnswerLatency and OutputTokens for buffered answers,
JobCompletionTime for async jobs. The version is the one whose variant SageMaker reports as
invoked (InvokedProductionVariant), or whose inference component the router chose, by the
config's `versions` of the tier. Measuring never breaks a request.

Configuration: the ROUTER_CONFIG environment variable (JSON, written by the RequestRouter
construct). Standard library and boto3 only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from . import chat_completions, metrics
from .contract import (
    AUTO_MODEL,
    BUFFERED_SECONDS,
    COMPLETION_METRIC,
    INVOKE_ROUTE,
    JOB_ROUTE,
    MAX_DETAIL_CHARS,
    MODELS_ROUTE,
    STREAM_ROUTE,
    BadRequest,
    ChatOptions,
    ChatRequest,
    ModelOutputError,
    RouterConfig,
    Tier,
    decode_json,
    decode_model_json,
    fits_context,
    parse_body,
    parse_chat_completion,
    within_limit,
)
from .jobs import sign_job, verify_job
from .patterns import search_within

RETRYABLE_CODES = {"ThrottlingException", "ServiceUnavailable", "ModelNotReadyException", "InternalFailure"}
NO_CAPACITY = "no capacity"  # SageMaker's message when an inference component has no copy yet
MIN_CALL_SECONDS = 2.0  # do not start a call with less time than this left
# Lambda answers API Gateway with at most 6 MB of JSON, the body escaped inside it: a result
# whose answer would not fit is returned as a short-lived presigned URL, never cut short.
MAX_RESPONSE_BYTES = 5_500_000
RESULT_URL_SECONDS = 900
CONNECT_TIMEOUT_S = 3
ASYNC_INVOCATION_TIMEOUT_S = 3600  # SageMaker's maximum: a 32K-token reasoning run can take 20+ minutes


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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = now()
    config = RouterConfig.from_json(os.environ["ROUTER_CONFIG"])
    remaining = context.get_remaining_time_in_millis() / 1000 - 1 if context else config.time_budget_seconds
    deadline = now() + min(config.time_budget_seconds, remaining)
    try:
        if not isinstance(event, dict):  # a direct invoke with a list or a string
            raise BadRequest("event", "must be an API Gateway proxy event (a JSON object)")
        if event.get("httpMethod") == "GET" and event.get("resource") == JOB_ROUTE:
            job_id = (event.get("pathParameters") or {}).get("id") or ""
            return job_status(config, job_id, deadline)
        if event.get("httpMethod") == "POST" and event.get("resource") == INVOKE_ROUTE:
            return invoke(config, event, deadline, started)
        if event.get("httpMethod") == "GET" and event.get("resource") == MODELS_ROUTE:
            tiers = [(tier.name, tier.queued) for tier in config.tiers.values()]
            return respond(200, chat_completions.models_list(tiers, config.deployment))
        return respond(404, {"error": "no such route", "field": "path"})
    except BadRequest as err:
        return respond(400, {"error": str(err), "field": err.field})
    except Reply as err:
        return err.response


def invoke(config: RouterConfig, event: dict[str, Any], deadline: float, started: float) -> dict[str, Any]:
    request = parse_request(config, event)
    tier = route(config, request, event)
    if tier.queued:
        return submit_async(config, tier, request.model_body(), deadline)
    request = within_limit(
        request,
        limit=tier.buffered_max_tokens,
        tier=tier.name,
        route=INVOKE_ROUTE,
        otherwise=STREAM_ADVICE,
    )
    return invoke_realtime(config, tier, request, deadline, started)


def route(config: RouterConfig, request: ChatRequest, event: dict[str, Any]) -> Tier:
    """The tier for a valid request, once the request is known to fit its context."""
    tier = config.tiers[choose_tier(config, request, headers(event))]
    fits_context(request, context_tokens=tier.context_tokens, tier=tier.name)
    return tier


def parse_request(config: RouterConfig, event: dict[str, Any]) -> ChatRequest:
    """The event's body, checked (POST /invoke and /stream)."""
    request = parse_body(read_body(config, event))
    if request.tier is not None and request.tier not in config.tiers:
        raise BadRequest("tier", f"unknown tier {request.tier!r}; tiers: {', '.join(config.tiers)}")
    return request


def parse_chat_request(config: RouterConfig, event: dict[str, Any]) -> tuple[ChatRequest, ChatOptions]:
    """The event's body as OpenAI's chat-completion request (POST /chat/completions):
    `model` must be a tier of this router or AUTO_MODEL."""
    request, options = parse_chat_completion(read_body(config, event))
    if request.tier is not None and request.tier not in config.tiers:
        raise BadRequest(
            "model",
            f"unknown model {request.tier!r}; models: {', '.join([*config.tiers, AUTO_MODEL])} "
            f"(GET {MODELS_ROUTE})",
            code="model_not_found",
        )
    return request, options


def read_body(config: RouterConfig, event: dict[str, Any]) -> Any:
    """The event's body as JSON (contract.decode_json): API Gateway always passes it as text
    (JSON, or base64 of it); a direct invoke may pass anything, and only text is read."""
    raw = event.get("body") or ""
    if not isinstance(raw, str):
        raise BadRequest("body", f"must be the request's JSON as text (got a JSON {type(raw).__name__})")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except ValueError:  # binascii.Error, non-ASCII text, UnicodeDecodeError
            raise BadRequest("body", "not valid base64-encoded UTF-8") from None
    try:
        size = len(raw.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: text no client can have sent as UTF-8
        raise BadRequest("body", "not valid UTF-8 text (a lone surrogate)") from None
    if size > config.max_body_bytes:
        raise BadRequest("body", f"larger than {config.max_body_bytes} bytes")
    return decode_json(raw)


def headers(event: dict[str, Any]) -> dict[str, str]:
    given = event.get("headers")
    if not isinstance(given, dict):
        return {}
    return {k.lower(): v for k, v in given.items() if isinstance(k, str) and isinstance(v, str)}


def choose_tier(config: RouterConfig, request: ChatRequest, request_headers: dict[str, str]) -> str:
    if request.tier:
        return request.tier
    by_header = request_headers.get("x-request-type")
    if by_header:
        if by_header not in config.tiers:
            raise BadRequest(
                "X-Request-Type", f"unknown tier {by_header!r}; tiers: {', '.join(config.tiers)}"
            )
        return by_header
    for rule in config.rules:
        if matches(rule, request):
            return str(rule["tier"])
    return config.default_tier


def matches(rule: dict[str, Any], request: ChatRequest) -> bool:
    """A rule matches when every condition it states holds: prompt length counts every
    message; a regular expression searches the start of the last user message, within a
    deadline (patterns.py): a search that runs out of time is no match, and is logged."""
    checks = []
    if "max_tokens_at_least" in rule:
        checks.append(request.max_tokens >= rule["max_tokens_at_least"])
    if "prompt_chars_at_least" in rule:
        checks.append(request.prompt_chars >= rule["prompt_chars_at_least"])
    if "prompt_matches" in rule:
        found = search_within(rule["prompt_matches"], request.last_user_text)
        if found is None:
            print(json.dumps({"event": "rule-search-out-of-time", "pattern": rule["prompt_matches"]}))
        checks.append(bool(found))
    return bool(checks) and all(checks)


def invoke_realtime(
    config: RouterConfig, tier: Tier, request: ChatRequest, deadline: float, started: float
) -> dict[str, Any]:
    payload = request.model_body()
    result, served_by = invoke_tier(
        tier,
        lambda **args: client("sagemaker-runtime", read_timeout_until(deadline)).invoke_endpoint(
            **args, Accept="application/json", Body=payload
        ),
        deadline,
    )
    body = read_answer(result["Body"], tier)
    try:
        completion, _ = decode_model_json(body)  # NaN and Infinity come back as null
    except ModelOutputError:
        completion = None
    if not isinstance(completion, dict) or "choices" not in completion:
        raise Reply(respond(502, {"error": "the model's answer is not a chat completion", "tier": tier.name}))
    latency_s = now() - started
    answer = {"tier": tier.name, **completion}
    cut = truncation(tier, request, completion)
    if cut is not None:
        answer["truncated"] = cut
    response = respond(200, answer)
    if len(json.dumps(response)) > MAX_RESPONSE_BYTES:  # escaping can grow it past the read's size
        raise Reply(too_large(tier))
    measure(config, tier, served_by, lambda: metrics.answer_values(completion, latency_s))
    return response


def read_answer(body: Any, tier: Tier) -> bytes:
    """The model's whole answer, read within the same error handling as the call: botocore
    reads the body only now, so a read timeout (ReadTimeoutError) or a connection cut
    mid-answer (ResponseStreamingError, IncompleteReadError: botocore.response.StreamingBody)
    happens here, after invoke_endpoint returned. A timeout is 504, like the call's own; a
    cut is 502 with Retry-After (the tier answered; the network did not carry it). An answer
    longer than a buffered Lambda response can carry (6 MB for a synchronous invocation:
    Lambda API reference, Invoke) is a 502 that says so, where API Gateway would otherwise
    answer its own bare 502."""
    try:
        data: bytes = body.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            with contextlib.suppress(Exception):
                body.close()  # not read to the end: give the connection back
            raise Reply(too_large(tier))
        return data
    except (ReadTimeoutError, ConnectTimeoutError):
        raise Reply(
            respond(
                504,
                {"error": f"the tier did not finish its answer in time; {STREAM_ADVICE}", "tier": tier.name},
            )
        ) from None
    except (BotoCoreError, OSError) as err:
        print(json.dumps({"event": "answer-read-failed", "tier": tier.name, "error": type(err).__name__}))
        raise Reply(
            respond(
                502,
                {
                    "error": "the connection to the tier broke while reading its answer; retry",
                    "tier": tier.name,
                },
                {"Retry-After": "1"},
            )
        ) from None


def too_large(tier: Tier) -> dict[str, Any]:
    return respond(
        502,
        {
            "error": f"the answer is larger than the {MAX_RESPONSE_BYTES:,} bytes a POST {INVOKE_ROUTE} "
            f"answer can carry (Lambda's 6 MB response limit); ask for fewer max_tokens or use "
            f"POST {STREAM_ROUTE}",
            "tier": tier.name,
        },
    )


def truncation(tier: Tier, request: ChatRequest, completion: dict[str, Any]) -> dict[str, Any] | None:
    """Why the answer stopped at POST /invoke's limit, and where a longer one goes: for an
    answer the engine cut at max_tokens ("length") when max_tokens is the tier's
    buffered_max_tokens (a default lowered to it, or asked for); None otherwise (the answer
    ended, or stopped at a smaller max_tokens the client chose)."""
    choices = completion.get("choices")
    cut = isinstance(choices, list) and any(
        isinstance(c, dict) and c.get("finish_reason") == "length" for c in choices
    )
    if not cut or request.max_tokens != tier.buffered_max_tokens:
        return None
    why = (
        f"POST {INVOKE_ROUTE} lowered the default max_tokens to {tier.buffered_max_tokens}"
        if not request.max_tokens_given
        else f"max_tokens {tier.buffered_max_tokens} is POST {INVOKE_ROUTE}'s limit"
    )
    return {
        "reason": f"{why}, the longest answer tier {tier.name!r} writes within {BUFFERED_SECONDS} s",
        "max_tokens": tier.buffered_max_tokens,
        "stream_with": f"POST {STREAM_ROUTE}",
    }


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


def submit_async(config: RouterConfig, tier: Tier, payload: bytes, deadline: float) -> dict[str, Any]:
    """Store the request, submit it, answer 202 with a signed job id. Every call reads for no
    longer than the budget left, so the answer comes inside API Gateway's 29 s.

    The job id can never be lost once SageMaker has queued the job: everything that could
    fail is done before (the signing key is read, the request stored), and the result's key
    is known before the call. The router names the result itself with InvokeEndpointAsync's
    `Filename` ("the filename for the inference response payload stored in Amazon S3";
    SageMaker Runtime API reference, InvokeEndpointAsync, and botocore's sagemaker-runtime
    model; added 2026-02-20) and sends the same id as `InferenceId`, so the result is
    `<the tier's S3OutputPath>/<Filename>`, which is `responses_prefix + Filename`.
    SageMaker's OutputLocation, when it answers one, is used as given; an answer without it
    still gets a job id (and one log line). FailureLocation has no such parameter: without it
    the id has no failure key, and a failed job reads as pending until the result expires."""
    key = job_key(config, deadline)
    job_name = uuid.uuid4().hex  # 32 characters: Filename's maximum, InferenceId takes 64
    request_key = f"{tier.requests_prefix}{job_name}.json"
    with_retries(
        lambda: client("s3", read_timeout_until(deadline)).put_object(
            Bucket=tier.bucket, Key=request_key, Body=payload, ContentType="application/json"
        ),
        deadline,
        timeout_advice=ASYNC_TIMEOUT_ADVICE,
    )
    accepted = with_retries(
        lambda: client("sagemaker-runtime", read_timeout_until(deadline)).invoke_endpoint_async(
            EndpointName=tier.endpoint,
            ContentType="application/json",
            InputLocation=f"s3://{tier.bucket}/{request_key}",
            InvocationTimeoutSeconds=ASYNC_INVOCATION_TIMEOUT_S,
            InferenceId=job_name,
            Filename=job_name,
        ),
        deadline,
        timeout_advice=ASYNC_TIMEOUT_ADVICE,
    )
    output_key = s3_key(str(accepted.get("OutputLocation") or ""))
    if not output_key.startswith(tier.responses_prefix):
        print(
            json.dumps(
                {"event": "async-output-location-missing", "tier": tier.name, "inference_id": job_name}
            )
        )
        output_key = f"{tier.responses_prefix}{job_name}"
    failure_key = s3_key(str(accepted.get("FailureLocation") or ""))
    job: dict[str, str | int] = {
        "t": tier.name,
        "o": output_key,
        "f": failure_key if failure_key.startswith(tier.failures_prefix) else "",
        "a": int(wall()),
    }
    return respond(202, {"tier": tier.name, "job_id": sign_job(job, key), "status": "pending"})


_job_keys: dict[str, bytes] = {}


HANDLER = "router.handler.handler"  # Lambda's _HANDLER for this module (RequestRouter sets it)
MIN_JOB_KEY_CHARS = 32  # 256 bits of HMAC-SHA256 key at 8 bits a character; the router's has 64


class UnusableJobKey(Exception):
    """The job-key secret holds no usable key: binary, empty or too short."""


def job_key(config: RouterConfig, deadline: float) -> bytes:
    """The deployment's job-id signing key, read once per function instance (at start-up, see
    load_job_key_at_start). A secret that holds no usable key is refused: 502 naming the
    cause in one log line, never a KeyError or an id signed with an empty key."""
    if not config.job_key_secret:
        raise Reply(respond(502, {"error": "the router has no job-id key; redeploy the router"}))
    if config.job_key_secret not in _job_keys:
        secret = with_retries(
            lambda: client("secretsmanager", read_timeout_until(deadline)).get_secret_value(
                SecretId=config.job_key_secret
            ),
            deadline,
            timeout_advice=ASYNC_TIMEOUT_ADVICE,
        )
        try:
            _job_keys[config.job_key_secret] = usable_job_key(secret)
        except UnusableJobKey as err:
            print(json.dumps({"event": "job-key-refused", "reason": str(err)}), file=sys.stderr, flush=True)
            raise Reply(
                respond(502, {"error": "the router's job-id key is unusable; see its logs"})
            ) from None
    return _job_keys[config.job_key_secret]


def usable_job_key(secret: Mapping[str, Any]) -> bytes:
    """The key in a GetSecretValue answer: SecretString, at least MIN_JOB_KEY_CHARS long.
    GetSecretValue answers SecretBinary instead for a secret stored as binary (Secrets
    Manager API reference, GetSecretValue), which the router never writes."""
    text = secret.get("SecretString")
    if not isinstance(text, str):
        raise UnusableJobKey("the job-key secret is stored as binary (SecretBinary); store it as text")
    if len(text.strip()) < MIN_JOB_KEY_CHARS:
        raise UnusableJobKey(
            f"the job-key secret holds {len(text.strip())} characters; it needs at least {MIN_JOB_KEY_CHARS}"
        )
    return text.encode()


def load_job_key_at_start(environ: Mapping[str, str]) -> None:
    """Read the job key while the function starts (Lambda's init phase), so a secret that holds
    no usable key stops the function from starting, with its reason in the log, instead of
    failing on the first async request. A read that fails for another reason (throttling, a
    timeout) is left to the first request, which retries it."""
    if environ.get("_HANDLER") != HANDLER or "ROUTER_CONFIG" not in environ:
        return  # not the buffered function in Lambda (the streaming function, tests, tools)
    config = RouterConfig.from_json(environ["ROUTER_CONFIG"])
    if not config.job_key_secret:
        return
    try:
        secret = client("secretsmanager", 5).get_secret_value(SecretId=config.job_key_secret)
    except (ClientError, BotoCoreError) as err:
        print(
            json.dumps({"event": "job-key-deferred", "error": type(err).__name__}),
            file=sys.stderr,
            flush=True,
        )
        return
    try:
        _job_keys[config.job_key_secret] = usable_job_key(secret)
    except UnusableJobKey as err:
        print(json.dumps({"event": "job-key-refused", "reason": str(err)}), file=sys.stderr, flush=True)
        raise


def job_status(config: RouterConfig, job_id: str, deadline: float) -> dict[str, Any]:
    """The job's status and result. A done job's JobCompletionTime (its result's
    LastModified - the acceptance time in its id) is written on every read that finds it
    done: the router keeps no state to know the first. A repeated read repeats the same
    value (both times are fixed per job), so it weighs that job more in the p90 but never
    adds a longer time; clients stop polling once a job is done."""
    if not any(tier.queued for tier in config.tiers.values()):
        return respond(404, {"error": "this router has no async tier, so no jobs", "field": "path"})
    tier, output_key, failure_key, accepted = verify_job(config, job_id, job_key(config, deadline))
    done = read_result(tier, output_key, "result", deadline)
    if done is not None:
        answer, written = done
        if written is not None:
            measure(config, tier, "", lambda: {COMPLETION_METRIC: max(0.0, written - accepted) * 1000})
        return respond(200, {"status": "done", **answer})
    failed = read_result(tier, failure_key, "error", deadline) if failure_key else None
    if failed is not None:
        return respond(200, {"status": "failed", **failed[0]})
    return respond(200, {"status": "pending", "tier": tier.name})


def read_result(
    tier: Tier, key: str, field: str, deadline: float
) -> tuple[dict[str, Any], float | None] | None:
    """`{"tier", field: the object's content}` (JSON when it parses), or, when that answer
    would pass Lambda's response limit, `{"tier", field + "_url": a presigned GET URL valid
    for RESULT_URL_SECONDS, field + "_bytes"}`, with when the object was written (epoch
    seconds, None if S3 does not say); None while the object does not exist. S3 failures
    are answers: 503 with Retry-After when S3 is busy or slow, 502 otherwise."""
    try:
        obj = client("s3", read_timeout_until(deadline)).get_object(Bucket=tier.bucket, Key=key)
        modified = obj.get("LastModified")
        written = modified.timestamp() if isinstance(modified, datetime) else None
        size = int(obj.get("ContentLength", 0))
        data: bytes | None = obj["Body"].read() if size <= MAX_RESPONSE_BYTES else None
        if data is None:
            obj["Body"].close()  # not read: give the connection back
    except ClientError as err:
        code = err.response["Error"].get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in {"NoSuchKey", "404", "NotFound"}:
            return None
        if code in {"SlowDown", "ServiceUnavailable", "InternalError"} or status >= 500:
            raise Reply(busy(5)) from None
        raise Reply(respond(502, {"error": f"the job's result could not be read: {code}"})) from None
    except (ReadTimeoutError, ConnectTimeoutError, BotoCoreError):
        raise Reply(busy(5)) from None
    if data is not None:
        inline = {"tier": tier.name, field: decode(data)}
        if len(json.dumps(respond(200, inline))) <= MAX_RESPONSE_BYTES:
            return inline, written
    url = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": tier.bucket, "Key": key}, ExpiresIn=RESULT_URL_SECONDS
    )
    return {
        "tier": tier.name,
        f"{field}_url": url,
        f"{field}_bytes": size,
        "url_expires_in_seconds": RESULT_URL_SECONDS,
    }, written


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


def decode(data: bytes) -> Any:
    """A job's result or error as JSON (NaN and Infinity as null: decode_model_json), else as
    text."""
    try:
        return decode_model_json(data)[0]
    except ModelOutputError:
        return data.decode("utf-8", errors="replace")


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


def s3_key(uri: str) -> str:
    return uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else ""


def respond(status: int, body: dict[str, Any], extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(extra_headers or {})},
        "body": json.dumps(body),
    }


load_job_key_at_start(os.environ)
