"""The router's config (ROUTER_CONFIG): written by the RequestRouter construct with to_json, read
by the handlers with from_json. One record for both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .routes import BUFFERED_SECONDS

UNKNOWN_VERSION = "unknown"  # no variant reported, and the tier has more than one version


@dataclass(frozen=True)
class Tier:
    """What the router knows of one tier: its endpoint, its kind and the limits it enforces."""

    name: str
    queued: bool  # an async tier: requests go through S3 and SageMaker's queue
    endpoint: str
    context_tokens: int  # prompt + answer
    buffered_max_tokens: int  # the longest answer POST /invoke waits for (real-time kinds)
    stream_max_tokens: int  # the longest answer POST /stream carries (real-time kinds)
    components: tuple[tuple[str, float], ...] = ()  # (inference component name, weight)
    bucket: str = ""
    requests_prefix: str = ""
    responses_prefix: str = ""
    failures_prefix: str = ""
    # (variant or inference component name, version name): what the metrics call the version
    versions: tuple[tuple[str, str], ...] = ()

    def version_of(self, served_by: str) -> str:
        """The version whose variant (SageMaker's InvokedProductionVariant) or inference
        component served a request. A name the config does not list is reported as itself;
        with no name (async endpoints report none), the tier's one version."""
        names = dict(self.versions)
        if served_by:
            return names.get(served_by, served_by)
        return next(iter(names.values())) if len(names) == 1 else UNKNOWN_VERSION

    def to_json(self) -> dict[str, Any]:
        """The tier in ROUTER_CONFIG: the answer limits for real-time kinds, the bucket and
        prefixes for async ones, components and versions when it has them."""
        config: dict[str, Any] = {
            "queued": self.queued,
            "endpoint": self.endpoint,
            "context_tokens": self.context_tokens,
        }
        if not self.queued:
            config |= {
                "buffered_max_tokens": self.buffered_max_tokens,
                "stream_max_tokens": self.stream_max_tokens,
            }
        if self.components:
            config["components"] = [[name, weight] for name, weight in self.components]
        if self.versions:
            config["versions"] = dict(self.versions)
        if self.queued:
            config |= {
                "bucket": self.bucket,
                "requests_prefix": self.requests_prefix,
                "responses_prefix": self.responses_prefix,
                "failures_prefix": self.failures_prefix,
            }
        return config


@dataclass(frozen=True)
class RouterConfig:
    """The router's whole configuration: the construct writes it as JSON, the Lambda reads it."""

    default_tier: str
    tiers: dict[str, Tier]
    rules: tuple[dict[str, Any], ...]
    max_body_bytes: int
    time_budget_seconds: float
    job_key_secret: str = ""  # ARN of the secret whose value signs job ids (async tiers)
    deployment: str = ""  # the deployment's name, a dimension of every metric (none: no metrics)

    @classmethod
    def from_json(cls, text: str) -> RouterConfig:
        data = json.loads(text)
        tiers = {
            name: Tier(
                name=name,
                queued=bool(t["queued"]),
                endpoint=t["endpoint"],
                context_tokens=int(t["context_tokens"]),
                buffered_max_tokens=int(t.get("buffered_max_tokens", t["context_tokens"])),
                stream_max_tokens=int(t.get("stream_max_tokens", t["context_tokens"])),
                components=tuple((c[0], float(c[1])) for c in t.get("components", [])),
                bucket=t.get("bucket", ""),
                requests_prefix=t.get("requests_prefix", ""),
                responses_prefix=t.get("responses_prefix", ""),
                failures_prefix=t.get("failures_prefix", ""),
                versions=tuple((str(k), str(v)) for k, v in t.get("versions", {}).items()),
            )
            for name, t in data["tiers"].items()
        }
        return cls(
            default_tier=data["default_tier"],
            tiers=tiers,
            rules=tuple(data.get("rules", [])),
            max_body_bytes=int(data.get("max_body_bytes", 256 * 1024)),
            time_budget_seconds=float(data.get("time_budget_seconds", BUFFERED_SECONDS)),
            job_key_secret=str(data.get("job_key_secret", "")),
            deployment=str(data.get("deployment", "")),
        )

    def to_json(self) -> dict[str, Any]:
        """The config as the RequestRouter construct writes it (ROUTER_CONFIG): from_json reads
        it back. A tier carries only the keys of its kind."""
        return {
            "deployment": self.deployment,
            "default_tier": self.default_tier,
            "tiers": {name: tier.to_json() for name, tier in self.tiers.items()},
            "rules": [dict(r) for r in self.rules],
            "max_body_bytes": self.max_body_bytes,
            "time_budget_seconds": self.time_budget_seconds,
            "job_key_secret": self.job_key_secret,
        }
