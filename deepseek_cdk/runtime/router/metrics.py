"""What the router measures of each request it serves, as CloudWatch Embedded Metric Format
(EMF) documents: one JSON object per line of the function's log, from which CloudWatch Logs
extracts the metrics. No PutMetricData call on the request path, no dependency.

The document (CloudWatch User Guide, "Specification: Embedded metric format", read
2026-12): `_aws.Timestamp` in milliseconds since the epoch; `_aws.CloudWatchMetrics`, one
directive with the Namespace, the dimension sets (lists of root keys with string values)
and the metric definitions {Name, Unit} (root keys with numeric values). A root member is
required for every metric listed, so each line lists only the metrics it carries:

    {"_aws": {"Timestamp": 1765000000000, "CloudWatchMetrics": [{
        "Namespace": "DeepSeekCdk/Router",
        "Dimensions": [["Deployment", "Tier"], ["Deployment", "Tier", "Version"]],
        "Metrics": [{"Name": "TimeToFirstToken", "Unit": "Milliseconds"}, ...]}]},
     "Deployment": "deepseek", "Tier": "chat", "Version": "v1", "TimeToFirstToken": 812.4, ...}

The two dimension sets make two metrics of every value: per tier (the alarms on the tier's
objectives) and per tier and version (the alarms a rollout watches). Names, dimensions and
units are the contract's. Standard library only; the handlers write the lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import (
    ANSWER_LATENCY_METRIC,
    METRIC_UNITS,
    METRICS_NAMESPACE,
    OUTPUT_TOKENS_METRIC,
    STREAM_FAILURES_METRIC,
    TIER_DIMENSIONS,
    TPOT_METRIC,
    TTFT_METRIC,
    VERSION_DIMENSIONS,
)

TOKEN_FIELDS = ("content", "reasoning", "reasoning_content")  # what a delta writes tokens into


def emf_line(
    *, deployment: str, tier: str, version: str, values: Mapping[str, float], timestamp_ms: int
) -> str:
    """One EMF document (see the module's docstring) for `values` by metric name; raises
    ValueError on a value that is not a finite number, or on an empty dimension value."""
    dimensions = dict(zip(VERSION_DIMENSIONS, (deployment, tier, version), strict=True))
    if not all(dimensions.values()):
        raise ValueError(f"every dimension needs a value (got {dimensions})")
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [list(TIER_DIMENSIONS), list(VERSION_DIMENSIONS)],
                    "Metrics": [{"Name": name, "Unit": METRIC_UNITS[name]} for name in values],
                }
            ],
        },
        **dimensions,
        **values,
    }
    return json.dumps(document, allow_nan=False, separators=(",", ":"))


def completion_tokens(answer: Any) -> int | None:
    """The engine's own count of the tokens it wrote (`usage.completion_tokens`), if it sent
    one: in a buffered answer always, in a stream only in its last chunk, and only when the
    engine is asked to (vLLM's stream_options.include_usage)."""
    usage = answer.get("usage") if isinstance(answer, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else None


def carries_token(chunk: Any) -> bool:
    """A chat.completion.chunk whose delta writes text or reasoning (the first chunk, with
    only the role and an empty content, and the usage chunk write none)."""
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return isinstance(choices, list) and any(
        isinstance(choice, dict)
        and isinstance(choice.get("delta"), dict)
        and any(isinstance(choice["delta"].get(f), str) and choice["delta"][f] for f in TOKEN_FIELDS)
        for choice in choices
    )


def answer_values(completion: dict[str, Any], latency_s: float) -> dict[str, float]:
    """A buffered answer: its latency (from the request's start to the answer in hand) and
    its output tokens, when the engine counted them."""
    values: dict[str, float] = {ANSWER_LATENCY_METRIC: latency_s * 1000}
    tokens = completion_tokens(completion)
    if tokens is not None:
        values[OUTPUT_TOKENS_METRIC] = tokens
    return values


@dataclass
class StreamMeter:
    """Times one streamed answer, on the router's clock, from `started` (the request
    reaching the router): the first and last chunk that carries a token, how many did, the
    engine's own count of output tokens when it sends one, and whether the stream ended
    with an error event.

    TTFT: first token chunk - started. TPOT: (last - first) / (token chunks - 1), so a
    chunk is counted as one token even when an engine batches several into it (LMI and TGI
    send one a chunk). Output tokens: `usage.completion_tokens` when sent, else the token
    chunks."""

    started: float
    first_token: float | None = None
    last_token: float | None = None
    token_chunks: int = 0
    reported_tokens: int | None = None
    failed: bool = False

    def chunk(self, chunk: Any, at: float) -> None:
        """A data event passed on at `at`."""
        self.failed = False
        if carries_token(chunk):
            if self.first_token is None:
                self.first_token = at
            self.last_token = at
            self.token_chunks += 1
        tokens = completion_tokens(chunk)
        if tokens is not None:
            self.reported_tokens = tokens

    def error(self) -> None:
        """An error event passed on (the last event before [DONE] when the stream fails)."""
        self.failed = True

    def values(self) -> dict[str, float]:
        values: dict[str, float] = {
            STREAM_FAILURES_METRIC: int(self.failed),
            OUTPUT_TOKENS_METRIC: (
                self.reported_tokens if self.reported_tokens is not None else self.token_chunks
            ),
        }
        if self.first_token is not None:
            values[TTFT_METRIC] = (self.first_token - self.started) * 1000
        if self.first_token is not None and self.last_token is not None and self.token_chunks >= 2:
            values[TPOT_METRIC] = (self.last_token - self.first_token) * 1000 / (self.token_chunks - 1)
        return values
