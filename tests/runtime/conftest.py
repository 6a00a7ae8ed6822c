"""The router's test configuration and a fake clock for its time budget."""

from __future__ import annotations

import json

import pytest

from deepseek_cdk.runtime.router import async_jobs, calls

JOB_KEY_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:router-job-key"  # noqa: S105 - an ARN
JOB_KEY = b"k" * 64  # what the secret holds in these tests
# How often a local server's loop looks for shutdown() (socketserver's default is 0.5 s,
# which every test would wait at its end).
POLL_S = 0.01

CONFIG = {
    "deployment": "d",
    "default_tier": "chat",
    "tiers": {
        "chat": {
            "queued": False,
            "endpoint": "d-chat-g6e-xlarge",
            "context_tokens": 8192,
            "buffered_max_tokens": 400,
            "stream_max_tokens": 8191,
            "versions": {"live-1": "v1", "live-2": "v2"},
        },
        "fast": {
            "queued": False,
            "endpoint": "d-fast-g6-2xlarge",
            "context_tokens": 4096,
            "buffered_max_tokens": 300,
            "stream_max_tokens": 2000,
            "components": [["d-fast-g6-2xlarge-v1", 100]],
            "versions": {"d-fast-g6-2xlarge-v1": "v1"},
        },
        "reasoning": {
            "queued": True,
            "endpoint": "d-reasoning-g6e-12xlarge",
            "context_tokens": 32768,
            "bucket": "artifacts-bucket",
            "requests_prefix": "async/reasoning/requests/",
            "responses_prefix": "async/reasoning/responses/",
            "failures_prefix": "async/reasoning/failures/",
            "versions": {"live-1": "v1"},
        },
    },
    "rules": [
        {"tier": "reasoning", "max_tokens_at_least": 4096},
        {"tier": "reasoning", "prompt_chars_at_least": 8000},
        {"tier": "fast", "prompt_matches": "^(hi|hello)\\b"},
    ],
    "max_body_bytes": 1000,
    "time_budget_seconds": 10,
    "job_key_secret": JOB_KEY_SECRET,
}


WALL_START = 1_765_000_000.0  # epoch seconds at the fake clock's 0


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return WALL_START + self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(calls, "now", c.now)
    monkeypatch.setattr(calls, "sleep", c.sleep)
    monkeypatch.setattr(calls, "wall", c.wall)
    # The longest jitter every time: backoff 0.5, 1, 2, 4, 4 s, so attempts are countable.
    monkeypatch.setattr(calls.random, "uniform", lambda low, high: high)
    monkeypatch.setenv("ROUTER_CONFIG", json.dumps(CONFIG))
    monkeypatch.setattr(async_jobs, "_job_keys", {JOB_KEY_SECRET: JOB_KEY})  # as if read at start-up
    return c
