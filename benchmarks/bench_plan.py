"""How long `deepseek-cdk plan` takes: the whole command as a user runs it (wall clock and the
CPU the process uses, against a goal of 0.3 s of CPU), and planning alone.

    python -m benchmarks.bench_plan [--runs N]

Prints medians; nothing here is asserted, numbers go in notes and the docs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import load_deployment

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    "deployments/default.yaml",
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("deployments/examples/*.yaml")),
]


def median_seconds(action: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# What any `plan` costs before this project's code: Python, PyYAML and pydantic with one
# model. Measured in the same run, it shows how fast the machine is at the moment.
FLOOR = "import yaml\nfrom pydantic import BaseModel\nclass One(BaseModel):\n    x: int\n"


def cpu_seconds(args: list[str]) -> float:
    """One process: the CPU it used (user + system)."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed (wait status {status})")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs

    def command() -> None:
        subprocess.run(
            [sys.executable, "-m", "deepseek_cdk.cli", "plan"], cwd=ROOT, check=True, capture_output=True
        )

    def planning() -> None:
        for f in FILES:
            build_plan(load_deployment(ROOT / f))

    whole = median_seconds(command, runs) * 1000
    plan_cpu, floor_cpu = [], []
    for _ in range(runs):  # in turn, so the machine's drift falls on both alike
        plan_cpu.append(cpu_seconds([sys.executable, "-m", "deepseek_cdk.cli", "plan"]))
        floor_cpu.append(cpu_seconds([sys.executable, "-c", FLOOR]))
    cpu, floor = statistics.median(plan_cpu) * 1000, statistics.median(floor_cpu) * 1000
    per_file = median_seconds(planning, runs) / len(FILES) * 1000
    print(
        f"deepseek-cdk plan, new process, default deployment: {whole:.0f} ms (median of {runs}), "
        f"{cpu:.0f} ms of CPU (median; goal 300 ms)"
    )
    print(f"Python, PyYAML and pydantic with one model (a plan's floor): {floor:.0f} ms of CPU (median)")
    print(f"load + plan in process, per file ({len(FILES)} files): {per_file:.2f} ms (median of {runs})")


if __name__ == "__main__":
    main()
