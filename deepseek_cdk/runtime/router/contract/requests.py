"""What clients send and what the model is sent: POST /invoke and /stream bodies (parse_body),
OpenAI's chat-completion request (parse_chat_completion), the sampling settings passed through,
and the limits both routes hold requests to.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

from .errors import BadRequest
from .routes import AUTO_MODEL, INVOKE_ROUTE, STREAM_ROUTE

# The tokenizers of DeepSeek-R1 and its distills (Qwen 2.5, Llama 3; vocabularies of 128-152K)
# average about 4 characters per token on English text and fewer on code and CJK text, so
# characters / 4 rarely overestimates a prompt: a request refused by it cannot fit. It is an
# estimate; a request it lets through that still overflows gets the model's own 4XX.
CHARS_PER_TOKEN = 4.0


TOKENS_PER_MESSAGE = 8  # chat-template markers around each turn, and the assistant's opening


DEFAULT_MAX_TOKENS = 512  # when the request gives none; lowered to a route's limit if need be


MAX_MESSAGES = 256


ROLES = ("system", "user", "assistant")


DEVELOPER_ROLE = "developer"  # OpenAI's newer name for system instructions; sent as system


FIELDS = ("prompt", "messages", "max_tokens", "tier", "parameters")


MAX_STOP_SEQUENCES = 4


MAX_STOP_CHARS = 200


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


# POST /chat/completions: OpenAI's fields this router serves; any other is refused by name.
# The sampling settings are top-level there (OpenAI's places; top_k, min_p and
# repetition_penalty are vLLM's additions, sent by the openai SDK through extra_body).
CHAT_FIELDS = (
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "n",
    *PARAMETERS,
)


MESSAGE_FIELDS = ("role", "content", "name")


@dataclass(frozen=True)
class ChatOptions:
    """What an OpenAI chat-completion request asks of the answer's form (not of the model)."""

    stream: bool = False
    include_usage: bool = False  # stream_options.include_usage: a last chunk with `usage`
    tokens_field: str = "max_tokens"  # the field the client gave the answer's length in


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

    def model_body(self, *, stream: bool = False, include_usage: bool = False) -> bytes:
        """The chat-completion request the serving container takes on /invocations; with
        `include_usage`, a streamed answer ends with a chunk of token counts (vLLM and TGI
        take OpenAI's stream_options)."""
        body: dict[str, Any] = {
            **self.parameters,
            "messages": list(self.messages),
            "max_tokens": self.max_tokens,
        }
        if stream:
            body["stream"] = True
            if include_usage:
                body["stream_options"] = {"include_usage": True}
        return json.dumps(body).encode()


def estimated_prompt_tokens(chars: int, messages: int) -> int:
    """Prompt tokens of `messages` turns holding `chars` characters, with the chat template's
    markers: the estimate every limit on prompts uses."""
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * (messages + 1)


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
    max_tokens = _whole_number("max_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise BadRequest("parameters", "must be a JSON object")
    for key, value in parameters.items():
        _check_parameter(key, value)
    tier = body.get("tier")
    if tier is not None and (not isinstance(tier, str) or not tier):
        raise BadRequest("tier", "must be a tier name")
    return ChatRequest(messages, max_tokens, dict(parameters), tier, max_tokens_given="max_tokens" in body)


def _whole_number(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(field, f"must be a whole number >= 1 (got {value!r})")
    return value


def _named(name: str) -> str:
    """A client's key as a field name, or "body" for one too odd to repeat."""
    return name if name.isidentifier() and len(name) <= 40 else "body"


def parse_chat_completion(body: Any) -> tuple[ChatRequest, ChatOptions]:
    """An OpenAI chat-completion request (POST /chat/completions), checked: BadRequest names
    the first problem by OpenAI's field name (`param`). A field given as null counts as not
    given, as OpenAI's optional fields are nullable. `model` is a tier, or AUTO_MODEL for the
    router's own choice (ChatRequest.tier None); text content parts are joined with a newline,
    as vLLM joins them; `n` may only be 1; max_tokens and max_completion_tokens, when both are
    given, must agree."""
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    given = {key: value for key, value in body.items() if value is not None}
    unknown = sorted(set(given) - set(CHAT_FIELDS))
    if unknown:
        name = unknown[0]
        raise BadRequest(
            _named(name),
            f"unsupported parameter {name[:40]!r}; this router takes {', '.join(CHAT_FIELDS)}",
            code="unsupported_parameter",
        )
    model = given.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("model", f"required: a tier name, or {AUTO_MODEL!r} for the router's choice")
    if "messages" not in given:
        raise BadRequest("messages", "required: a list of messages")
    messages = _chat_messages(given["messages"])
    stream = given.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("stream", f"must be true or false (got {stream!r})")
    include_usage = _stream_options(given.get("stream_options"), stream)
    n = given.get("n", 1)
    if isinstance(n, bool) or n != 1:
        raise BadRequest(
            "n", f"only 1: the router writes one answer per request (got {n!r})", "unsupported_value"
        )
    lengths = {k: _whole_number(k, given[k]) for k in ("max_completion_tokens", "max_tokens") if k in given}
    if len(set(lengths.values())) > 1:
        raise BadRequest(
            "max_completion_tokens", f"max_tokens and max_completion_tokens disagree ({lengths}); give one"
        )
    parameters = {key: given[key] for key in PARAMETERS if key in given}
    for key, value in parameters.items():
        _check_parameter(key, value, prefix="")
    request = ChatRequest(
        messages,
        next(iter(lengths.values()), DEFAULT_MAX_TOKENS),
        parameters,
        None if model == AUTO_MODEL else model,
        max_tokens_given=bool(lengths),
    )
    return request, ChatOptions(stream, include_usage, next(iter(lengths), "max_tokens"))


def _stream_options(options: Any, stream: bool) -> bool:
    """stream_options.include_usage; the options exist only for a streamed answer."""
    if options is None:
        return False
    if not stream:
        raise BadRequest("stream_options", "only with stream: true")
    if not isinstance(options, dict):
        raise BadRequest("stream_options", "must be an object")
    for key, value in options.items():
        if key != "include_usage":
            raise BadRequest(f"stream_options.{_named(key)}", "unsupported; this router takes include_usage")
        if not isinstance(value, bool):
            raise BadRequest("stream_options.include_usage", f"must be true or false (got {value!r})")
    return bool(options.get("include_usage", False))


def _chat_messages(messages: Any) -> tuple[dict[str, str], ...]:
    """OpenAI's messages: role, content (a string or text parts), and an optional name."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise BadRequest("messages", f"must be a list of 1-{MAX_MESSAGES} messages")
    checked = []
    for i, message in enumerate(messages):
        at = f"messages[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(at, "must be an object with role and content")
        extra = sorted(set(message) - set(MESSAGE_FIELDS))
        if extra:
            raise BadRequest(
                f"{at}.{_named(extra[0])}",
                f"unsupported; a message has {', '.join(MESSAGE_FIELDS)} (no tools or audio)",
                code="unsupported_parameter",
            )
        role = message.get("role")
        if role not in (*ROLES, DEVELOPER_ROLE):
            raise BadRequest(
                f"{at}.role", f"must be one of {', '.join((*ROLES, DEVELOPER_ROLE))} (got {role!r})"
            )
        entry = {
            "role": "system" if role == DEVELOPER_ROLE else str(role),
            "content": _text(message.get("content"), at),
        }
        if "name" in message:
            if not isinstance(message["name"], str) or not message["name"]:
                raise BadRequest(f"{at}.name", "must be a non-empty string")
            entry["name"] = message["name"]
        checked.append(entry)
    if checked[-1]["role"] != "user":
        raise BadRequest(f"messages[{len(checked) - 1}].role", "the last message must be the user's")
    return tuple(checked)


def _text(content: Any, at: str) -> str:
    """A message's text: a string, or text parts [{"type": "text", "text": ...}] joined."""
    if isinstance(content, list) and content:
        texts = []
        for j, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, dict) else part
                raise BadRequest(
                    f"{at}.content[{j}].type",
                    f'only text parts ({{"type": "text", "text": ...}}) are served (got {str(kind)[:40]!r})',
                    code="unsupported_value",
                )
            if set(part) != {"type", "text"} or not isinstance(part["text"], str):
                raise BadRequest(f"{at}.content[{j}]", "a text part has exactly type and text (a string)")
            texts.append(part["text"])
        content = "\n".join(texts)
    if not isinstance(content, str) or not content.strip():
        raise BadRequest(f"{at}.content", "required: a non-empty string, or text parts")
    return content


def _check_parameter(key: str, value: Any, prefix: str = "parameters.") -> None:
    field = f"{prefix}{key}"
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
            code="context_length_exceeded",
        )
