"""The openai SDK, unchanged, against the router's code: docs/request-types.md's SigV4 client
(`openai.OpenAI(base_url=RouterUrl, http_client=httpx.Client(auth=SigV4(...)))`, taken from
docs/request-types.md as written) talks to a local emulation of API Gateway (tests/runtime/gateway.py)
that checks each signature and runs the functions, with SageMaker's stream faked. The SDK
parses every answer itself: chunks, completions, the models list, and each error as
OpenAI's error object."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from botocore.exceptions import EventStreamError

from tests.runtime.conftest import CONFIG
from tests.runtime.gateway import USAGE_STREAM, LocalGateway, aws_environment, iter_parts, readme_example
from tests.runtime.test_streaming import FakeRuntime, runtime, throttled

__all__ = ["runtime"]  # the fixture, imported for these tests

QUESTION: list[Any] = [{"role": "user", "content": "2+2?"}]


@pytest.fixture
def gateway(runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalGateway]:
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    with LocalGateway(json.dumps(CONFIG)) as local:
        monkeypatch.setenv("ROUTER_URL", local.url)
        yield local


@pytest.fixture
def client(gateway: LocalGateway) -> openai.OpenAI:
    """The docs' client, built by the page's own code; no retries, so refusals show."""
    namespace: dict[str, Any] = {}
    exec(readme_example("openai-client"), namespace)  # noqa: S102 - the docs' example
    built: openai.OpenAI = namespace["client"]
    return built.with_options(max_retries=0)


def test_a_streamed_completion_is_parsed_by_the_sdk(client: openai.OpenAI, runtime: FakeRuntime) -> None:
    runtime.answers.append(iter_parts(USAGE_STREAM))
    chunks = list(
        client.chat.completions.create(
            model="chat", messages=QUESTION, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) and c.model == "chat" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    thought = "".join(
        getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices
    )
    assert (thought, content) == ("The user asks for 2 + 2.", "2 + 2 = 4.")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 27


def test_chunks_reach_the_sdk_while_the_model_is_still_writing(
    client: openai.OpenAI, runtime: FakeRuntime
) -> None:
    """The model writes the rest of its answer only once the client has its first chunk: a
    gateway or a function that buffered the answer would never get there."""
    first_seen = threading.Event()

    def held() -> Iterator[dict[str, Any]]:
        lines = USAGE_STREAM.splitlines(keepends=True)
        yield {"PayloadPart": {"Bytes": b"".join(lines[:2])}}
        if not first_seen.wait(10):
            raise TimeoutError("the first chunk did not reach the client while the model was writing")
        yield {"PayloadPart": {"Bytes": b"".join(lines[2:])}}

    runtime.answers.append(held())
    chunks = iter(client.chat.completions.create(model="chat", messages=QUESTION, stream=True))
    first = next(chunks)
    first_seen.set()
    rest = list(chunks)
    assert first.choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in rest) == "2 + 2 = 4."


def test_a_completion_not_streamed_is_parsed_by_the_sdk(client: openai.OpenAI, runtime: FakeRuntime) -> None:
    runtime.answers.append(iter_parts(USAGE_STREAM))
    completion = client.chat.completions.create(model="chat", messages=QUESTION, max_completion_tokens=2000)
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert (completion.object, completion.model) == ("chat.completion", "chat")
    (choice,) = completion.choices
    assert (choice.message.role, choice.message.content, choice.finish_reason) == (
        "assistant",
        "2 + 2 = 4.",
        "stop",
    )
    assert getattr(choice.message, "reasoning_content", None) == "The user asks for 2 + 2."
    assert completion.usage is not None and completion.usage.completion_tokens == 27


def test_models_list_is_parsed_by_the_sdk(client: openai.OpenAI) -> None:
    models = list(client.models.list())
    assert [m.id for m in models] == ["chat", "fast", "auto"]
    assert all(m.object == "model" and m.owned_by == "d" for m in models)


def test_a_stream_that_breaks_raises_api_error(client: openai.OpenAI, runtime: FakeRuntime) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield from iter_parts(USAGE_STREAM[:400])
        raise EventStreamError({"Error": {"Code": "ModelStreamError"}}, "InvokeEndpointWithResponseStream")

    runtime.answers.append(broken())
    stream = client.chat.completions.create(model="chat", messages=QUESTION, stream=True)
    with pytest.raises(openai.APIError) as raised:
        for _ in stream:
            pass
    assert not isinstance(raised.value, openai.APIStatusError)  # the 200 had started
    assert raised.value.message == "the answer stopped: ModelStreamError"
    assert (raised.value.type, raised.value.code) == ("stream_error", "stream_error")


@pytest.mark.parametrize(
    ("arguments", "param", "code"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools", "unsupported_parameter"),
        ({"n": 2}, "n", "unsupported_value"),
        ({"model": "gpt-4o"}, "model", "model_not_found"),
        ({"model": "reasoning"}, "model", None),  # async: POST invoke, then GET jobs/{id}
        ({"model": "fast", "max_tokens": 2001}, "max_tokens", None),
        ({"extra_body": {"top_k": 5000}}, "top_k", None),
        ({"stream_options": {"include_usage": True}}, "stream_options", None),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            "messages[0].content[0].type",
            "unsupported_value",
        ),
    ],
)
def test_each_refusal_is_an_openai_error_object_the_sdk_raises(
    client: openai.OpenAI, runtime: FakeRuntime, arguments: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(**{"model": "chat", "messages": QUESTION, **arguments})
    assert (raised.value.status_code, raised.value.type) == (400, "invalid_request_error")
    assert (raised.value.param, raised.value.code) == (param, code)
    assert runtime.calls == []


def test_the_async_refusal_names_the_jobs_route(client: openai.OpenAI) -> None:
    with pytest.raises(
        openai.BadRequestError, match=r"POST /invoke, then read the result with GET /jobs/\{id\}"
    ):
        client.chat.completions.create(model="reasoning", messages=QUESTION)


def test_a_busy_tier_is_a_503_the_sdk_raises_with_its_code(
    client: openai.OpenAI, runtime: FakeRuntime
) -> None:
    runtime.answers += [throttled() for _ in range(5)]
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(model="chat", messages=QUESTION)
    assert (raised.value.status_code, raised.value.code) == (503, "service_unavailable")
    assert int(raised.value.response.headers["Retry-After"]) >= 1


def test_a_bearer_key_instead_of_a_signature_is_the_gateways_refusal_as_an_openai_error(
    gateway: LocalGateway,
) -> None:
    unsigned = openai.OpenAI(base_url=gateway.url, api_key="a-bearer-key", max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as raised:
        unsigned.models.list()
    assert raised.value.code == "INCOMPLETE_SIGNATURE"
    assert raised.value.message.endswith("Authorization header requires 'Credential' parameter.")


def test_a_wrong_signature_is_refused(gateway: LocalGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
    namespace: dict[str, Any] = {}
    exec(readme_example("openai-client"), namespace)  # noqa: S102 - the docs' example
    with pytest.raises(openai.PermissionDeniedError) as raised:
        namespace["client"].with_options(max_retries=0).models.list()
    assert raised.value.code == "INVALID_SIGNATURE"
    assert isinstance(namespace["client"]._client, httpx.Client)  # the docs' httpx client, as given
