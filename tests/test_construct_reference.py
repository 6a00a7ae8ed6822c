"""docs/constructs.md: every construct the package exports has a section, and every example
is a complete app that synthesizes (each in its own directory, without this project's
cdk.json)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import deepseek_cdk.constructs as constructs

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "constructs.md"
# Value types and helpers documented inside the sections of the constructs that take them.
DOCUMENTED_WITHIN = {
    "AlarmSettings",
    "BlueGreen",
    "Component",
    "DashboardTier",
    "DataCapture",
    "EndpointKind",
    "EndpointMonitoring",
    "Hosting",
    "Retention",
    "RoutedTier",
    "RouterOptions",
    "S3Prefix",
    "ScalableKind",
    "ScheduledCapacity",
    "Throttling",
    "Variant",
}


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", REFERENCE.read_text(), flags=re.DOTALL)


def test_every_exported_construct_has_a_section() -> None:
    headings = " ".join(re.findall(r"^## (.+)$", REFERENCE.read_text(), flags=re.MULTILINE))
    missing = [name for name in constructs.__all__ if name not in DOCUMENTED_WITHIN and name not in headings]
    assert missing == []
    text = REFERENCE.read_text()
    assert [name for name in DOCUMENTED_WITHIN if name not in text] == []


def test_every_section_has_an_example_of_its_construct() -> None:
    sections = re.split(r"^## ", REFERENCE.read_text(), flags=re.MULTILINE)[1:]
    used = " ".join(examples())
    for section in sections:
        heading = section.splitlines()[0]
        first = heading.split(",")[0].strip()
        # CapacityScaling comes from auto_scale_instance_count; Notifications appear in the
        # monitoring example, which needs them.
        made = "auto_scale_instance_count(" if first == "CapacityScaling" else f"{first}("
        assert made in used, heading
        assert "```python" in section or first == "Notifications", heading


@pytest.mark.parametrize("index", range(len(examples())))
def test_an_example_synthesizes_in_a_new_app(index: int, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(examples()[index])
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
    assert list((tmp_path / "cdk.out").glob("*.template.json")), "the example synthesized no stack"
