"""Property: any event API Gateway can deliver (any method, route, headers, body, content
type, base64 or not) gets a status from the documented set and a JSON object body; errors
carry `error`, and no answer carries internals (ARNs, account ids, tracebacks)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseek_cdk.runtime.router import async_jobs, calls, handler
from tests.runtime.conftest import CONFIG, JOB_KEY, JOB_KEY_SECRET
from tests.runtime.test_router import COMPLETION

STATUSES = {200, 202, 400, 404, 502, 503, 504}
INTERNALS = ("arn:aws", "111111111111", "Traceback", "botocore", "/aws/sagemaker")


class FakeAws:
    """Every AWS call the router makes succeeds, as on a healthy deployment; job results
    are not written yet."""

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"Body": _Body(json.dumps(COMPLETION).encode())}

    def put_object(self, **_: Any) -> dict[str, Any]:
        return {}

    def invoke_endpoint_async(self, **_: Any) -> dict[str, Any]:
        return {"OutputLocation": "s3://artifacts-bucket/async/reasoning/responses/a.out"}

    def get_object(self, **_: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


@pytest.fixture(autouse=True)
def healthy_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps(CONFIG))
    monkeypatch.setattr(calls, "client", lambda service, read_timeout=0: FakeAws())
    monkeypatch.setattr(async_jobs, "_job_keys", {JOB_KEY_SECRET: JOB_KEY})
    monkeypatch.setattr(calls, "sleep", lambda seconds: None)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "prompt": JSON | st.text(min_size=1, max_size=50),
        "messages": JSON
        | st.lists(
            st.fixed_dictionaries({"role": st.sampled_from(["user", "system"]), "content": JSON}), max_size=3
        ),
        "max_tokens": JSON | st.integers(min_value=-5, max_value=100_000),
        "tier": JSON | st.sampled_from(["chat", "fast", "reasoning", "nope"]),
        "parameters": JSON
        | st.dictionaries(st.sampled_from(["temperature", "top_p", "stop", "seed"]), JSON, max_size=2),
        "stream": JSON,
    },
)
BODIES = st.one_of(
    FIELDS.map(json.dumps),
    JSON.map(json.dumps),
    st.text(max_size=200),
    st.just('{"prompt": "hi", "max_tokens": NaN}'),
    st.just("prompt=hi&max_tokens=5"),
    st.just("[" * 10_000),
)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(BODIES)
    encoded = draw(st.booleans())
    job_ids = st.text(max_size=80) | st.just("eyJ0IjoicmVhc29uaW5nIn0.AAAA")
    return {
        "httpMethod": draw(st.sampled_from(["POST", "GET", "PUT", "DELETE", None])),
        "resource": draw(st.sampled_from(["/invoke", "/jobs/{id}", "/stream", "/other", None])),
        "headers": draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(["Content-Type", "X-Request-Type", "x-request-type", "Accept"]),
                st.sampled_from(
                    [
                        "application/json",
                        "text/plain",
                        "application/x-www-form-urlencoded",
                        "chat",
                        "nope",
                        "",
                    ]
                ),
                max_size=3,
            )
        ),
        "pathParameters": draw(st.none() | st.fixed_dictionaries({"id": job_ids})),
        "isBase64Encoded": encoded,
        "body": base64.b64encode(body.encode()).decode() if encoded and draw(st.booleans()) else body,
    }


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events())
def test_any_event_gets_a_documented_status_and_a_json_body_without_internals(event: dict[str, Any]) -> None:
    response = handler.handler(event, None)
    assert response["statusCode"] in STATUSES
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    if response["statusCode"] >= 400:
        assert isinstance(body.get("error"), str) and body["error"]
    if response["statusCode"] == 400:
        assert isinstance(body.get("field"), str) and body["field"]
    assert not any(word in response["body"] for word in INTERNALS), response["body"]
