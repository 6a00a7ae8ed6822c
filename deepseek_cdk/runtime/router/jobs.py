"""Async job ids: what POST /invoke answers an async request with and GET /jobs/{id} reads
back. An id is `<payload>.<mac>`, both base64url: the payload names the tier, the result keys,
when SageMaker accepted the job and, for a submission SageMaker did not answer, that it is
unconfirmed; an HMAC-SHA256 under the deployment's job key (read by async_jobs.job_key) proves
the router wrote it. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from .contract import BadRequest, RouterConfig, Tier

JOB_ID_CHARS = 2048
JOB_KEYS = {"t", "o", "f", "a"}  # tier, output key, failure key, accepted (epoch seconds)
UNCONFIRMED = "u"  # 1 in the ids of submissions SageMaker did not answer; absent otherwise


@dataclass(frozen=True)
class Job:
    """What a verified job id says."""

    tier: Tier
    output_key: str
    failure_key: str  # "" when SageMaker named none: GET /jobs/{id} looks it up
    accepted: int  # epoch seconds: when SageMaker accepted it (or the router last tried)
    unconfirmed: bool = False  # SageMaker never answered the submission


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_job(job: dict[str, str | int], key: bytes) -> str:
    """`<payload>.<mac>`, both base64url: the payload names the tier (t), the result keys (o,
    f), when SageMaker accepted the job (a, epoch seconds) and, only when SageMaker did not
    answer the submission, u: 1; the HMAC-SHA256 proves the router wrote it."""
    payload = json.dumps(job, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(hmac.new(key, payload, hashlib.sha256).digest())}"


_JOB_ID = re.compile(r"([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})")


def verify_job(config: RouterConfig, job_id: str, key: bytes) -> Job:
    """What a job id this router signed says, for an id exactly of a shape it signs (JOB_KEYS,
    and UNCONFIRMED: 1 or nothing, so ids issued before the flag still read); BadRequest("id")
    otherwise. Ids signed before the acceptance time was added have another shape and are
    refused."""
    refused = BadRequest("id", "not a job id returned by POST /invoke")
    match = _JOB_ID.fullmatch(job_id) if len(job_id) <= JOB_ID_CHARS else None
    if match is None:
        raise refused
    try:
        payload = base64.urlsafe_b64decode(match.group(1) + "=" * (-len(match.group(1)) % 4))
        mac = base64.urlsafe_b64decode(match.group(2) + "=")
    except ValueError:  # a length base64 cannot have
        raise refused from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    # The MAC must be the one encoding of the digest: base64 ignores the last character's spare
    # bits, so without this, four spellings of one id would pass.
    if _b64(mac) != match.group(2) or not hmac.compare_digest(mac, expected):
        raise refused
    try:
        job = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise refused from None
    if (
        not isinstance(job, dict)
        or set(job) - {UNCONFIRMED} != JOB_KEYS
        or (UNCONFIRMED in job and (type(job[UNCONFIRMED]) is not int or job[UNCONFIRMED] != 1))
        or not all(isinstance(job[k], str) for k in ("t", "o", "f"))
        or isinstance(job["a"], bool)
        or not isinstance(job["a"], int)
        or job["a"] < 0
    ):
        raise refused
    tier = config.tiers.get(job["t"])
    # Only keys under this tier's result prefixes, even for a signed id (a key that changed).
    if (
        tier is None
        or not tier.queued
        or not job["o"].startswith(tier.responses_prefix)
        or not (job["f"] == "" or job["f"].startswith(tier.failures_prefix))
    ):
        raise refused
    return Job(tier, job["o"], job["f"], job["a"], unconfirmed=UNCONFIRMED in job)
