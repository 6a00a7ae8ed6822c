"""OpenAI's API on the router, as OpenAI defines it (API reference: Chat Completions, the chat
completion and chunk objects, Models, Errors), so that any OpenAI client works with the
stage URL as its base_url. Shaping only: no I/O, standard library only. The request is read by
contract.parse_chat_completion; streaming.chat_completion serves it.

- Errors: `{"error": {"message", "type", "param", "code"}}` (the openai SDK reads `error` and
  raises BadRequestError, InternalServerError, ... with its `param` and `code`), for the
  router's refusals and for every answer the router gives instead of a completion.
- Streamed chunks are the engine's own `chat.completion.chunk` objects with `model` set to the
  tier that answered, the chain of thought in both `reasoning_content` (the name DeepSeek's
  API and most OpenAI-compatible clients read) and `reasoning` (vLLM's name, which this
  project's clients read), and the engine's usage chunk (`choices: []`, `usage`) passed on
  only when the client asked for it (stream_options.include_usage): the router always asks the
  engine for it, to count output tokens.
- A completion that is not streamed is assembled from the same chunks into one
  `chat.completion` object (Completion), with `usage` and each choice's `finish_reason`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from .contract import AUTO_MODEL, BadRequest

# OpenAI's error `type` by HTTP status (API reference, Error codes).
ERROR_TYPES = {400: "invalid_request_error", 404: "invalid_request_error", 429: "rate_limit_error"}
SERVER_ERROR = "server_error"
# The router's own `code` for answers that are not refusals, by status.
ERROR_CODES = {500: "router_error", 502: "model_unavailable", 503: "service_unavailable", 504: "timeout"}
OWNER = "deepseek-cdk"  # `owned_by` when the router's config names no deployment


def error_object(
    message: str, *, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error object, the whole body of an error answer."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def refusal(err: BadRequest) -> dict[str, Any]:
    """A BadRequest as OpenAI's 400 body: `param` names the field (None for the body as a
    whole: not JSON, not an object, too large)."""
    param = None if err.field == "body" else err.field
    return error_object(str(err), type="invalid_request_error", param=param, code=err.code)


def reshaped(response: dict[str, Any]) -> dict[str, Any]:
    """A router answer (calls.respond: `{"error": "...", "field"?, "detail"?, ...}`) with its
    body as OpenAI's error object; status and headers (Retry-After) stay. The engine's own
    words (`detail`) follow the router's message."""
    status = int(response["statusCode"])
    try:
        body = json.loads(response["body"])
    except (ValueError, TypeError):
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("error") or "the router could not answer")
    if body.get("detail"):
        message += f": {body['detail']}"
    field = body.get("field")
    error = error_object(
        message,
        type=ERROR_TYPES.get(status, SERVER_ERROR if status >= 500 else "invalid_request_error"),
        param=field if isinstance(field, str) and field != "body" else None,
        code=ERROR_CODES.get(status),
    )
    return {**response, "body": json.dumps(error)}


def mirror_reasoning(message: Any) -> None:
    """Give a message or delta both names of its chain of thought, from whichever it has."""
    if not isinstance(message, dict):
        return
    reasoning, content = message.get("reasoning"), message.get("reasoning_content")
    if reasoning is None and content is not None:
        message["reasoning"] = content
    elif content is None and reasoning is not None:
        message["reasoning_content"] = reasoning


def shaped_chunk(chunk: Any, *, model: str, include_usage: bool) -> Any:
    """One engine chunk as the client gets it; None to leave it out (the usage chunk the
    client did not ask for)."""
    if not isinstance(chunk, dict):
        return chunk
    choices = chunk.get("choices")
    if not include_usage:
        if not choices and isinstance(chunk.get("usage"), dict):
            return None
        chunk = {key: value for key, value in chunk.items() if key != "usage"}
    chunk = {**chunk, "model": model}
    for choice in choices if isinstance(choices, list) else []:
        if isinstance(choice, dict):
            mirror_reasoning(choice.get("delta"))
    return chunk


class Completion:
    """A `chat.completion` assembled from the engine's chunks (for `stream: false`)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = ""
        self.created = 0
        self.usage: dict[str, Any] | None = None
        self.choices: dict[int, dict[str, Any]] = {}

    def add(self, chunk: Any) -> None:
        if not isinstance(chunk, dict):
            return
        self.id = self.id or str(chunk.get("id") or "")
        created = chunk.get("created")
        if not self.created and isinstance(created, int) and not isinstance(created, bool):
            self.created = created
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            entry = self.choices.setdefault(
                index if isinstance(index, int) else 0,
                {"content": [], "reasoning": [], "finish_reason": None},
            )
            given = choice.get("delta")
            delta: dict[str, Any] = given if isinstance(given, dict) else {}
            if isinstance(delta.get("content"), str):
                entry["content"].append(delta["content"])
            # The two names carry the same text: take one of them.
            reasoning = next(
                (delta[k] for k in ("reasoning", "reasoning_content") if isinstance(delta.get(k), str)), ""
            )
            if reasoning:
                entry["reasoning"].append(reasoning)
            if choice.get("finish_reason"):
                entry["finish_reason"] = choice["finish_reason"]

    def body(self) -> dict[str, Any]:
        choices = []
        for index, entry in sorted(self.choices.items()):
            reasoning = "".join(entry["reasoning"]) or None
            content = "".join(entry["content"]) if entry["content"] else None
            message = {
                "role": "assistant",
                "content": content,
                "reasoning_content": reasoning,
                "reasoning": reasoning,
            }
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": entry["finish_reason"],
                }
            )
        return {
            "id": self.id or f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            "usage": self.usage,
        }


def models_list(tiers: Iterable[tuple[str, bool]], owner: str = "") -> dict[str, Any]:
    """GET /models: each tier POST /chat/completions serves (`(name, queued)` pairs: async tiers
    are left out, they answer on POST /invoke), then AUTO_MODEL. `created` is 0: the router
    does not know when a tier's endpoint was made."""
    names = [name for name, queued in tiers if not queued] + [AUTO_MODEL]
    return {
        "object": "list",
        "data": [{"id": name, "object": "model", "created": 0, "owned_by": owner or OWNER} for name in names],
    }
