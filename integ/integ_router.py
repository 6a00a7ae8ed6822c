"""The router in front of a real-time tier: a chat completion (OpenAI's shape), the same
streamed, and GET /models, each through the router's own Lambda functions.

The API is IAM-authenticated (SigV4) and integ-tests-alpha's http_api_call cannot sign, so
the assertions invoke the functions API Gateway invokes, with API Gateway's proxy event."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import integ_tests_alpha as integ

from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks import DeploymentStacks
from integ.cases import alarm_state, run


def proxy_event(method: str, resource: str, body: dict[str, object] | None = None) -> str:
    """API Gateway's REST proxy event, as much of it as the router reads."""
    event = {
        "httpMethod": method,
        "resource": resource,
        "path": resource,
        "headers": {},
        "isBase64Encoded": False,
    }
    event["body"] = json.dumps(body) if body is not None else None
    return json.dumps(event)


def chat(stream: bool) -> dict[str, object]:
    return {
        "model": "auto",
        "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 16,
        "stream": stream,
    }


def assertions(test: integ.IntegTest, plan: Plan, stacks: DeploymentStacks) -> None:
    router = stacks.inference.router
    assert router is not None
    models = test.assertions.invoke_function(
        function_name=router.function.function_name, payload=proxy_event("GET", "/models")
    )
    models.expect(
        integ.ExpectedResult.object_like(
            {"StatusCode": 200, "Payload": integ.Match.string_like_regexp('"statusCode": ?200')}
        )
    )
    for stream in (False, True):
        answer = test.assertions.invoke_function(
            function_name=router.stream_function.function_name,
            payload=proxy_event("POST", "/chat/completions", chat(stream)),
        )
        # Not streamed: one JSON completion; streamed: server-sent "data:" chunks.
        text = "chat.completion" if not stream else "data:"
        answer.expect(
            integ.ExpectedResult.object_like(
                {"StatusCode": 200, "Payload": integ.Match.string_like_regexp(text)}
            )
        )
    alarm_state(test, stacks)


if __name__ == "__main__":
    run("router", assertions)
