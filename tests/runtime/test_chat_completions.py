"""POST /chat/completions and GET /models: OpenAI's request, chunks, completion and error
object, served by the router's code with SageMaker's response stream faked (test_streaming's
FakeRuntime) on the fake clock. The openai SDK itself talks to the same code in
test_openai_sdk.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EventStreamError

from deepseek_cdk.runtime.router import calls, contract, handler, streaming
from tests.runtime.conftest import CONFIG, Clock
from tests.runtime.test_router_metrics import dimensions, emf_lines, one_emf_line, values
from tests.runtime.test_streaming import FakeRuntime, parts, runtime, split_answer, sse_data, throttled

__all__ = ["runtime"]  # the fixture, imported for these tests

SHAPES = Path(__file__).parent / "shapes"
USAGE_STREAM = (SHAPES / "lmi_chat_stream_usage.jsonl").read_bytes()
USAGE = {"prompt_tokens": 14, "total_tokens": 41, "completion_tokens": 27}
HI = [{"role": "user", "content": "2+2?"}]


def chat(
    body: Any, headers: dict[str, str] | None = None, raw: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """The prelude and body of the stream function's answer to POST /chat/completions."""
    config = handler.RouterConfig.from_json(json.dumps({**CONFIG, "max_body_bytes": 262144}))
    event = {
        "httpMethod": "POST",
        "resource": contract.CHAT_ROUTE,
        "headers": headers or {},
        "body": raw if raw is not None else json.dumps(body),
    }
    return split_answer(b"".join(streaming.stream(config, event, deadline=calls.now() + 10)))


def test_a_streamed_completion_is_openai_chunks_named_by_the_tier(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(USAGE_STREAM, 37))
    prelude, body = chat({"model": "chat", "messages": HI, "stream": True, "max_completion_tokens": 2000})
    assert prelude == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Tier": "chat"},
    }
    events = sse_data(body)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "chat" for c in chunks)
    # The usage chunk was not asked for: left out, and no chunk names usage.
    assert all(c["choices"] and "usage" not in c for c in chunks)
    thought = "".join(c["choices"][0]["delta"].get("reasoning_content") or "" for c in chunks)
    assert thought == "The user asks for 2 + 2."
    assert all(
        c["choices"][0]["delta"].get("reasoning") == c["choices"][0]["delta"].get("reasoning_content")
        for c in chunks
    )
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    (call,) = runtime.calls
    assert json.loads(call["Body"]) == {
        "messages": HI,
        "max_tokens": 2000,  # OpenAI's max_completion_tokens is the engine's max_tokens
        "stream": True,
        "stream_options": {"include_usage": True},  # always asked: the router counts tokens
    }


def test_usage_ends_the_stream_when_the_client_asks(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(USAGE_STREAM, 50))
    _, body = chat(
        {"model": "chat", "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    )
    *_, last, done = sse_data(body)
    assert done == "[DONE]"
    assert last["choices"] == [] and last["usage"] == USAGE and last["model"] == "chat"


def test_a_completion_not_streamed_is_one_chat_completion_object(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(USAGE_STREAM, 64))
    prelude, body = chat({"model": "chat", "messages": HI})  # stream defaults to false
    assert prelude == {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Tier": "chat"}}
    assert json.loads(body) == {
        "id": "chatcmpl-9d41f7a2c0e84b6f8a1d3c5e7b9f0a12",
        "object": "chat.completion",
        "created": 1764489600,
        "model": "chat",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "2 + 2 = 4.",
                    "reasoning_content": "The user asks for 2 + 2.",
                    "reasoning": "The user asks for 2 + 2.",
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }
    # The engine is asked to stream either way: the answer is measured as a stream, and the
    # stream's limit (not POST /invoke's 25 s) applies.
    assert json.loads(runtime.calls[0]["Body"])["stream"] is True


def test_names_text_parts_developer_and_nulls_become_the_engines_chat_request(runtime: FakeRuntime) -> None:
    runtime.answers.append(parts(USAGE_STREAM, 100))
    messages = [
        {"role": "developer", "content": "Answer briefly."},
        {
            "role": "user",
            "name": "ada",
            "content": [{"type": "text", "text": "2+2?"}, {"type": "text", "text": "Why?"}],
        },
    ]
    chat({"model": "auto", "messages": messages, "temperature": 0.6, "stop": ["\n\n"], "top_p": None, "n": 1})
    assert json.loads(runtime.calls[0]["Body"]) == {
        "temperature": 0.6,
        "stop": ["\n\n"],
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "2+2?\nWhy?", "name": "ada"},
        ],
        "max_tokens": 512,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_auto_follows_the_header_then_the_rules(runtime: FakeRuntime) -> None:
    runtime.answers += [parts(USAGE_STREAM, 100), parts(USAGE_STREAM, 100)]
    prelude, _ = chat({"model": "auto", "messages": [{"role": "user", "content": "hello there"}]})
    assert prelude["headers"]["X-Tier"] == "fast"  # the rule on the prompt
    prelude, _ = chat({"model": "auto", "messages": HI}, headers={"X-Request-Type": "fast"})
    assert prelude["headers"]["X-Tier"] == "fast"


@pytest.mark.parametrize(
    ("body", "param", "code", "says"),
    [
        (
            {"model": "chat", "messages": HI, "tools": []},
            "tools",
            "unsupported_parameter",
            "unsupported parameter",
        ),
        ({"model": "chat", "messages": HI, "n": 2}, "n", "unsupported_value", "only 1"),
        ({"messages": HI}, "model", None, "required"),
        (
            {"model": "gpt-4o", "messages": HI},
            "model",
            "model_not_found",
            "models: chat, fast, reasoning, auto",
        ),
        (
            {"model": "reasoning", "messages": HI},
            "model",
            None,
            "asynchronous: send it to POST /invoke, then read the result with GET /jobs/{id}",
        ),
        (
            {"model": "auto", "messages": HI, "max_tokens": 5000},
            "model",
            None,
            "chosen for model 'auto' by the router's rules",
        ),
        (
            {"model": "fast", "messages": HI, "max_completion_tokens": 2001},
            "max_completion_tokens",
            None,
            "writes about 2000 tokens in the time POST /chat/completions allows",
        ),
        (
            {"model": "chat", "messages": HI, "max_tokens": 8190},
            "max_tokens",
            "context_length_exceeded",
            "exceeds tier 'chat''s context",
        ),
        (
            {"model": "chat", "messages": HI, "max_tokens": 5, "max_completion_tokens": 6},
            "max_completion_tokens",
            None,
            "disagree",
        ),
        (
            {"model": "chat", "messages": HI, "stream_options": {"include_usage": True}},
            "stream_options",
            None,
            "stream: true",
        ),
        ({"model": "chat", "messages": HI, "stream": "yes"}, "stream", None, "true or false"),
        ({"model": "chat", "messages": HI, "temperature": 3}, "temperature", None, "from 0 to 2"),
        (
            {"model": "chat", "messages": HI, "parameters": {}},
            "parameters",
            "unsupported_parameter",
            "unsupported",
        ),
        (
            {
                "model": "chat",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages[0].content[0].type",
            "unsupported_value",
            "only text parts",
        ),
        (
            {"model": "chat", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].role",
            None,
            "must be one of system, user, assistant, developer",
        ),
        (
            {"model": "chat", "messages": [{"role": "user", "content": "x", "tool_calls": []}]},
            "messages[0].tool_calls",
            "unsupported_parameter",
            "no tools",
        ),
        (
            {"model": "chat", "messages": [{"role": "assistant", "content": "x"}]},
            "messages[0].role",
            None,
            "the user's",
        ),
        ([], None, None, "must be a JSON object"),
    ],
)
def test_every_refusal_is_a_400_openai_error_object_naming_the_field(
    runtime: FakeRuntime, body: Any, param: str | None, code: str | None, says: str
) -> None:
    prelude, payload = chat(body)
    assert prelude["statusCode"] == 400
    (error,) = json.loads(payload).values()
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert says in error["message"]
    assert runtime.calls == []


def test_a_body_that_is_not_json_is_a_400_for_the_body(runtime: FakeRuntime) -> None:
    prelude, payload = chat(None, raw="{not json")
    assert prelude["statusCode"] == 400
    assert json.loads(payload)["error"]["param"] is None


def test_busy_is_a_503_openai_error_with_retry_after(runtime: FakeRuntime) -> None:
    runtime.answers += [throttled() for _ in range(5)]
    prelude, payload = chat({"model": "chat", "messages": HI})
    assert prelude["statusCode"] == 503 and int(prelude["headers"]["Retry-After"]) >= 1
    error = json.loads(payload)["error"]
    assert (error["type"], error["code"]) == ("server_error", "service_unavailable")
    assert "busy" in error["message"]


def broken() -> Iterator[dict[str, Any]]:
    yield from parts(USAGE_STREAM[:400], 100)
    raise EventStreamError(
        {"Error": {"Code": "ModelStreamError", "Message": "see the log group of account 111111111111"}},
        "InvokeEndpointWithResponseStream",
    )


def test_a_failure_midway_ends_a_streamed_answer_with_an_openai_error_event(runtime: FakeRuntime) -> None:
    runtime.answers.append(broken())
    _, body = chat({"model": "chat", "messages": HI, "stream": True})
    *_, failed, done = sse_data(body)
    assert done == "[DONE]"
    assert failed == {
        "error": {
            "message": "the answer stopped: ModelStreamError",
            "type": "stream_error",
            "param": None,
            "code": "stream_error",
        }
    }


def test_a_failure_of_an_answer_not_streamed_is_a_502_while_it_is_held(runtime: FakeRuntime) -> None:
    runtime.answers.append(broken())
    prelude, payload = chat({"model": "chat", "messages": HI})
    assert prelude["statusCode"] == 502
    assert json.loads(payload)["error"]["code"] == "stream_error"


def slow(clock: Clock, data: bytes, gap: float) -> Iterator[dict[str, Any]]:
    for line in data.splitlines(keepends=True):
        clock.t += gap
        yield {"PayloadPart": {"Bytes": line}}


def test_a_long_answer_not_streamed_is_committed_and_kept_alive(runtime: FakeRuntime, clock: Clock) -> None:
    """Past HOLD_S the 200 is sent, then newlines (JSON allows them before the value) at least
    every KEEPALIVE_S, so that API Gateway's 5-minute idle timeout never closes it."""
    runtime.answers.append(slow(clock, USAGE_STREAM, gap=70))
    prelude, body = chat({"model": "chat", "messages": HI})
    assert prelude["statusCode"] == 200
    assert body.startswith(b"\n") and json.loads(body)["choices"][0]["message"]["content"] == "2 + 2 = 4."


def test_a_long_answer_that_fails_after_its_200_ends_with_the_error_object(
    runtime: FakeRuntime, clock: Clock
) -> None:
    def late_failure() -> Iterator[dict[str, Any]]:
        yield from slow(clock, USAGE_STREAM.splitlines(keepends=True)[0] * 3, gap=60)
        raise EventStreamError({"Error": {"Code": "ModelStreamError"}}, "InvokeEndpointWithResponseStream")

    runtime.answers.append(late_failure())
    prelude, body = chat({"model": "chat", "messages": HI})
    assert prelude["statusCode"] == 200
    assert json.loads(body)["error"]["code"] == "stream_error"


def test_both_forms_are_measured_per_tier_and_version(
    runtime: FakeRuntime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    for stream in (True, False):
        runtime.variant = "live-2"  # the config maps it to v2
        clock.t = 0.0
        runtime.answers.append(slow(clock, USAGE_STREAM, gap=0.1))
        chat({"model": "chat", "messages": HI, "stream": stream})
        document = one_emf_line(capsys)
        assert dimensions(document) == ("d", "chat", "v2")
        # Lines at 0.1 s (the role), 0.2 and 0.3 (reasoning), 0.4 and 0.5 (content), 0.6 (usage).
        assert values(document) == {
            contract.STREAM_FAILURES_METRIC: 0,
            contract.OUTPUT_TOKENS_METRIC: 27,  # the engine's count, asked for with stream_options
            contract.TTFT_METRIC: pytest.approx(200),
            contract.TPOT_METRIC: pytest.approx(100),
        }


def test_a_refusal_writes_no_metrics(runtime: FakeRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    chat({"model": "chat", "messages": HI, "n": 3})
    assert emf_lines(capsys.readouterr().out) == []


def test_models_lists_the_tiers_chat_completions_serves_in_openais_shape(clock: Clock) -> None:
    answer = handler.handler({"httpMethod": "GET", "resource": contract.MODELS_ROUTE}, None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "d"}
            for name in ("chat", "fast", "auto")
        ],
    }
