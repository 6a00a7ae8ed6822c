"""What the plan accepts, synth builds: specs at the limits the plan enforces (the longest
names, the most versions an endpoint takes, the most tiers) synthesize without a refusal."""

from __future__ import annotations

from typing import Any

import pytest

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks.deployment import build_deployment
from tests.conftest import TEST_ENV, make_app

LONGEST = "abcdefghijklmnopqrst"  # the longest deployment and tier name (20 characters)
COMMIT = "916b56a44061fd5cd7d6a8fb632557ed4f724f60"


def tier(name: str, endpoint: str, versions: int, **settings: Any) -> dict[str, Any]:
    weights = [100 // versions + (100 % versions if i == 0 else 0) for i in range(versions)]
    return {
        "name": name,
        "model": "deepseek-r1-distill-qwen-7b",
        "endpoint": endpoint,
        "versions": [{"name": f"v{i}", "revision": COMMIT, "weight": w} for i, w in enumerate(weights)],
        **settings,
    }


EDGES = {
    "ten-variants": [
        tier("t" * 20, "realtime", 10, instance_type="ml.g6e.12xlarge", scaling={"min": 10, "max": 10})
    ],
    "ten-components": [tier("u" * 20, "inference-components", 10, scaling={"min": 0, "max": 10})],
    "ten-tiers": [tier(f"t{i}" + "x" * 18, "realtime", 1) for i in range(9)]
    + [tier("w" * 20, "async", 1, scaling={"min": 0, "max": 2})],
}


@pytest.mark.parametrize("case", EDGES)
def test_a_spec_at_the_plans_limits_synthesizes(case: str) -> None:
    plan = build_plan(parse_deployment({"name": LONGEST, "tiers": EDGES[case]}))
    app = make_app()
    build_deployment(app, plan, env=TEST_ENV)
    assembly = app.synth()
    assert {s.stack_name for s in assembly.stacks} == {f"{LONGEST}-stateful", f"{LONGEST}-inference"}
    endpoints = [t.endpoint_name for t in plan.tiers]
    assert all(len(name) <= 63 for name in endpoints)
