"""How much the deployment adds to a CDK synth: the default app against an empty CDK app,
each in a new process (as `cdk synth` runs it), measured in the same run.

    python -m benchmarks.bench_synth [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMPTY_APP = "import aws_cdk as cdk\ncdk.App().synth()\n"


def median_seconds(args: list[str], runs: int) -> float:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as outdir:
            env = {**os.environ, "CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": json.dumps(context)}
            start = time.perf_counter()
            subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    empty = median_seconds([sys.executable, "-c", EMPTY_APP], runs)
    default = median_seconds([sys.executable, "app.py"], runs)
    print(f"empty CDK app synth: {empty:.2f} s (median of {runs})")
    print(f"default deployment synth (2 stacks, 4 cdk-nag packs): {default:.2f} s (median of {runs})")
    print(f"ratio default / empty: {default / empty:.2f}")


if __name__ == "__main__":
    main()
