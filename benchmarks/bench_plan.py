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


def command_cpu_seconds() -> float:
    """One `deepseek-cdk plan` in a new process: the CPU it used (user + system)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "deepseek_cdk.cli", "plan"], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"deepseek-cdk plan failed (wait status {status})")
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
    cpu = statistics.median(command_cpu_seconds() for _ in range(runs)) * 1000
    per_file = median_seconds(planning, runs) / len(FILES) * 1000
    print(
        f"deepseek-cdk plan, new process, default deployment: {whole:.0f} ms (median of {runs}), "
        f"{cpu:.0f} ms of CPU (median; goal 300 ms)"
    )
    print(f"load + plan in process, per file ({len(FILES)} files): {per_file:.2f} ms (median of {runs})")


if __name__ == "__main__":
    main()
