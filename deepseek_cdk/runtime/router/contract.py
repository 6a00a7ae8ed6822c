"""The router's contract: what clients send, what the model is sent, and the limits both
routes hold requests to. Shared by the Lambda handlers, the RequestRouter construct (its
request schema) and the planner (the buffered answer limit). Standard library only.

A request carries either `prompt` (one user turn) or `messages` (a conversation). The model
is always sent the chat form, `{"messages": [...], "max_tokens": N, ...}`: LMI applies the
model's chat template (for the R1 distills: the User and Assistant markers, then `<think>`)
only to a request with `messages`, and reads any `inputs` request as a raw completion
(djl-serving vllm_async_service.preprocess_request, LMI v20). Answers come back in the same
OpenAI chat-completion schema; with the `deepseek_r1` reasoning parser the chain of thought
is in `message.reasoning` (`reasoning_content` in vLLM 0.15.1 too), apart from `content`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

INVOKE_ROUTE = "/invoke"  # answers in one piece (real-time tiers), or 202 + job id (async)
STREAM_ROUTE = "/stream"  # server-sent events as the model writes them (real-time tiers)
JOB_ROUTE = "/jobs/{id}"

# API Gateway ends a buffered integration at 29 s; the router answers by 25 s itself.
BUFFERED_SECONDS = 25
# API Gateway's longest streamed response (response transfer mode STREAM): 15 minutes.
STREAM_SECONDS = 900
# The tokenizers of DeepSeek-R1 and its distills (Qwen 2.5, Llama 3; vocabularies of 128-152K)
# average about 4 characters per token on English text and fewer on code and CJK text, so
# characters / 4 rarely overestimates a prompt: a request refused by it cannot fit. It is an
# estimate; a request it lets through that still overflows gets the model's own 4XX.
CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 8  # chat-template markers around each turn, and the assistant's opening
DEFAULT_MAX_TOKENS = 512  # when the request gives none; lowered to a route's limit if need be
MAX_MESSAGES = 256
ROLES = ("system", "user", "assistant")
FIELDS = ("prompt", "messages", "max_tokens", "tier", "parameters")
MAX_STOP_SEQUENCES = 4
MAX_STOP_CHARS = 200

# What the router measures of every request it serves, written as CloudWatch Embedded Metric
# Format lines to its log (CloudWatch Logs turns them into metrics: no PutMetricData call on
# the request path). Each value is published twice: per tier, and per tier and version (the
# version whose variant or component SageMaker reports as invoked). The alarms and the
# dashboard read these names; a test holds the two to the same spelling.
METRICS_NAMESPACE = "DeepSeekCdk/Router"
TIER_DIMENSIONS = ("Deployment", "Tier")
VERSION_DIMENSIONS = ("Deployment", "Tier", "Version")
TTFT_METRIC = "TimeToFirstToken"  # Milliseconds, streams: request received to first token sent
TPOT_METRIC = "TimePerOutputToken"  # Milliseconds, streams: (last - first token) / (tokens - 1)
ANSWER_LATENCY_METRIC = "AnswerLatency"  # Milliseconds, buffered answers (POST /invoke)
OUTPUT_TOKENS_METRIC = "OutputTokens"  # Count, streamed and buffered answers
COMPLETION_METRIC = "JobCompletionTime"  # Milliseconds, async: accepted to result written
STREAM_FAILURES_METRIC = "StreamFailures"  # Count, streams that ended with an error event
# The CloudWatch unit each is written with (a MetricDatum unit name).
METRIC_UNITS = {
    TTFT_METRIC: "Milliseconds",
    TPOT_METRIC: "Milliseconds",
    ANSWER_LATENCY_METRIC: "Milliseconds",
    OUTPUT_TOKENS_METRIC: "Count",
    COMPLETION_METRIC: "Milliseconds",
    STREAM_FAILURES_METRIC: "Count",
}


@dataclass(frozen=True)
class Setting:
    """A sampling setting passed through to the engine (its OpenAI chat-completion name, as
    vLLM takes it), with the values allowed: `low` and `high` inclusive unless exclusive."""

    name: str
    integer: bool
    low: float
    high: float
    low_exclusive: bool = False


# Anything else is refused: `stream`, `n` or `messages` must not be overridden this way.
SETTINGS = (
    Setting("temperature", integer=False, low=0, high=2),
    Setting("top_p", integer=False, low=0, high=1, low_exclusive=True),
    Setting("top_k", integer=True, low=-1, high=1000),  # -1: off
    Setting("min_p", integer=False, low=0, high=1),
    Setting("seed", integer=True, low=0, high=2**32 - 1),
    Setting("presence_penalty", integer=False, low=-2, high=2),
    Setting("frequency_penalty", integer=False, low=-2, high=2),
    Setting("repetition_penalty", integer=False, low=0, high=2, low_exclusive=True),
)
PARAMETERS = (*(s.name for s in SETTINGS), "stop")  # stop: a string or up to 4 strings


class BadRequest(Exception):
    """The request is wrong: 400 naming the field; nothing reaches an endpoint."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ChatRequest:
    """A validated request: the conversation, the answer's length, the tier asked for."""

    messages: tuple[dict[str, str], ...]
    max_tokens: int
    parameters: dict[str, Any]
    tier: str | None
    max_tokens_given: bool = True  # False: DEFAULT_MAX_TOKENS, which a route may lower

    @property
    def prompt_chars(self) -> int:
        return sum(len(m["content"]) for m in self.messages)

    @property
    def last_user_text(self) -> str:
        """The text router rules match: the last user turn."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")

    def estimated_prompt_tokens(self) -> int:
        return estimated_prompt_tokens(self.prompt_chars, len(self.messages))

    def model_body(self, *, stream: bool = False) -> bytes:
        """The chat-completion request the serving container takes on /invocations."""
        body: dict[str, Any] = {
            **self.parameters,
            "messages": list(self.messages),
            "max_tokens": self.max_tokens,
        }
        if stream:
            body["stream"] = True
        return json.dumps(body).encode()


def estimated_prompt_tokens(chars: int, messages: int) -> int:
    """Prompt tokens of `messages` turns holding `chars` characters, with the chat template's
    markers: the estimate every limit on prompts uses."""
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * (messages + 1)


# The longest whole number a request or a model's answer may write, in digits: 20 holds every
# 64-bit integer (seed's 2**32 - 1 with room). Python refuses to read integers of more than
# 4,300 digits at all (int_max_str_digits, CPython 3.11+) with a ValueError that is not a
# JSONDecodeError; refusing long numbers here first gives one clear answer instead.
MAX_NUMBER_DIGITS = 20


class _Refused:
    """A value decode_json will not take, kept in place so that the refusal names its field."""

    def __init__(self, why: str) -> None:
        self.why = why


def _bounded_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        return _Refused(f"a whole number of {digits:,} digits; no field takes more than {MAX_NUMBER_DIGITS}")
    return int(text)


def decode_json(raw: str) -> Any:
    """JSON as the router accepts it: no NaN or Infinity (not JSON, and no engine takes them),
    no whole number longer than MAX_NUMBER_DIGITS, and not nested deeper than Python can parse.
    BadRequest otherwise, naming the field that holds the refused value (`parameters.seed`),
    or "body" for text that is not JSON."""

    def refuse(constant: str) -> Any:
        return _Refused(f"{constant} is not a JSON number")

    try:
        data = json.loads(raw, parse_constant=refuse, parse_int=_bounded_int)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise BadRequest("body", "not valid JSON (or nested too deeply)") from None
    found = _first_refused(data)
    if found is not None:
        raise BadRequest(*found)
    return data


def _first_refused(data: Any) -> tuple[str, str] | None:
    """(field path, why) of the first _Refused value in `data`, walked without recursion."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            return path or "body", value.why
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                named = key.isidentifier() and len(key) <= 40  # else: named by its parent
                stack.append((item, (f"{path}.{key}" if path else key) if named else path))
        elif isinstance(value, list):
            stack += [(item, f"{path or 'body'}[{i}]") for i, item in reversed(list(enumerate(value)))]
    return None


class ModelOutputError(ValueError):
    """The model's answer is not JSON the router can pass on."""


def decode_model_json(raw: bytes | str) -> tuple[Any, bool]:
    """A model's JSON answer (a completion, a stream chunk, an async result) and whether it
    held NaN or Infinity. Python's json writes those for a float that is not finite (vLLM's
    logprob of an impossible token is -inf), but they are not JSON (RFC 8259 section 6), and
    a client's standard parser refuses the whole answer: they are read as None, so the
    answer is re-emitted as standard JSON with null in their place. A whole number longer than
    MAX_NUMBER_DIGITS, or text that is not UTF-8 JSON, is ModelOutputError."""
    non_finite = False

    def null(constant: str) -> None:
        nonlocal non_finite
        non_finite = True

    def whole(text: str) -> int:
        if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise ModelOutputError(f"a whole number of {len(text):,} digits")
        return int(text)

    try:
        return json.loads(raw, parse_constant=null, parse_int=whole), non_finite
    except ModelOutputError:
        raise
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError
        raise ModelOutputError(type(err).__name__) from None


def parse_body(body: Any) -> ChatRequest:
    """Check a decoded JSON body against the contract; BadRequest names the first problem."""
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        if unknown[0] == "stream":
            raise BadRequest(
                "stream", f"the route decides: POST {STREAM_ROUTE} streams, POST {INVOKE_ROUTE} does not"
            )
        name = unknown[0]
        field = name if name.isidentifier() and len(name) <= 40 else "body"
        raise BadRequest(field, f"unknown field {name[:40]!r}; allowed: {', '.join(FIELDS)}")
    if ("prompt" in body) == ("messages" in body):
        raise BadRequest("prompt", "give exactly one of prompt (a string) or messages (a conversation)")
    messages = _messages(body["messages"]) if "messages" in body else _prompt(body["prompt"])
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise BadRequest("max_tokens", f"must be a whole number >= 1 (got {max_tokens!r})")
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise BadRequest("parameters", "must be a JSON object")
    for key, value in parameters.items():
        _check_parameter(key, value)
    tier = body.get("tier")
    if tier is not None and (not isinstance(tier, str) or not tier):
        raise BadRequest("tier", "must be a tier name")
    return ChatRequest(messages, max_tokens, dict(parameters), tier, max_tokens_given="max_tokens" in body)


def _check_parameter(key: str, value: Any) -> None:
    field = f"parameters.{key}"
    if key == "stop":
        stops = [value] if isinstance(value, str) else value
        if (
            not isinstance(stops, list)
            or not 1 <= len(stops) <= MAX_STOP_SEQUENCES
            or not all(isinstance(x, str) and 1 <= len(x) <= MAX_STOP_CHARS for x in stops)
        ):
            raise BadRequest(
                field,
                f"a string or a list of 1-{MAX_STOP_SEQUENCES} strings of 1-{MAX_STOP_CHARS} characters",
            )
        return
    setting = next((s for s in SETTINGS if s.name == key), None)
    if setting is None:
        raise BadRequest(field, f"not a sampling setting; allowed: {', '.join(PARAMETERS)}")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    low_ok = number and (value > setting.low if setting.low_exclusive else value >= setting.low)
    if not number or (setting.integer and not isinstance(value, int)) or not low_ok or value > setting.high:
        kind = "a whole number" if setting.integer else "a number"
        low = f"above {setting.low:g}" if setting.low_exclusive else f"from {setting.low:g}"
        raise BadRequest(field, f"must be {kind} {low} to {setting.high:g} (got {value!r})")


def _prompt(prompt: Any) -> tuple[dict[str, str], ...]:
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadRequest("prompt", "required: a non-empty string")
    return ({"role": "user", "content": prompt},)


def _messages(messages: Any) -> tuple[dict[str, str], ...]:
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise BadRequest("messages", f"must be a list of 1-{MAX_MESSAGES} messages")
    checked = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise BadRequest(f"messages[{i}]", "must be an object with exactly role and content")
        if message["role"] not in ROLES:
            raise BadRequest(
                f"messages[{i}].role", f"must be one of {', '.join(ROLES)} (got {message['role']!r})"
            )
        if not isinstance(message["content"], str) or not message["content"].strip():
            raise BadRequest(f"messages[{i}].content", "required: a non-empty string")
        checked.append({"role": message["role"], "content": message["content"]})
    if checked[-1]["role"] != "user":
        raise BadRequest(f"messages[{len(checked) - 1}].role", "the last message must be the user's")
    return tuple(checked)


def within_limit(request: ChatRequest, *, limit: int, tier: str, route: str, otherwise: str) -> ChatRequest:
    """The request with max_tokens at most `limit`, the longest answer `route` can carry on
    `tier`: a default max_tokens is lowered to it, an explicit one above it is refused."""
    if request.max_tokens <= limit:
        return request
    if not request.max_tokens_given:
        return replace(request, max_tokens=limit)
    raise BadRequest(
        "max_tokens",
        f"tier {tier!r} writes about {limit} tokens in the time POST {route} allows "
        f"(got {request.max_tokens}); {otherwise}",
    )


def fits_context(request: ChatRequest, *, context_tokens: int, tier: str) -> None:
    """Refuse, naming max_tokens, a request whose prompt and answer cannot fit the context."""
    prompt = request.estimated_prompt_tokens()
    if prompt + request.max_tokens > context_tokens:
        room = context_tokens - prompt
        advice = f"ask for at most {room}" if room >= 1 else "shorten the prompt"
        raise BadRequest(
            "max_tokens",
            f"the prompt (about {prompt} tokens, estimated at {CHARS_PER_TOKEN:g} characters per token) "
            f"plus max_tokens ({request.max_tokens}) exceeds tier {tier!r}'s context of "
            f"{context_tokens} tokens; {advice}",
        )
