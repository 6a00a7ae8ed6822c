"""`deepseek-cdk invoke`: one request straight to a tier's endpoint, as a smoke test after a
deploy, with the operator's credentials.

- Real-time and inference-component tiers: InvokeEndpointWithResponseStream with the chat
  request the router would send (runtime.router.contract), the answer printed as the model
  writes it: the answer on stdout, the chain of thought on stderr. An inference-component
  tier is asked through its first live version's component.
- Async tiers: the request is stored under the tier's requests prefix in the artifacts
  bucket, submitted with InvokeEndpointAsync, and its result or failure object polled until
  one appears, with the seconds waited on stderr.
The endpoint must be InService first. Every AWS problem is one line (ops.aws).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from deepseek_cdk.names import artifacts_bucket_name, component_name
from deepseek_cdk.ops.aws import AwsProblem, Clients, call
from deepseek_cdk.planning import Plan, TierPlan
from deepseek_cdk.runtime.router.contract import BadRequest, ChatRequest, fits_context, parse_body

POLL_SECONDS = 5
ASYNC_INVOCATION_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Output:
    answer: TextIO = sys.stdout
    notes: TextIO = sys.stderr  # the chain of thought, progress, where the result is


def chat_request(tier: TierPlan, prompt: str, max_tokens: int) -> ChatRequest:
    """The request the router would send; BadRequest names what does not fit the tier."""
    request = parse_body({"prompt": prompt, "max_tokens": max_tokens})
    fits_context(request, context_tokens=tier.max_context_tokens, tier=tier.name)
    return request


def invoke(
    plan: Plan,
    tier: TierPlan,
    request: ChatRequest,
    clients: Clients,
    out: Output,
    *,
    wait_seconds: int = 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send the request; 0 when an answer came, 1 when the model or the job failed."""
    require_in_service(tier.endpoint_name, clients)
    if tier.endpoint.queued:
        return _invoke_async(plan, tier, request, clients, out, wait_seconds=wait_seconds, sleep=sleep)
    return _invoke_streaming(tier, request, clients, out)


def require_in_service(endpoint: str, clients: Clients) -> None:
    action = f"sagemaker:DescribeEndpoint on {endpoint}"
    described = aws_call(action, clients("sagemaker").describe_endpoint, EndpointName=endpoint)
    status = described.get("EndpointStatus", "")
    if status != "InService":
        reason = described.get("FailureReason")
        raise AwsProblem(
            f"endpoint {endpoint} is {status}, not InService" + (f": {reason}" if reason else "")
        )


def _invoke_streaming(tier: TierPlan, request: ChatRequest, clients: Clients, out: Output) -> int:
    from deepseek_cdk.runtime.router.streaming import events

    args: dict[str, Any] = {
        "EndpointName": tier.endpoint_name,
        "ContentType": "application/json",
        "Accept": "application/json",
        "Body": request.model_body(stream=True),
    }
    if tier.endpoint.per_component:
        live = [v for v in tier.capacity.live if v.slot is not None]
        args["InferenceComponentName"] = component_name(tier.endpoint_name, str(live[0].slot))
    action = f"sagemaker:InvokeEndpointWithResponseStream on {tier.endpoint_name}"
    result = aws_call(action, clients("sagemaker-runtime").invoke_endpoint_with_response_stream, **args)
    failed = False
    for event in events(result["Body"]):
        data = event.strip().removeprefix(b"data:").strip()
        if data == b"[DONE]":
            break
        chunk = json.loads(data)
        if "error" in chunk:
            print(f"\ndeepseek-cdk: {chunk['error'].get('message', 'the answer stopped')}", file=out.notes)
            failed = True
            continue
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            _write(out.notes, delta.get("reasoning") or delta.get("reasoning_content"))
            _write(out.answer, delta.get("content"))
    print(file=out.answer)
    return 1 if failed else 0


def _invoke_async(
    plan: Plan,
    tier: TierPlan,
    request: ChatRequest,
    clients: Clients,
    out: Output,
    *,
    wait_seconds: int,
    sleep: Callable[[float], None],
) -> int:
    assert tier.queue is not None, "an async tier has queue prefixes"
    identity = aws_call("sts:GetCallerIdentity", clients("sts").get_caller_identity)
    region = plan.region or clients("sts").meta.region_name
    bucket = artifacts_bucket_name(plan.deployment, plan.account or identity["Account"], region)
    key = f"{tier.queue.requests}{uuid.uuid4().hex}.json"
    aws_call(
        f"s3:PutObject on s3://{bucket}/{key}",
        clients("s3").put_object,
        Bucket=bucket,
        Key=key,
        Body=request.model_body(),
        ContentType="application/json",
    )
    accepted = aws_call(
        f"sagemaker:InvokeEndpointAsync on {tier.endpoint_name}",
        clients("sagemaker-runtime").invoke_endpoint_async,
        EndpointName=tier.endpoint_name,
        ContentType="application/json",
        InputLocation=f"s3://{bucket}/{key}",
        InvocationTimeoutSeconds=ASYNC_INVOCATION_TIMEOUT_S,
    )
    output, failure = accepted["OutputLocation"], accepted.get("FailureLocation")
    print(f"submitted; the result will be at {output}", file=out.notes)
    waited = 0
    while True:
        body = _read_if_there(output, clients)
        if body is not None:
            print(file=out.notes)
            _print_completion(body, out)
            return 0
        error = _read_if_there(failure, clients) if failure else None
        if error is not None:
            print(f"\ndeepseek-cdk: the job failed: {error.decode(errors='replace')[:2000]}", file=out.notes)
            return 1
        if waited >= wait_seconds:
            print(f"\ndeepseek-cdk: no result after {waited} s; the job goes on: {output}", file=out.notes)
            return 1
        print(f"\rwaiting for the result: {waited} s", end="", file=out.notes, flush=True)
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def _read_if_there(uri: str, clients: Clients) -> bytes | None:
    from botocore.exceptions import ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        obj = call(f"s3:GetObject on {uri}", clients("s3").get_object, Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise _problem(f"s3:GetObject on {uri}", err) from None
    return bytes(obj["Body"].read())


def _print_completion(body: bytes, out: Output) -> None:
    try:
        completion = json.loads(body)
        message = completion["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        print(body.decode(errors="replace"), file=out.answer)
        return
    _write(out.notes, (message.get("reasoning") or message.get("reasoning_content") or "") + "\n")
    print(message.get("content", ""), file=out.answer)


def _write(stream: TextIO, text: Any) -> None:
    if isinstance(text, str) and text:
        stream.write(text)
        stream.flush()


def aws_call(action: str, function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """`call`, with every other AWS error as one line too (a missing endpoint, a bad request)."""
    from botocore.exceptions import ClientError

    try:
        return call(action, function, **kwargs)
    except ClientError as err:
        raise _problem(action, err) from None


def _problem(action: str, err: Any) -> AwsProblem:
    error = err.response.get("Error", {})
    message = " ".join(str(error.get("Message", "")).split())[:300]
    return AwsProblem(f"{action}: {error.get('Code', 'error')}" + (f": {message}" if message else ""))


__all__ = ["BadRequest", "Output", "aws_call", "chat_request", "invoke", "require_in_service"]
