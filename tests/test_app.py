"""app.py as `cdk synth` runs it: deterministic output, and clear errors without a traceback."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

import app
from tests.conftest import CDK_CONTEXT, ROOT


def run_app(outdir: Path, deployment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        # What the CDK CLI passes to the app: cdk.json's context plus -c options.
        "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "deployment": deployment}),
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_two_synths_write_byte_identical_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py as `cdk synth` runs it, in a process of its own, and its `synthesize` again in
    this one (another hash seed, another CDK runtime): the same bytes."""
    first, second = tmp_path / "a", tmp_path / "b"
    result = run_app(first, "deployments/default.yaml")
    assert result.returncode == 0, result.stderr
    context = {**CDK_CONTEXT, "deployment": "deployments/default.yaml"}
    monkeypatch.chdir(ROOT)  # where the app reads the deployment from, as run_app's process does
    app.synthesize(cdk.App(outdir=str(second), context=context))
    templates = sorted(p.name for p in first.glob("*.template.json"))
    assert templates == ["deepseek-inference.template.json", "deepseek-stateful.template.json"]
    assert sorted(p.name for p in second.glob("*.template.json")) == templates
    for name in templates:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_spec_error_stops_synth_with_the_cli_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntiers:\n  - {name: a, model: deepseek-r9}\n")
    result = run_app(tmp_path / "out", str(bad))
    assert result.returncode == 2
    assert f"deepseek-cdk: {bad} has 1 problem(s):" in result.stderr
    assert "tiers[0].model: unknown model" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "out").glob("*.template.json"))


def test_a_context_key_the_app_does_not_read_is_an_error(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "Deployment": "deployments/examples/r1-full.yaml"}),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown context key(s) Deployment; this app reads: deployment" in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_cdk_json_runs_the_app_with_the_project_venv_from_any_shell(tmp_path: Path) -> None:
    """What `npx cdk ...` does: run cdk.json's app command from the repository root, here
    with a PATH that has neither the venv nor the pinned Node on it."""
    app_command = json.loads((ROOT / "cdk.json").read_text())["app"]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),  # keeps the jsii cache
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps(
            {**CDK_CONTEXT, "deployment": "deployments/examples/scheduled-chat.yaml"}
        ),
    }
    result = subprocess.run(
        shlex.split(app_command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.glob("*.template.json")) == [
        "schedchat-inference.template.json",
        "schedchat-stateful.template.json",
    ]
