"""`deepseek-cdk cost` on a shared fleet: the fleet whole against its tiers on endpoints of their
own, the saving or the extra in each column, and a total that counts the fleet once; and
`simulate` on a member, which says what it replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepseek_cdk.cli import main
from deepseek_cdk.cli.cost import cost_report, render_cost
from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import load_deployment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(load_deployment(ROOT / "deployments/examples/shared-fleet.yaml"))


def test_the_report_sets_the_fleet_against_three_endpoints(plan: Plan) -> None:
    (fleet,) = cost_report(plan)["fleets"]
    monthly, apart = fleet["monthly"], fleet["separate_endpoints"]["monthly"]
    assert fleet["members"] == ["chat", "coder", "reasoning"]
    assert set(fleet["separate_endpoints"]["tiers"]) == {"chat", "coder", "reasoning"}
    for key in ("at_min", "expected", "at_max"):
        assert fleet["saving"][key] == pytest.approx(apart[key] - monthly[key])
        assert fleet["members_shares"][key] + fleet["idle_gpus"][key] == pytest.approx(monthly[key])
    # Sharing pays at the traffic and at the max; at the floor one 8-GPU instance runs for a
    # single chat copy, which costs more than that copy on an endpoint of its own.
    assert fleet["saving"]["expected"] > 0 and fleet["saving"]["at_max"] > 0
    assert fleet["saving"]["at_min"] < 0


def test_the_total_counts_the_fleet_whole_once(plan: Plan) -> None:
    report = cost_report(plan)
    (fleet,) = report["fleets"]
    assert report["total"]["at_max"] == fleet["monthly"]["at_max"]
    assert report["total"]["at_max"] > sum(t["monthly"]["at_min"] for t in report["tiers"])


def test_the_text_says_what_sharing_saves_and_what_it_costs_more(plan: Plan) -> None:
    text = render_cost(plan)
    (line,) = [line for line in text.splitlines() if line.startswith("  sharing ")]
    assert "costs $" in line and " more at min; saves $" in line and " expected; saves $" in line
    assert "(chat on ml.g5.12xlarge, coder on ml.p4d.24xlarge, reasoning on ml.p4d.24xlarge)" in line


def test_simulate_on_a_fleet_member_says_it_replays_the_tier_alone_and_points_to_the_fleet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(ROOT / "deployments/examples/shared-fleet.yaml")
    assert main(["simulate", path, "--tier", "coder", "--scenario", "steady"]) == 0
    out = capsys.readouterr().out
    assert "coder shares fleet shared: replayed alone" in out
    assert "the fleet's 1-2 instances do not bind. Replay the members together" in out
    assert "--fleet shared" in out
    assert main(["simulate", path, "--tier", "coder", "--scenario", "steady", "--json"]) == 0
    assert '"replayed": "alone"' in capsys.readouterr().out


def fleet_section(output: str) -> str:
    """From the line that starts with `Fleet ` to the next blank line."""
    lines = output.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("Fleet "))
    end = next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))
    return "".join(lines[first:end])


@pytest.mark.parametrize(
    ("page", "marker", "command"),
    [
        (
            "cost.md",
            "`deepseek-cdk cost deployments/examples/shared-fleet.yaml` ends with the fleet:",
            "cost",
        ),
        (
            "request-types.md",
            "`deepseek-cdk plan deployments/examples/shared-fleet.yaml` prints the fleet:",
            "plan",
        ),
    ],
)
def test_the_docs_show_the_fleet_as_the_cli_prints_it(
    capsys: pytest.CaptureFixture[str], page: str, marker: str, command: str
) -> None:
    text = (ROOT / "docs" / page).read_text()
    start = text.index(marker + "\n\n```\n") + len(marker + "\n\n```\n")
    assert main([command, str(ROOT / "deployments/examples/shared-fleet.yaml")]) == 0
    assert text[start : text.index("```", start)] == fleet_section(capsys.readouterr().out)
