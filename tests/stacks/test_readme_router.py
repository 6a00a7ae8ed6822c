"""The router examples of docs/request-types.md, as written, against the default deployment's
router: its synthesized config (so each request is held to the default plan's limits), the
router's code, SageMaker, S3 and Secrets Manager faked, behind the local emulation of API
Gateway (tests/runtime/gateway.py), which checks each SigV4 signature and streams as API
Gateway does. The examples are read from that page, so they cannot drift from what is
tested."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepseek_cdk.names import ROUTER_URL_OUTPUT, stack_names
from deepseek_cdk.runtime.router import async_jobs, calls, handler
from tests.conftest import Synthesized
from tests.runtime.gateway import COMPLETION, FakeAws, LocalGateway, aws_environment, readme_example
from tests.stacks.test_router import resources, router_config


@pytest.fixture(scope="module")
def s(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["default"]


@pytest.fixture
def gateway(s: Synthesized, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalGateway, FakeAws]]:
    """The default deployment's router behind a local API Gateway, with AWS faked."""
    config = router_config(s)
    text = json.dumps(
        {
            "deployment": config.deployment,
            "default_tier": config.default_tier,
            "tiers": {
                name: {
                    "queued": t.queued,
                    "endpoint": t.endpoint,
                    "context_tokens": t.context_tokens,
                    "buffered_max_tokens": t.buffered_max_tokens,
                    "stream_max_tokens": t.stream_max_tokens,
                    "components": [list(c) for c in t.components],
                    "bucket": t.bucket,
                    "requests_prefix": t.requests_prefix,
                    "responses_prefix": t.responses_prefix,
                    "failures_prefix": t.failures_prefix,
                    "versions": dict(t.versions),
                }
                for name, t in config.tiers.items()
            },
            "rules": list(config.rules),
            "max_body_bytes": config.max_body_bytes,
            "time_budget_seconds": config.time_budget_seconds,
            "job_key_secret": config.job_key_secret,
        }
    )
    assert handler.RouterConfig.from_json(text) == config
    aws = FakeAws()
    monkeypatch.setattr(calls, "client", aws.client)
    monkeypatch.setattr(async_jobs, "_job_keys", {})
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    with LocalGateway(text) as local:
        monkeypatch.setenv("ROUTER_URL", local.url)
        yield local, aws


def test_the_setup_reads_the_stacks_router_url_output_which_ends_in_the_stage(s: Synthesized) -> None:
    setup = readme_example("router-setup")
    assert f"--stack-name {stack_names(s.plan.deployment)[1]} " in setup
    assert f"OutputKey=='{ROUTER_URL_OUTPUT}'" in setup
    (stage,) = resources(s, "AWS::ApiGateway::Stage")
    output = s.inference.to_json()["Outputs"][ROUTER_URL_OUTPUT]["Value"]["Fn::Join"][1]
    assert output[-1] == "/" and "Stage" + stage["StageName"] in output[-2]["Ref"]  # .../v1/
    assert stage["StageName"] == "v1"


def curl_signs() -> bool:
    curl = shutil.which("curl")
    if curl is None:
        return False
    listed = subprocess.run([curl, "--help", "all"], capture_output=True, text=True, check=False).stdout
    return "--aws-sigv4" in listed


@pytest.mark.skipif(not curl_signs(), reason="needs curl 7.75 or later (--aws-sigv4)")
def test_every_curl_request_runs_as_written(gateway: tuple[LocalGateway, FakeAws]) -> None:
    local, aws = gateway
    env = {
        **{k: v for k, v in os.environ.items() if k in ("HOME", "LANG")},
        **aws_environment(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # python3
        "ROUTER_URL": local.url,
    }
    done = subprocess.run(
        ["/bin/sh", "-e", "-c", readme_example("router-requests")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = [
        (method, re.sub(r"/jobs/.+", "/jobs/{id}", path), status) for method, path, status in local.answers
    ]
    assert answers == [
        ("POST", "/v1/chat/completions", 200),  # streamed
        ("POST", "/v1/chat/completions", 200),  # one chat.completion
        ("GET", "/v1/models", 200),
        ("POST", "/v1/stream", 200),
        ("POST", "/v1/invoke", 200),  # within chat's POST /invoke limit
        ("POST", "/v1/invoke", 202),  # to the async tier
        ("GET", "/v1/jobs/{id}", 200),
    ]
    assert [name for name, _ in aws.calls] == [
        "invoke_endpoint_with_response_stream",
        "invoke_endpoint_with_response_stream",
        "invoke_endpoint_with_response_stream",
        "invoke_endpoint",
        "invoke_endpoint_async",
    ]
    out = done.stdout
    assert out.count("data: [DONE]") == 2  # the two streams
    assert '"object": "chat.completion"' in out and '"object": "list"' in out
    # curl adds no newline: the job's answer follows the buffered answer on the last line.
    assert out.endswith(
        '"status": "done", "tier": "reasoning", "result": ' + json.dumps(json.loads(COMPLETION)) + "}"
    )


def test_the_python_example_runs_as_written(gateway: tuple[LocalGateway, FakeAws]) -> None:
    local, _ = gateway
    printed = io.StringIO()  # what the example prints, apart from the router's own log lines
    namespace: dict[str, Any] = {"print": functools.partial(print, file=printed)}
    exec(readme_example("openai-client"), namespace)  # noqa: S102 - the docs' example
    exec(readme_example("openai-calls"), namespace)  # noqa: S102
    assert [(method, path) for method, path, _ in local.answers] == [
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
    ]
    assert {status for _, _, status in local.answers} == {200}
    # The streamed answer, then the whole one with its output tokens, then the models.
    assert printed.getvalue() == "2 + 2 = 4.2 + 2 = 4. 27\n['chat', 'auto']\n"
