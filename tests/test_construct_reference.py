"""docs/constructs.md: every construct the package exports has a section, and every example
is a complete app that synthesizes (each in its own directory, without this project's
cdk.json)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
    "Objectives",
    "Retention",
    "RoutedTier",
    "RouterMetrics",
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


# One process runs every example in turn (each in a fresh namespace, its own directory and
# output), so the jsii runtime starts once instead of once per example. Without this
# project's cdk.json, as in a new app.
DRIVER = """
import os, runpy, sys, traceback
from pathlib import Path
import aws_cdk
# The jsii runtime read the environment when it started: give each app its outdir directly.
app_init = aws_cdk.App.__init__
def init(self, *args, **kwargs):
    kwargs.setdefault("outdir", os.environ["CDK_OUTDIR"])
    app_init(self, *args, **kwargs)
aws_cdk.App.__init__ = init
failures = []
for path in sorted(Path(sys.argv[1]).glob("example-*/app.py")):
    os.chdir(path.parent)
    os.environ["CDK_OUTDIR"] = str(path.parent / "cdk.out")
    try:
        runpy.run_path(str(path), run_name="__main__")
    except Exception:
        failures.append(path.parent.name + ": " + traceback.format_exc()[-2000:])
print("\\n".join(failures), file=sys.stderr)
sys.exit(1 if failures else 0)
"""


def test_every_example_synthesizes_in_a_new_app(tmp_path: Path) -> None:
    for index, example in enumerate(examples()):
        (tmp_path / f"example-{index:02d}").mkdir()
        (tmp_path / f"example-{index:02d}" / "app.py").write_text(example)
    env = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    for index in range(len(examples())):
        out = tmp_path / f"example-{index:02d}" / "cdk.out"
        assert list(out.glob("*.template.json")), f"example {index} synthesized no stack"
