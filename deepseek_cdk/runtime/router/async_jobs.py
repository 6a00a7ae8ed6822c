"""Async tiers: POST /invoke stores the request, queues it with InvokeEndpointAsync and answers
202 with a signed job id (jobs.py); GET /jobs/{id} reads the job's result or failure from S3.
The job-id key is read from Secrets Manager once per function instance. Standard library and
boto3 only.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from . import calls
from .calls import (
    ASYNC_TIMEOUT_ADVICE,
    MAX_RESPONSE_BYTES,
    Reply,
    busy,
    measure,
    read_timeout_until,
    respond,
    with_retries,
)
from .contract import (
    ASYNC_INVOCATION_TIMEOUT_S,
    ASYNC_JOB_LIFETIME_S,
    ASYNC_REQUEST_TTL_S,
    COMPLETION_METRIC,
    JOB_DONE,
    JOB_EXPIRED,
    JOB_FAILED,
    JOB_PENDING,
    JOB_UNCONFIRMED,
    ModelOutputError,
    RouterConfig,
    Tier,
    decode_model_json,
)
from .jobs import UNCONFIRMED, sign_job, verify_job

RESULT_URL_SECONDS = 900
# What SageMaker may take, as the router sends its limits, for the answers below.
_LIFETIME = (
    f"{ASYNC_JOB_LIFETIME_S // 3600} h {ASYNC_JOB_LIFETIME_S % 3600 // 60} min of submission, the "
    f"longest SageMaker takes ({ASYNC_REQUEST_TTL_S // 3600} h in the queue, "
    f"{ASYNC_INVOCATION_TIMEOUT_S // 3600} h to run)"
)
EXPIRED = (
    f"neither a result nor a failure was written within {_LIFETIME}: the request expired in the "
    "queue, or its result was deleted with the tier's other async objects (retention.async_days); "
    "submit it again"
)
EXPIRED_UNCONFIRMED = (
    f"SageMaker never confirmed the submission, and neither a result nor a failure was written "
    f"within {_LIFETIME}: the request was most likely never queued; submit it again"
)
UNCONFIRMED_DETAIL = (
    "SageMaker did not answer the submission (a timeout or a dropped connection), so the job may "
    "or may not be queued; do not submit it again yet: GET /jobs/{id} reads unconfirmed until a "
    f"result or a failure appears, or expired if none has within {_LIFETIME}"
)
FAILURE_KEYS_LISTED = 10  # a job has one failure object; a few more in case names start alike
T = TypeVar("T")


def submit_async(config: RouterConfig, tier: Tier, payload: bytes, deadline: float) -> dict[str, Any]:
    """Store the request, submit it, answer 202 with a signed job id. Every call reads for no
    longer than the budget left, so the answer comes inside API Gateway's 29 s.

    The job id can never be lost once SageMaker may have queued the job: everything that could
    fail is done before (the signing key is read, the request stored), and the result's key
    is known before the call. The router names the result itself with InvokeEndpointAsync's
    `Filename` ("the filename for the inference response payload stored in Amazon S3"; SageMaker
    Runtime API reference, InvokeEndpointAsync,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpointAsync.html,
    and botocore's sagemaker-runtime model, where it appeared 2026-02-20) and sends the same id
    as `InferenceId`, so the result is `<the tier's S3OutputPath>/<Filename>`, which is
    `responses_prefix + Filename`.
    SageMaker's OutputLocation, when it answers one, is used as given; an answer without it
    still gets a job id (and one log line). FailureLocation has no such parameter: without it
    the id names no failure key, and GET /jobs/{id} looks the failure up by the result's name
    (failure_key_of).

    A call that went out and got no answer (a read timeout, a connection closed before the
    answer) may have queued the job: SageMaker documents no way to ask (its response, the
    only confirmation, carries just InferenceId, OutputLocation and FailureLocation), and
    sending it again could run it twice. So it is not retried: it is answered 202 with a job
    id for the result the router named, whose status reads unconfirmed until a result or a
    failure appears, or expired after ASYNC_JOB_LIFETIME_S. A connection that never opened
    (ConnectTimeoutError) sent nothing, and stays a 504 the client may retry."""
    key = job_key(config, deadline)
    job_name = uuid.uuid4().hex  # 32 characters: Filename's maximum, InferenceId takes 64
    request_key = f"{tier.requests_prefix}{job_name}.json"
    with_retries(
        lambda: calls.client("s3", read_timeout_until(deadline)).put_object(
            Bucket=tier.bucket, Key=request_key, Body=payload, ContentType="application/json"
        ),
        deadline,
        timeout_advice=ASYNC_TIMEOUT_ADVICE,
    )

    def queue() -> dict[str, Any] | None:
        """SageMaker's answer, or None when the request went out and none came back."""
        try:
            answer: dict[str, Any] = calls.client(
                "sagemaker-runtime", read_timeout_until(deadline)
            ).invoke_endpoint_async(
                EndpointName=tier.endpoint,
                ContentType="application/json",
                InputLocation=f"s3://{tier.bucket}/{request_key}",
                RequestTTLSeconds=ASYNC_REQUEST_TTL_S,
                InvocationTimeoutSeconds=ASYNC_INVOCATION_TIMEOUT_S,
                InferenceId=job_name,
                Filename=job_name,
            )
            return answer
        except (ReadTimeoutError, ConnectionClosedError) as err:
            unanswered = {"event": "async-submission-unconfirmed", "error": type(err).__name__}
            print(json.dumps({**unanswered, "tier": tier.name, "inference_id": job_name}))
            return None

    accepted = with_retries(queue, deadline, timeout_advice=ASYNC_TIMEOUT_ADVICE)
    named = f"{tier.responses_prefix}{job_name}"
    job: dict[str, str | int] = {"t": tier.name, "o": named, "f": "", "a": int(calls.wall())}
    if accepted is None:
        job_id = sign_job({**job, UNCONFIRMED: 1}, key)
        answer = {"tier": tier.name, "job_id": job_id, "status": JOB_UNCONFIRMED}
        return respond(202, {**answer, "detail": UNCONFIRMED_DETAIL})
    output_key = s3_key(str(accepted.get("OutputLocation") or ""))
    if output_key.startswith(tier.responses_prefix):
        job["o"] = output_key
    else:
        missing = {"event": "async-output-location-missing", "tier": tier.name}
        print(json.dumps({**missing, "inference_id": job_name}))
    failure_key = s3_key(str(accepted.get("FailureLocation") or ""))
    if failure_key.startswith(tier.failures_prefix):
        job["f"] = failure_key
    return respond(202, {"tier": tier.name, "job_id": sign_job(job, key), "status": JOB_PENDING})


_job_keys: dict[str, bytes] = {}


HANDLER = "router.handler.handler"  # Lambda's _HANDLER for this module (RequestRouter sets it)
MIN_JOB_KEY_CHARS = 32  # 256 bits of HMAC-SHA256 key at 8 bits a character; the router's has 64


class UnusableJobKey(Exception):
    """The job-key secret holds no usable key: binary, empty or too short."""


def job_key(config: RouterConfig, deadline: float) -> bytes:
    """The deployment's job-id signing key, read once per function instance (at start-up, see
    load_job_key_at_start). A secret that holds no usable key is refused: 502 naming the
    cause in one log line, never a KeyError or an id signed with an empty key."""
    if not config.job_key_secret:
        raise Reply(respond(502, {"error": "the router has no job-id key; redeploy the router"}))
    if config.job_key_secret not in _job_keys:
        secret = with_retries(
            lambda: calls.client("secretsmanager", read_timeout_until(deadline)).get_secret_value(
                SecretId=config.job_key_secret
            ),
            deadline,
            timeout_advice=ASYNC_TIMEOUT_ADVICE,
        )
        try:
            _job_keys[config.job_key_secret] = usable_job_key(secret)
        except UnusableJobKey as err:
            print(json.dumps({"event": "job-key-refused", "reason": str(err)}), file=sys.stderr, flush=True)
            raise Reply(
                respond(502, {"error": "the router's job-id key is unusable; see its logs"})
            ) from None
    return _job_keys[config.job_key_secret]


def usable_job_key(secret: Mapping[str, Any]) -> bytes:
    """The key in a GetSecretValue answer: SecretString, at least MIN_JOB_KEY_CHARS long.
    GetSecretValue answers SecretBinary instead for a secret stored as binary (Secrets
    Manager API reference, GetSecretValue), which the router never writes."""
    text = secret.get("SecretString")
    if not isinstance(text, str):
        raise UnusableJobKey("the job-key secret is stored as binary (SecretBinary); store it as text")
    if len(text.strip()) < MIN_JOB_KEY_CHARS:
        raise UnusableJobKey(
            f"the job-key secret holds {len(text.strip())} characters; it needs at least {MIN_JOB_KEY_CHARS}"
        )
    return text.encode()


def load_job_key_at_start(environ: Mapping[str, str]) -> None:
    """Read the job key while the function starts (Lambda's init phase), so a secret that holds
    no usable key stops the function from starting, with its reason in the log, instead of
    failing on the first async request. A read that fails for another reason (throttling, a
    timeout) is left to the first request, which retries it."""
    if environ.get("_HANDLER") != HANDLER or "ROUTER_CONFIG" not in environ:
        return  # not the buffered function in Lambda (the streaming function, tests, tools)
    config = RouterConfig.from_json(environ["ROUTER_CONFIG"])
    if not config.job_key_secret:
        return
    try:
        secret = calls.client("secretsmanager", 5).get_secret_value(SecretId=config.job_key_secret)
    except (ClientError, BotoCoreError) as err:
        print(
            json.dumps({"event": "job-key-deferred", "error": type(err).__name__}),
            file=sys.stderr,
            flush=True,
        )
        return
    try:
        _job_keys[config.job_key_secret] = usable_job_key(secret)
    except UnusableJobKey as err:
        print(json.dumps({"event": "job-key-refused", "reason": str(err)}), file=sys.stderr, flush=True)
        raise


def job_status(config: RouterConfig, job_id: str, deadline: float) -> dict[str, Any]:
    """The job's status (contract.JOB_PENDING and the others) and its result or error: done
    while its result is there, however old; failed while its failure is; expired once neither
    is there ASYNC_JOB_LIFETIME_S after submission (the acceptance time the id carries), when
    none can come any more; pending until then (unconfirmed, for a submission SageMaker did not
    answer). A done job's JobCompletionTime (its result's LastModified - the acceptance time in
    its id) is written on every read that finds it done: the router keeps no state to know the
    first. A repeated read repeats the same value (both times are fixed per job), so it weighs
    that job more in the p90 but never adds a longer time; clients stop polling once a job is
    done."""
    if not any(tier.queued for tier in config.tiers.values()):
        return respond(404, {"error": "this router has no async tier, so no jobs", "field": "path"})
    job = verify_job(config, job_id, job_key(config, deadline))
    tier, accepted = job.tier, job.accepted
    done = read_result(tier, job.output_key, "result", deadline)
    if done is not None:
        answer, written = done
        if written is not None:
            measure(config, tier, "", lambda: {COMPLETION_METRIC: max(0.0, written - accepted) * 1000})
        return respond(200, {"status": JOB_DONE, **answer})
    failure_key = job.failure_key or failure_key_of(tier, job.output_key, deadline)
    failed = read_result(tier, failure_key, "error", deadline) if failure_key else None
    if failed is not None:
        return respond(200, {"status": JOB_FAILED, **failed[0]})
    if calls.wall() - accepted > ASYNC_JOB_LIFETIME_S:
        why = EXPIRED_UNCONFIRMED if job.unconfirmed else EXPIRED
        return respond(200, {"status": JOB_EXPIRED, "tier": tier.name, "error": why})
    return respond(200, {"status": JOB_UNCONFIRMED if job.unconfirmed else JOB_PENDING, "tier": tier.name})


def read_result(
    tier: Tier, key: str, field: str, deadline: float
) -> tuple[dict[str, Any], float | None] | None:
    """`{"tier", field: the object's content}` (JSON when it parses), or, when that answer
    would pass Lambda's response limit, `{"tier", field + "_url": a presigned GET URL valid
    for RESULT_URL_SECONDS, field + "_bytes"}`, with when the object was written (epoch
    seconds, None if S3 does not say); None while the object does not exist."""

    def get(s3: Any) -> tuple[Any, int, bytes | None]:
        obj = s3.get_object(Bucket=tier.bucket, Key=key)
        size = int(obj.get("ContentLength", 0))
        data: bytes | None = obj["Body"].read() if size <= MAX_RESPONSE_BYTES else None
        if data is None:
            obj["Body"].close()  # not read: give the connection back
        return obj.get("LastModified"), size, data

    found = from_s3(get, deadline)
    if found is None:
        return None
    modified, size, data = found
    written = modified.timestamp() if isinstance(modified, datetime) else None
    if data is not None:
        inline = {"tier": tier.name, field: decode(data)}
        if len(json.dumps(respond(200, inline))) <= MAX_RESPONSE_BYTES:
            return inline, written
    url = calls.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": tier.bucket, "Key": key}, ExpiresIn=RESULT_URL_SECONDS
    )
    return {
        "tier": tier.name,
        f"{field}_url": url,
        f"{field}_bytes": size,
        "url_expires_in_seconds": RESULT_URL_SECONDS,
    }, written


def failure_key_of(tier: Tier, output_key: str, deadline: float) -> str:
    """The failure object of a job whose id names none (SageMaker's answer had no
    FailureLocation), or "" while there is none. SageMaker writes a failed job's error under
    the endpoint config's S3FailurePath ("the Amazon S3 location to upload failure inference
    responses to": SageMaker API reference, AsyncInferenceOutputConfig,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AsyncInferenceOutputConfig.html),
    which is the tier's failures_prefix, named after the result: the router's Filename, or the
    `<inference id>.out` SageMaker chose. Neither that page nor InvokeEndpointAsync's
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpointAsync.html)
    spells the failure's own name (FailureLocation is only "the Amazon S3 URI where the inference
    failure response payload is stored"), so the router does not guess a suffix: it lists the
    keys that start with the result's name (ListBucket on that prefix is the router's) and
    takes the first whose name goes on with a separator, never another job's that merely
    starts the same way."""
    name = output_key.removeprefix(tier.responses_prefix).removesuffix(".out")
    if not name:
        return ""
    prefix = f"{tier.failures_prefix}{name}"
    listed = from_s3(
        lambda s3: s3.list_objects_v2(Bucket=tier.bucket, Prefix=prefix, MaxKeys=FAILURE_KEYS_LISTED),
        deadline,
    )
    for item in (listed or {}).get("Contents", []):
        rest = str(item.get("Key", "")).removeprefix(prefix)
        if rest == "" or rest[0] in "-_.":
            return prefix + rest
    return ""


def from_s3(call: Callable[[Any], T], deadline: float) -> T | None:
    """`call(an S3 client)` within the budget left; None when the object is not there. S3
    failures are answers: 503 with Retry-After when S3 is busy or slow, 502 otherwise."""
    try:
        return call(calls.client("s3", read_timeout_until(deadline)))
    except ClientError as err:
        code = err.response["Error"].get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in {"NoSuchKey", "404", "NotFound"}:
            return None
        if code in {"SlowDown", "ServiceUnavailable", "InternalError"} or status >= 500:
            raise Reply(busy(5)) from None
        raise Reply(respond(502, {"error": f"the job's result could not be read: {code}"})) from None
    except (ReadTimeoutError, ConnectTimeoutError, BotoCoreError):
        raise Reply(busy(5)) from None


def decode(data: bytes) -> Any:
    """A job's result or error as JSON (NaN and Infinity as null: decode_model_json), else as
    text."""
    try:
        return decode_model_json(data)[0]
    except ModelOutputError:
        return data.decode("utf-8", errors="replace")


def s3_key(uri: str) -> str:
    return uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else ""
