"""How much the deployment adds to a CDK synth: the default app against an empty CDK app,
each in a new process (as `cdk synth` runs it), measured in the same run; the milliseconds a
synthesized resource costs above the empty app (goal: 45), and how that grows with the number
of tiers (copies of the default's chat tier): the time one more tier adds, from 1 to 4 tiers
and from 4 to 8 (alike when synth grows linearly).

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
from itertools import pairwise
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EMPTY_APP = "import aws_cdk as cdk\ncdk.App().synth()\n"
TIER_COUNTS = (1, 4, 8)


def median_seconds(args: list[str], runs: int, deployment: str | None = None) -> tuple[float, int]:
    """The median synth time of `args` and the resources its templates hold."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    if deployment is not None:
        context = {**context, "deployment": deployment}
    times, resources = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as outdir:
            env = {**os.environ, "CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": json.dumps(context)}
            start = time.perf_counter()
            subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
            resources = sum(
                len(json.loads(t.read_text()).get("Resources", {}))
                for t in Path(outdir).glob("*.template.json")
            )
    return statistics.median(times), resources


def tiers_file(count: int, directory: Path) -> str:
    """A deployment of `count` copies of the default's chat tier (and no router)."""
    default = yaml.safe_load((ROOT / "deployments" / "default.yaml").read_text())
    chat = next(t for t in default["tiers"] if t["name"] == "chat")
    spec = {"name": f"bench{count}", "tiers": [{**chat, "name": f"chat{i}"} for i in range(count)]}
    path = directory / f"tiers-{count}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    empty, _ = median_seconds([sys.executable, "-c", EMPTY_APP], runs)
    default, resources = median_seconds([sys.executable, "app.py"], runs)
    print(f"empty CDK app synth: {empty:.2f} s (median of {runs})")
    print(
        f"default deployment synth (2 stacks, 4 cdk-nag packs): {default:.2f} s (median of {runs}), "
        f"{resources} resources: {(default - empty) / resources * 1000:.0f} ms a resource above the "
        "empty app (goal 45)"
    )
    with tempfile.TemporaryDirectory() as directory:
        files = {count: tiers_file(count, Path(directory)) for count in TIER_COUNTS}
        # Rounds of every count in turn, so the machine's drift falls on all of them alike.
        rounds = [
            {count: median_seconds([sys.executable, "app.py"], 1, file) for count, file in files.items()}
            for _ in range(runs)
        ]
    measured = [
        (count, statistics.median(r[count][0] for r in rounds), rounds[0][count][1]) for count in TIER_COUNTS
    ]
    for count, seconds, resources in measured:
        print(f"{count} real-time tier(s): {seconds:.2f} s, {resources} resources (median of {runs})")
    for (first, first_s, first_r), (last, last_s, last_r) in pairwise(measured):
        per_tier_s = (last_s - first_s) / (last - first)
        per_resource_ms = (last_s - first_s) / (last_r - first_r) * 1000
        print(
            f"each added tier, {first} to {last} tiers: {per_tier_s * 1000:.0f} ms and "
            f"{(last_r - first_r) // (last - first)} resources ({per_resource_ms:.0f} ms a resource)"
        )


if __name__ == "__main__":
    main()
