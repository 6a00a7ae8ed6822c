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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from deepseek_cdk.names import ROUTER_URL_OUTPUT, artifacts_bucket_name, stack_names
from deepseek_cdk.ops.aws import AwsProblem, Clients, aws_call, aws_problem, call
from deepseek_cdk.planning import Plan, TierPlan
from deepseek_cdk.runtime.router.contract import (
    ASYNC_INVOCATION_TIMEOUT_S,
    JOB_DONE,
    JOB_EXPIRED,
    JOB_FAILED,
    JOB_UNCONFIRMED,
    BadRequest,
    ChatRequest,
    StreamStop,
    fits_context,
    model_chunks,
    parse_body,
    stream_error_said,
)

POLL_SECONDS = 5


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
    action = f"sagemaker:InvokeEndpointWithResponseStream on {tier.endpoint_name}"
    result = aws_call(
        action,
        clients("sagemaker-runtime").invoke_endpoint_with_response_stream,
        **stream_target(tier),
        ContentType="application/json",
        Accept="application/json",
        Body=request.model_body(stream=True),
    )
    return _print_events(model_events(result["Body"]), out)


def model_events(body: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The model's event stream as the router's server-sent events: a `data:` line a chunk, an
    error object for whatever stops it (contract.model_chunks reads both)."""
    for item in model_chunks(body, stopped=stream_stopped):
        if isinstance(item, StreamStop):
            error = {"message": item.message, "type": item.kind, "code": item.kind}
            yield b"data: " + json.dumps({"error": error}).encode() + b"\n\n"
        else:
            yield b"data: " + json.dumps(item[0]).encode() + b"\n\n"


def stream_stopped(err: Exception) -> str:
    """What broke a model's stream, as the router tells its clients (contract.stream_error_said)."""
    from botocore.exceptions import EventStreamError

    if isinstance(err, EventStreamError):
        error = err.response.get("Error", {})
        return stream_error_said(str(error.get("Code") or ""), str(error.get("Message") or ""))
    return type(err).__name__


def stream_target(tier: TierPlan) -> dict[str, str]:
    """Where a real-time or inference-component tier's requests go: its endpoint and, for
    inference components, its first live version's component."""
    target = {"EndpointName": tier.endpoint_name}
    if tier.endpoint.per_component:
        live = [v for v in tier.capacity.live if v.slot is not None]
        target["InferenceComponentName"] = tier.component_name(str(live[0].slot))
    return target


def _print_events(lines: Iterable[bytes], out: Output) -> int:
    """Print server-sent events of chat-completion chunks as they come: 1 when one was an
    error, else 0."""
    failed = False
    for line in lines:
        data = line.strip().removeprefix(b"data:").strip()
        if not data:
            continue
        if data == b"[DONE]":
            break
        try:
            chunk = json.loads(data)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message", "the answer stopped") if isinstance(error, dict) else str(error)
            print(f"\ndeepseek-cdk: {message}", file=out.notes)
            failed = True
            continue
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            _write(out.notes, delta.get("reasoning") or delta.get("reasoning_content"))
            _write(out.answer, delta.get("content"))
    print(file=out.answer)
    return 1 if failed else 0


# --- through the router --------------------------------------------------------------------

Send = Callable[[str, str, bytes | None], tuple[int, Iterable[bytes]]]


def router_url(plan: Plan, clients: Clients) -> str:
    """The router's base URL, from the inference stack's output."""
    stack = stack_names(plan.deployment)[1]
    described = aws_call(
        f"cloudformation:DescribeStacks on {stack}",
        clients("cloudformation").describe_stacks,
        StackName=stack,
    )
    outputs = {
        o["OutputKey"]: o["OutputValue"] for s in described.get("Stacks", []) for o in s.get("Outputs", [])
    }
    if ROUTER_URL_OUTPUT not in outputs:
        raise AwsProblem(
            f"stack {stack} has no {ROUTER_URL_OUTPUT} output: was it deployed with a router section?"
        )
    url = str(outputs[ROUTER_URL_OUTPUT])
    if not url.startswith("https://"):
        raise AwsProblem(f"stack {stack}: {ROUTER_URL_OUTPUT} is not an https URL (got {url[:100]!r})")
    return url if url.endswith("/") else url + "/"


def sigv4_send(region: str) -> Send:
    """Requests signed with the caller's credentials for execute-api (API Gateway, IAM auth)."""
    import urllib.error
    import urllib.request

    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise AwsProblem(
            "no AWS credentials: set AWS_PROFILE (or run `aws configure` / `aws sso login`) and try again"
        )

    def send(method: str, url: str, body: bytes | None) -> tuple[int, Iterable[bytes]]:
        request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "execute-api", region).add_auth(request)
        # The URL is the stack's https output (router_url checks the scheme).
        prepared = urllib.request.Request(url, data=body, method=method, headers=dict(request.headers))  # noqa: S310
        try:
            response = urllib.request.urlopen(prepared, timeout=900)  # noqa: S310 - an https URL from the stack
        except urllib.error.HTTPError as err:
            return err.code, [err.read()]
        except urllib.error.URLError as err:
            raise AwsProblem(f"{method} {url}: cannot reach the router ({err.reason})") from None
        return response.status, response

    return send


def invoke_via_router(
    plan: Plan,
    tier: TierPlan,
    request: ChatRequest,
    url: str,
    send: Send,
    out: Output,
    *,
    wait_seconds: int = 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """The request through the router: streamed from POST stream for real-time kinds, or
    POST invoke then GET jobs/{id} until the job ends for an async tier."""
    body = json.dumps(
        {"messages": list(request.messages), "max_tokens": request.max_tokens, "tier": tier.name}
    )
    if not tier.endpoint.queued:
        status, lines = send("POST", url + "stream", body.encode())
        if status != 200:
            return _router_refused(status, lines, out)
        return _print_events(_lines(lines), out)
    status, lines = send("POST", url + "invoke", body.encode())
    if status != 202:
        return _router_refused(status, lines, out)
    submitted = json.loads(b"".join(lines))
    job_id = submitted["job_id"]
    print(f"submitted through the router: job {job_id[:24]}...", file=out.notes)
    if submitted.get("status") == JOB_UNCONFIRMED:
        print(f"unconfirmed: {submitted.get('detail')}", file=out.notes)

    def check() -> int | None:
        status, lines = send("GET", url + f"jobs/{job_id}", None)
        if status != 200:
            return _router_refused(status, lines, out)
        job = json.loads(b"".join(lines))
        if job.get("status") == JOB_DONE:
            print(file=out.notes)
            if "result_url" in job:
                print(
                    f"the result ({job['result_bytes']:,} bytes) is at: {job['result_url']}", file=out.answer
                )
            else:
                _print_completion(json.dumps(job.get("result")).encode(), out)
            return 0
        if job.get("status") == JOB_FAILED:
            return _failed(
                job.get("error") if "error" in job else f"its error is at {job.get('error_url')}", out
            )
        if job.get("status") == JOB_EXPIRED:
            print(f"\ndeepseek-cdk: the job expired: {job.get('error')}", file=out.notes)
            return 1
        return None

    return _poll(check, job_id, out, wait_seconds=wait_seconds, sleep=sleep)


def _lines(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Whole lines from a body read in pieces."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
    if pending:
        yield pending


def _router_refused(status: int, lines: Iterable[bytes], out: Output) -> int:
    raw = b"".join(lines)
    try:
        answer = json.loads(raw)
        detail = answer.get("error", "") + (f" (field {answer['field']})" if answer.get("field") else "")
    except (ValueError, AttributeError, TypeError):
        detail = raw.decode(errors="replace")[:300]
    print(f"deepseek-cdk: the router answered {status}: {detail}", file=out.notes)
    return 1


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

    def check() -> int | None:
        body = _read_if_there(output, clients)
        if body is not None:
            print(file=out.notes)
            _print_completion(body, out)
            return 0
        error = _read_if_there(failure, clients) if failure else None
        return _failed(error.decode(errors="replace"), out) if error is not None else None

    return _poll(check, output, out, wait_seconds=wait_seconds, sleep=sleep)


def _poll(
    check: Callable[[], int | None],
    job: str,
    out: Output,
    *,
    wait_seconds: int,
    sleep: Callable[[float], None],
) -> int:
    """Call `check` every POLL_SECONDS until it gives an exit code or `wait_seconds` pass,
    showing the seconds waited."""
    waited = 0
    while (code := check()) is None:
        if waited >= wait_seconds:
            print(f"\ndeepseek-cdk: no result after {waited} s; the job goes on: {job}", file=out.notes)
            return 1
        print(f"\rwaiting for the result: {waited} s", end="", file=out.notes, flush=True)
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS
    return code


def _failed(error: object, out: Output) -> int:
    print(f"\ndeepseek-cdk: the job failed: {str(error)[:2000]}", file=out.notes)
    return 1


def _read_if_there(uri: str, clients: Clients) -> bytes | None:
    from botocore.exceptions import ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        obj = call(f"s3:GetObject on {uri}", clients("s3").get_object, Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise aws_problem(f"s3:GetObject on {uri}", err) from None
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


__all__ = [
    "BadRequest",
    "Output",
    "chat_request",
    "invoke",
    "invoke_via_router",
    "require_in_service",
    "router_url",
    "sigv4_send",
]
