"""`deepseek-cdk simulate --fleet`: a shared fleet's members replayed together, the report's
figures, and one clear line for each bad input (exit 2, never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepseek_cdk.cli import main
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import load_deployment

ROOT = Path(__file__).resolve().parents[2]
FLEET = str(ROOT / "deployments/examples/shared-fleet.yaml")


def test_a_scenario_replays_every_member_on_the_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", FLEET, "--fleet", "shared", "--scenario", "steady"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fleet shared on ml.p4d.24xlarge: scenario steady, 1440 minutes from ")
    assert "  member                                  chat         coder     reasoning" in out
    assert "copies that found no room: " in out and "minutes at the fleet's max (2 instances): " in out
    assert "hour  instances in service  launching (max)  chat copies  coder copies  reasoning copies" in out


def test_the_json_report_bills_the_fleets_instances_and_each_members_gpu_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", FLEET, "--fleet", "shared", "--scenario", "spike", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    fleet = build_plan(load_deployment(Path(FLEET))).fleet("shared")
    totals = report["totals"]
    assert totals["cost"] == pytest.approx(totals["instance_hours"] * fleet.price.usd_per_hour)
    shares = sum(m["plan"]["cost"] for m in report["members"].values())
    assert totals["members_gpu_shares"] == pytest.approx(shares)
    assert totals["idle_gpus"] == pytest.approx(totals["cost"] - shares)
    assert totals["lower_bound"]["cost"] <= totals["cost"]
    assert set(report["members"]) == {"chat", "coder", "reasoning"}
    plan = build_plan(load_deployment(Path(FLEET)))
    for name, member in report["members"].items():  # hours named for what they count: copies
        assert "instance_hours" not in member["plan"]
        share = plan.tier(name).price.usd_per_hour
        assert member["plan"]["cost"] == pytest.approx(member["plan"]["copy_hours"] * share)
    assert len(report["per_minute"]) == report["minutes"] == 1440
    assert max(m["in_service"] + m["launching"] for m in report["per_minute"]) <= 2


def test_a_member_without_a_trace_gets_no_traffic_and_the_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "chat.csv"
    trace.write_text("minute,requests\n" + "".join(f"{m},30\n" for m in range(60)))
    assert main(["simulate", FLEET, "--fleet", "shared", "--trace", f"chat={trace}", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["members"]["chat"]["plan"]["requests"] == 1800
    assert report["members"]["coder"]["plan"]["requests"] == 0
    assert report["members"]["coder"]["traffic"] == "none: no --trace given for it"
    assert main(["simulate", FLEET, "--fleet", "shared", "--trace", f"chat={trace}"]) == 0
    out = capsys.readouterr().out
    assert "  coder: no traffic (none: no --trace given for it)" in out
    assert "  reasoning: no traffic (none: no --trace given for it)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fleet", "nope", "--scenario", "steady"], "--fleet: no fleet is named 'nope'; fleets: shared"),
        (
            ["--fleet", "shared", "--tier", "chat", "--scenario", "steady"],
            "--fleet: give --tier NAME (one tier) or --fleet NAME (a shared fleet's members), not both",
        ),
        (
            ["--scenario", "steady"],
            "--tier or --fleet: give the tier to replay, or the shared fleet whose members to replay",
        ),
        (
            ["--fleet", "shared", "--trace", "writer=a.csv"],
            "--trace: tier 'writer' is not a member of fleet shared; members: chat, coder, reasoning",
        ),
        (
            ["--fleet", "shared", "--trace", "a.csv"],
            "--trace: with --fleet, give TIER=CSV, one per member tier (got 'a.csv')",
        ),
        (["--fleet", "shared", "--trace", "=a.csv"], "--trace: with --fleet, give TIER=CSV"),
        (["--fleet", "shared", "--trace", "chat="], "--trace: with --fleet, give TIER=CSV"),
        (
            ["--fleet", "shared", "--trace", "chat=a.csv", "--trace", "chat=b.csv"],
            "--trace: two traces for chat; give one CSV per member tier",
        ),
        (
            ["--fleet", "shared", "--scenario", "steady", "--compare", "naive"],
            "--compare: replays one tier; with --fleet leave it out, or give --tier NAME for a member alone",
        ),
        (
            ["--tier", "chat", "--trace", "a.csv", "--trace", "b.csv"],
            "--trace: one CSV with --tier (got 2); TIER=CSV per member is for --fleet",
        ),
    ],
)
def test_bad_fleet_inputs_get_one_line_naming_the_flag(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", FLEET, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"deepseek-cdk: {message}")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_member_trace_file_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", FLEET, "--fleet", "shared", "--trace", "chat=/no/such.csv"]) == 2
    err = capsys.readouterr().err
    assert "/no/such.csv" in err and len(err.strip().splitlines()) == 1


def test_the_docs_show_the_fleets_replay_as_the_cli_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    marker = (
        "`deepseek-cdk simulate deployments/examples/shared-fleet.yaml --fleet shared --scenario diurnal` "
        "prints:\n\n```\n"
    )
    text = (ROOT / "docs/simulation.md").read_text()
    start = text.index(marker) + len(marker)
    assert main(["simulate", FLEET, "--fleet", "shared", "--scenario", "diurnal"]) == 0
    assert text[start : text.index("```", start)] == capsys.readouterr().out
