"""The RequestRouter's props, as frozen dataclasses of plain values: each tier as the router
sees it (and as the router's config holds it), the stage's throttling, and the options."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_logs as logs

from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.runtime.router import contract


@dataclass(frozen=True)
class RoutedTier:
    """A tier as the router sees it: where to send requests, and how long a prompt and an
    answer each route may carry (see deepseek_cdk.planning.answers)."""

    name: str
    kind: EndpointKind
    endpoint_name: str
    context_tokens: int  # prompt + answer
    buffered_max_tokens: int = 0  # real-time kinds: the longest answer POST /invoke waits for
    stream_max_tokens: int = 0  # real-time kinds: the longest answer POST /stream carries
    components: tuple[tuple[str, float], ...] = ()  # inference components and their weights
    # (variant or component name, version name): the version the router's metrics name when
    # SageMaker reports that variant as invoked, or the router chose that component
    versions: tuple[tuple[str, str], ...] = ()
    requests: S3Prefix | None = None  # async only
    responses: S3Prefix | None = None
    failures: S3Prefix | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", EndpointKind(self.kind))
        except ValueError:
            raise ValueError(
                f"tiers: {self.name!r}: kind must be one of {', '.join(k.value for k in EndpointKind)} "
                f"(got {self.kind!r})"
            ) from None

    def config(self) -> contract.Tier:
        """The tier as the router's config holds it (contract.Tier.to_json writes it)."""
        queued = self.kind.queued
        if queued:
            assert self.requests and self.responses and self.failures
        return contract.Tier(
            name=self.name,
            queued=queued,
            endpoint=self.endpoint_name,
            context_tokens=self.context_tokens,
            buffered_max_tokens=self.buffered_max_tokens,
            stream_max_tokens=self.stream_max_tokens,
            components=self.components,
            bucket=self.requests.bucket_name if self.requests else "",
            requests_prefix=self.requests.prefix if self.requests else "",
            responses_prefix=self.responses.prefix if self.responses else "",
            failures_prefix=self.failures.prefix if self.failures else "",
            versions=self.versions,
        )


@dataclass(frozen=True)
class Throttling:
    rate_limit: float = 20  # requests per second, steady
    burst_limit: int = 40


@dataclass(frozen=True)
class RouterOptions:
    api_key_required: bool = False  # on top of IAM: an API key and a usage plan
    throttling: Throttling = field(default_factory=Throttling)
    reserved_concurrency: int | None = None
    max_body_bytes: int = 256 * 1024
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
