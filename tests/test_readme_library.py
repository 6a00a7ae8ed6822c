"""docs/library.md's snippets, copied verbatim into a new CDK app outside this project
(no cdk.json, its own working directory), synthesize."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "library.md"


def snippets() -> list[str]:
    page = PAGE.read_text()
    assert page.startswith("# Using the constructs in your own CDK app\n")
    return re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)


def test_the_section_has_both_snippets() -> None:
    found = snippets()
    assert len(found) == 2
    assert "build_deployment" in found[0] and "RealtimeEndpoint" in found[1]


@pytest.mark.parametrize("index", [0, 1])
def test_a_snippet_synthesizes_in_a_new_app(index: int, tmp_path: Path) -> None:
    (tmp_path / "deployments").mkdir()
    shutil.copy(ROOT / "deployments" / "default.yaml", tmp_path / "deployments" / "my-deployment.yaml")
    (tmp_path / "app.py").write_text(snippets()[index])
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    templates = list((tmp_path / "cdk.out").glob("*.template.json"))
    assert templates, "the app synthesized no stack"
    # The package's stacks set weak cross-stack references themselves: no exports pin the
    # stateful stack, and CDK warns of nothing, also without this project's cdk.json.
    assert not any("Fn::ImportValue" in t.read_text() for t in templates)
    warnings = [
        entry
        for metadata in (tmp_path / "cdk.out").glob("*.metadata.json")
        for entries in json.loads(metadata.read_text()).values()
        for entry in entries
        if entry.get("type") == "aws:cdk:warning"
    ]
    assert warnings == []
