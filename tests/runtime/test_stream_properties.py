"""Property: any event API Gateway can deliver to POST /stream (any headers, body, content
type, base64 or not), with the engine's answer cut into any PayloadPart sizes, gets an answer
in the streaming format: a JSON prelude with a status from the documented set, eight NUL
bytes, then server-sent events ending in [DONE] (200) or a JSON object with `error` (and
`field` for a 400). No answer carries internals (ARNs, account ids, tracebacks)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseek_cdk.runtime.router import calls, handler, streaming
from tests.runtime.conftest import CONFIG
from tests.runtime.test_router_properties import INTERNALS, STATUSES
from tests.runtime.test_router_properties import events as api_events
from tests.runtime.test_streaming import LMI_STREAM, parts, split_answer, sse_data

ANY_EVENT = api_events().map(lambda event: {**event, "httpMethod": "POST", "resource": "/stream"})
# Requests the router should serve, so the property reaches the streamed answer, not only
# the refusals: a prompt or messages, and any of the optional fields within their ranges.
SERVABLE = st.fixed_dictionaries(
    {
        "prompt": st.text(min_size=1, max_size=200).filter(str.strip),
    },
    optional={
        "max_tokens": st.integers(min_value=1, max_value=2000),
        "tier": st.sampled_from(["chat", "fast"]),
        "parameters": st.fixed_dictionaries(
            {}, optional={"temperature": st.floats(0, 2), "top_p": st.floats(0.01, 1)}
        ),
    },
).map(lambda body: {"httpMethod": "POST", "resource": "/stream", "headers": {}, "body": json.dumps(body)})
STREAM_EVENTS = st.one_of(ANY_EVENT, SERVABLE)


class HealthyRuntime:
    """InvokeEndpointWithResponseStream answers with LMI's stream, cut every `size` bytes."""

    def __init__(self, size: int) -> None:
        self.size = size

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
        return {"Body": iter(parts(LMI_STREAM, self.size))}


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(STREAM_EVENTS, st.integers(min_value=1, max_value=300))
def test_any_stream_event_gets_a_documented_answer_in_the_streaming_format(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any], size: int
) -> None:
    monkeypatch.setattr(calls, "client", lambda service, read_timeout=0: HealthyRuntime(size))
    config = handler.RouterConfig.from_json(json.dumps(CONFIG))
    answer = b"".join(streaming.stream(config, event, deadline=calls.now() + 10))
    prelude, body = split_answer(answer)
    assert prelude["statusCode"] in STATUSES, body
    if prelude["statusCode"] == 200:
        assert prelude["headers"]["Content-Type"] == "text/event-stream"
        assert sse_data(body)[-1] == "[DONE]"
    else:
        error = json.loads(body)
        assert isinstance(error, dict)
        assert isinstance(error.get("error"), str) and error["error"]
        if prelude["statusCode"] == 400:
            assert isinstance(error.get("field"), str) and error["field"]
    assert not any(word.encode() in answer for word in INTERNALS), answer
