"""boto3 clients with retries, and AWS errors as one clear line each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Throttling and transient errors are retried with exponential backoff and jitter (botocore's
# adaptive mode adds client-side rate limiting on top).
MAX_ATTEMPTS = 8
RETRIES = {"max_attempts": MAX_ATTEMPTS, "mode": "adaptive"}
NO_REGION = "no AWS region: set `region` in the deployment spec, or AWS_DEFAULT_REGION"


class AwsProblem(Exception):
    """An AWS call that failed for a reason the operator can act on; str() is one line."""


class Clients:
    """Creates each client once, in one region, with retries; tests replace `make`."""

    def __init__(self, region: str | None, make: Callable[[str, str | None], Any] | None = None) -> None:
        self.region = region
        self._make = make or boto3_client
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._make(service, self.region)
        return self._clients[service]


def boto3_client(service: str, region: str | None, *, attempts: int = MAX_ATTEMPTS) -> Any:
    """A boto3 client with adaptive retries (`attempts` in all); AwsProblem without boto3 or a
    region."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise AwsProblem("this command needs boto3: pip install 'deepseek-cdk[ops]'") from None
    from botocore.exceptions import NoRegionError

    try:
        return boto3.client(
            service, region_name=region, config=Config(retries={**RETRIES, "max_attempts": attempts})
        )
    except NoRegionError:
        raise AwsProblem(NO_REGION) from None


def call(action: str, function: Callable[..., T], /, **kwargs: Any) -> T:
    """Call `function`; turn credential, permission and throttling failures into AwsProblem
    naming `action` (e.g. "s3:ListBucket on s3://bucket/prefix/")."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    try:
        return function(**kwargs)
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsProblem(
            "no AWS credentials: set AWS_PROFILE (or run `aws configure` / `aws sso login`) and try again"
        ) from None
    except NoRegionError:
        raise AwsProblem(NO_REGION) from None
    except EndpointConnectionError as err:
        raise AwsProblem(f"{action}: cannot reach AWS ({err})") from None
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            raise AwsProblem("the AWS credentials have expired: refresh them (`aws sso login`)") from None
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"):
            raise AwsProblem(f"access denied: {action} is not allowed for these credentials") from None
        if code in ("Throttling", "ThrottlingException", "TooManyRequestsException"):
            raise AwsProblem(f"{action}: still throttled after {RETRIES['max_attempts']} attempts") from None
        raise
    except BotoCoreError as err:  # anything else botocore raises, as one line
        raise AwsProblem(f"{action}: {err}") from None


def aws_call(action: str, function: Callable[..., T], /, **kwargs: Any) -> T:
    """`call`, with every other AWS error as one line too (a missing endpoint, a bad request)."""
    from botocore.exceptions import ClientError

    try:
        return call(action, function, **kwargs)
    except ClientError as err:
        raise aws_problem(action, err) from None


def aws_problem(action: str, err: Any) -> AwsProblem:
    """A botocore ClientError as one line: the action, the error code and its message."""
    error = err.response.get("Error", {})
    message = " ".join(str(error.get("Message", "")).split())[:300]
    return AwsProblem(f"{action}: {error.get('Code', 'error')}" + (f": {message}" if message else ""))
