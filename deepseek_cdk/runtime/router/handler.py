"""Request router: picks a tier for each request and invokes it (Lambda, API Gateway proxy).

POST /invoke   {"prompt": "..." | "messages": [...], "max_tokens": 512, "tier": "chat",
                "parameters": {"temperature": 0.6, ...}}   (see contract.py)
               -> 200 chat completion (OpenAI schema) + "tier", from a real-time or
                  inference-component tier, for answers short enough to finish in 25 s
               -> 202 {"tier", "job_id", "status": "pending" | "unconfirmed"} from an async tier
GET /jobs/{id} -> 200 {"status": "pending" | "unconfirmed" | "done" | "failed" | "expired", ...}
GET /models    -> 200 the tiers POST /chat/completions serves, in OpenAI's list shape
POST /stream and POST /chat/completions (OpenAI's chat completions, streamed or not) are
served by streaming.py (up to 15 minutes); async tiers and GET /jobs/{id} by async_jobs.py;
the calls to AWS, their retries and the answers they end in are calls.py's.

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
acknowledged once SageMaker has accepted it, or, when SageMaker's answer never came, with an id
marked unconfirmed (async_jobs.submit_async).

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
from typing import Any

from botocore.exceptions import BotoCoreError, ConnectTimeoutError, ReadTimeoutError

from . import calls, chat_completions, metrics
from .async_jobs import job_status, load_job_key_at_start, submit_async
from .calls import MAX_RESPONSE_BYTES, STREAM_ADVICE, Reply, invoke_tier, measure, read_timeout_until, respond
from .contract import (
    AUTO_MODEL,
    BUFFERED_SECONDS,
    INVOKE_ROUTE,
    JOB_ROUTE,
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
from .patterns import search_within


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = calls.now()
    config = RouterConfig.from_json(os.environ["ROUTER_CONFIG"])
    remaining = context.get_remaining_time_in_millis() / 1000 - 1 if context else config.time_budget_seconds
    deadline = calls.now() + min(config.time_budget_seconds, remaining)
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
        lambda **args: calls.client("sagemaker-runtime", read_timeout_until(deadline)).invoke_endpoint(
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
    latency_s = calls.now() - started
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


load_job_key_at_start(os.environ)
