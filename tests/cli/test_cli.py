"""`deepseek-cdk plan` through a subprocess, as users run it: output, JSON, exit codes."""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import load_deployment

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The CLI in a new process, run in `cwd`, importing this checkout's package."""
    return subprocess.run(
        [sys.executable, "-m", "deepseek_cdk.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@functools.cache
def shipped(*args: str) -> subprocess.CompletedProcess[str]:
    """`run` with arguments naming only the repository's files, which no test changes: once a worker."""
    return run(*args)


def test_plan_of_the_default_deployment() -> None:
    result = shipped("plan")
    assert result.returncode == 0, result.stderr
    assert "Tier chat: realtime" in result.stdout
    assert "deepseek-r1-distill-qwen-7b" in result.stdout
    assert "/month" in result.stdout


def test_plan_json_is_the_same_plan() -> None:
    result = shipped("plan", "deployments/examples/chat-and-reasoning.yaml", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [t["name"] for t in plan["tiers"]] == ["chat", "reasoning"]
    assert plan["tiers"][1]["endpoint"] == "async"
    assert plan["tiers"][1]["memory"]["problem"] is None


def test_unknown_price_is_said_not_guessed() -> None:
    result = shipped("plan", "deployments/examples/r1-full.yaml")
    assert result.returncode == 0, result.stderr
    assert "unknown: ml.p5e.48xlarge: no price in the catalog" in result.stdout
    assert "Total: unknown: the catalog has no price for reasoning (ml.p5e.48xlarge)" in result.stdout
    assert "$0-$0" not in result.stdout  # an unknown price is never shown as zero


def test_bad_spec_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntiers:\n  - {name: a, model: deepseek-r9, scaling: {minimum: 1}}\n")
    result = run("plan", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "has 2 problem(s)" in result.stderr
    assert "tiers[0].model: unknown model" in result.stderr
    assert "tiers[0].scaling.minimum: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_that_cannot_fit_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "nofit.yaml"
    bad.write_text(
        "name: x\ntiers:\n  - {name: a, model: deepseek-r1-distill-llama-70b, instance_type: ml.g5.xlarge}\n"
    )
    result = run("plan", str(bad))
    assert result.returncode == 2
    assert "tiers[0].instance_type: ml.g5.xlarge cannot hold" in result.stderr


def test_missing_file_exits_2() -> None:
    result = shipped("plan", "deployments/absent.yaml")
    assert result.returncode == 2
    assert "cannot read the deployment file" in result.stderr


def test_usage_error_exits_2() -> None:
    assert shipped("deploy").returncode == 2


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_plan_imports_only_what_it_prints(flags: list[str]) -> None:
    """`plan` never loads the CDK (it runs without Node), and each command's module loads only
    when it is chosen: never the simulator, the traces or the AWS tools (the CPU a `plan`
    takes: benchmarks/bench_plan.py)."""
    code = (
        "import sys\n"
        "from deepseek_cdk import cli\n"
        f"assert cli.main(['plan', *{flags!r}]) == 0\n"
        "cdk = ('aws_cdk', 'jsii', 'constructs', 'cdk_nag')\n"
        "unused = ('deepseek_cdk.planning.simulate', 'deepseek_cdk.planning.traces', 'deepseek_cdk.ops',\n"
        "          'deepseek_cdk.cli.simulate', 'deepseek_cdk.cli.invoke', 'deepseek_cdk.cli.loadtest')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in cdk or m.startswith(unused))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "deepseek-cdk"
    result = subprocess.run(
        [str(script), "plan"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_plan_shows_the_scaling_target_its_derivation_and_the_week() -> None:
    result = shipped("plan", "deployments/examples/scheduled-chat.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    target = (
        build_plan(load_deployment("deployments/examples/scheduled-chat.yaml")).tier("chat").scaling.target
    )
    assert (
        f"ConcurrentRequestsPerModel, its one-minute average (customized metric), target {target.target:g}"
        in out
    )
    assert f"= {target.derivation}" in out and target.derivation.startswith("the smallest of 16 (memory)")
    assert "office-hours: cron(0 8 ? * MON-FRI *) Europe/Berlin, min 3" in out
    assert "Mon 07:00-Mon 18:00: 3-6" in out
    assert "'launch-day' fires on dates" in out
    assert "5% of requests and answers to capture/chat/ in the artifacts bucket, as JSON text" in out


def test_plan_says_the_budget_needs_the_cost_allocation_tag() -> None:
    with_budget = shipped("plan", "deployments/examples/chat-and-reasoning.yaml")
    assert "Budget: $25,000/month on the cost-allocation tag deployment=chatreason." in with_budget.stdout
    assert "counts nothing until `deployment` is activated as a cost-allocation tag" in with_budget.stdout
    assert "Budget:" not in shipped("plan").stdout  # the default deployment sets no budget


def test_plan_shows_when_a_tier_without_capacity_pages() -> None:
    result = shipped("plan")
    assert "requests waiting with no instance for 32 min" in result.stdout
    assert "a cold start may take up to 1920 s" in result.stdout


def test_plan_prints_the_answer_limits_the_router_enforces() -> None:
    from deepseek_cdk.planning import build_plan
    from deepseek_cdk.spec import load_deployment

    chat = build_plan(load_deployment(ROOT / "deployments/default.yaml")).tier("chat")
    result = shipped("plan")
    assert (
        f"POST /invoke up to {chat.answers.buffered_max_tokens} tokens, "
        f"POST /stream up to {chat.answers.stream_max_tokens} (estimate)"
    ) in result.stdout


def test_the_plan_page_shows_the_plan_the_cli_prints() -> None:
    readme = (ROOT / "docs" / "plan.md").read_text()
    start = readme.index("The default deployment prints:\n\n```\n") + len(
        "The default deployment prints:\n\n```\n"
    )
    assert readme[start : readme.index("```", start)] == shipped("plan").stdout


def test_plan_shows_where_the_router_sends_long_answers() -> None:
    result = shipped("plan")
    assert "Router: default tier chat" in result.stdout
    assert "  rule: max_tokens_at_least 4096 -> reasoning" in result.stdout
    assert (
        "rules send max_tokens >= 4096 to an async tier (a request naming tier chat streams them)"
        in result.stdout
    )
    assert "Router:" not in shipped("plan", "deployments/examples/r1-full.yaml").stdout  # no router section


def test_plan_prints_the_scale_from_zero_cooldown_only_for_tiers_that_reach_zero() -> None:
    out = shipped("plan").stdout
    assert out.count("from zero 1920 s (the cold start)") == 1  # reasoning reaches 0 at night; chat never
    assert (
        "answers" not in shipped("plan", "deployments/examples/r1-full.yaml").stdout
    )  # no router, no routes


def test_plan_warns_when_the_traffic_needs_more_than_max(tmp_path: Path) -> None:
    spec = tmp_path / "busy.yaml"
    spec.write_text(
        "name: busy\n"
        "tiers:\n"
        "  - {name: chat, model: deepseek-r1-distill-qwen-7b, scaling: {min: 1, max: 2, metric: invocations, "
        "max_rps: 1}}\n"
        "traffic:\n"
        "  chat: {peak_rps: 3, daily_pattern: nightly-batch, timezone: Asia/Tokyo}\n"
    )
    result = run("plan", str(spec))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Target 1 x 60 x 0.5 = 30 a minute: 0.5 requests/s per instance, 6 for the peak.
    assert "peak 3 requests/s, nightly-batch: the peak every day 00:00-06:00 Asia/Tokyo, 5% of it" in out
    assert "one instance serves 0.50 requests/s at the scaling target, 30 invocations a minute" in out
    assert "the peak needs 6 instances" in out
    assert "WARNING: short 42 h a week" in out
    assert "/month at the traffic (estimate)" in out


def test_plan_prints_what_every_version_costs_and_how_it_rolls_out() -> None:
    """The numbers in the versions, rollout and versioning rows are the plan's (which the
    stack tests hold to the template)."""
    from deepseek_cdk.planning import build_plan
    from deepseek_cdk.spec import load_deployment

    path = "deployments/examples/canary-with-shadow.yaml"
    result = run("plan", path)
    assert result.returncode == 0, result.stderr
    chat = build_plan(load_deployment(ROOT / path)).tier("chat")
    v1, v2, _ = chat.versions
    out = result.stdout
    assert (
        f"v1 100% of requests (variant live-1): 2-6 instances, starts with 2; "
        f"${v1.monthly_at_min:,.0f}-${v1.monthly_at_max:,.0f}/month; approved, settings {v1.settings_hash}"
    ) in out
    assert v2.monthly_at_min == v2.monthly_at_max  # 2-2 instances: one figure
    shadow_row = "v2 shadow of 20% of requests (variant shadow): 2-2 instances, starts with 2"
    assert f"{shadow_row}; ${v2.monthly_at_min:,.0f}/month" in out
    assert "v3 staged: model and registry entry only, no instances, $0; pending" in out
    assert chat.rollout is not None and chat.rollout.cost_per_rollout is not None
    rollout = chat.rollout
    assert (
        f"~${rollout.cost_per_rollout:,.0f}-${rollout.cost_per_rollout_at_max:,.0f} per rollout (estimate)"
        in out
    )
    # The shadow runs 2-2 instances: one figure.
    low, high = chat.versioning.extra_monthly_at_min, chat.versioning.extra_monthly_at_max
    assert low == high
    assert f"running 3 versions costs ${low:,.0f}/month more than one" in out
    assert "Retention (artifacts bucket): replaced weights under models/" in out
    assert "Async prompts" not in out  # no async tier, no async data


def test_plan_says_what_a_deploy_does_to_copies_and_to_a_running_schedule() -> None:
    copies = shipped("plan", "deployments/examples/scale-to-zero.yaml").stdout
    assert (
        "on deploy    an update of component live-1 (a new model, resources or start-up timeouts) sets it "
        "to 1 copy (CopyCount; CloudFormation cannot keep the count autoscaling reached)" in copies
    )
    default = shipped("plan").stdout  # the async tier's workday schedule; the chat tier has none
    assert default.count("on deploy") == 1
    assert (
        "on deploy    an update of the scaling bounds or schedules sets min-max back to 0-4 instances until "
        "the next schedule fires" in default
    )
    assert "CopyCount" not in default  # variants keep their count (RetainAllVariantProperties)


def test_plan_says_who_reads_an_async_tiers_job_notices() -> None:
    mailed = shipped("plan", "deployments/examples/chat-and-reasoning.yaml").stdout
    assert (
        "job notices  failed jobs: one e-mail each to ops@example.com (the alarm_email), with the job's "
        "error under async/reasoning/failures/" in mailed
    )
    unread = shipped("plan").stdout  # the default deployment has no alarm_email
    assert "failed jobs: the error topic has no subscriber (no alarm_email)" in unread
    for out in (mailed, unread):
        assert "finished jobs: the success topic has no subscriber" in out
        assert out.count("job notices") == 1  # the async tier only


def test_plan_says_how_long_async_prompts_and_results_stay(tmp_path: Path) -> None:
    data = yaml.safe_load(Path("deployments/default.yaml").read_text())
    data["retention"] = {"async_days": 7}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    out = run("plan", str(path)).stdout
    assert (
        "Async prompts, results and failures under async/reasoning/ are deleted 7 days after they were "
        "written." in out
    )
    assert "deleted 30 days after" in shipped("plan").stdout  # the default


def test_cost_text_is_the_json_rendered() -> None:
    path = "deployments/examples/chat-and-reasoning.yaml"
    text, data = run("cost", path), run("cost", path, "--json")
    assert text.returncode == 0 and data.returncode == 0, text.stderr + data.stderr
    report = json.loads(data.stdout)
    chat, reasoning = report["tiers"]
    tier_rows = [line.split() for line in text.stdout.splitlines() if line.startswith("  tier ")]
    assert tier_rows == [
        ["tier", *(f"${t['monthly'][k]:,.0f}" for k in ("at_min", "expected", "at_max"))]
        for t in (chat, reasoning)
    ]
    total = report["total"]
    assert total["at_min"] == pytest.approx(chat["monthly"]["at_min"] + reasoning["monthly"]["at_min"])
    assert total["expected"] == pytest.approx(chat["monthly"]["expected"] + reasoning["monthly"]["expected"])
    assert f"Total: ${total['at_min']:,.0f} at min, ${total['expected']:,.0f} expected" in text.stdout
    # The example's budget sits below its expected cost, and the report says so.
    assert report["budget_per_month"] < total["expected"]
    assert "the expected cost is ABOVE it" in text.stdout
    for api in chat["apis"]:
        unlike = f" [{api['model']} API vs this {chat['model']} tier: unlike models]"
        assert (
            f"vs {api['name']}{unlike} (${api['per_million_output_tokens']:,.2f} per million output tokens"
            in text.stdout
        )
    assert "API prices: deepseek-api as of 2025-01-20" in text.stdout


def test_cost_of_a_bad_spec_exits_2() -> None:
    result = shipped("cost", "tests/cli/missing.yaml")
    assert result.returncode == 2
    assert "cannot read the deployment file" in result.stderr


def test_the_cost_page_shows_the_cost_report_the_cli_prints() -> None:
    readme = (ROOT / "docs" / "cost.md").read_text()
    marker = "`deepseek-cdk cost deployments/examples/chat-and-reasoning.yaml` prints:\n\n```\n"
    start = readme.index(marker) + len(marker)
    assert (
        readme[start : readme.index("```", start)]
        == shipped("cost", "deployments/examples/chat-and-reasoning.yaml").stdout
    )


def test_simulate_replays_a_scenario_against_the_oracle() -> None:
    path = "deployments/examples/chat-and-reasoning.yaml"
    text = run("simulate", path, "--tier", "reasoning", "--scenario", "spike")
    data = run("simulate", path, "--tier", "reasoning", "--scenario", "spike", "--json")
    assert text.returncode == 0 and data.returncode == 0, text.stderr + data.stderr
    report = json.loads(data.stdout)
    assert report["minutes"] == 1440 == len(report["per_minute"])
    plan, best = report["plan"], report["oracle"]
    assert plan["requests"] == best["requests"] > 0
    assert f"{plan['minutes_out_of_slo']} ({plan['share_out_of_slo']:.1%})" in text.stdout
    (ratio_row,) = [line for line in text.stdout.splitlines() if line.strip().startswith("cost / oracle")]
    assert f"{report['cost_ratio_to_oracle']:.2f}" in ratio_row
    assert plan["startup_s"] == build_plan(load_deployment(path)).tier("reasoning").typical_start_s


def test_simulate_compares_the_naive_configuration_and_takes_its_flags() -> None:
    args = ["simulate", "--tier", "chat", "--scenario", "steady", "--json"]
    default = json.loads(run(*args).stdout)
    assert "naive" not in default and default["start"] == "2024-01-01T00:00:00Z"  # a Monday
    flagged = run(
        *args,
        "--compare",
        "naive",
        "--worst-case-startup",
        "--billing-from",
        "in-service",
        "--start",
        "2026-12-10T18:00",
    )
    report = json.loads(flagged.stdout)
    tier = build_plan(load_deployment(None)).tier("chat")
    assert report["naive"]["requests"] == report["plan"]["requests"]
    assert report["plan"]["startup_s"] == tier.cold_start_s and report["plan"]["billing"] == "in-service"
    assert report["start"] == "2026-12-10T18:00:00Z"
    text = shipped("simulate", "--tier", "chat", "--scenario", "steady", "--compare", "naive").stdout
    assert "naive" in text.splitlines()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "Thursday"], "--start: 'Thursday' is not a date and time"),
        (["--startup-seconds", "10", "--worst-case-startup"], "not allowed with argument"),
        (["--billing-from", "never"], "invalid choice: 'never'"),
    ],
)
def test_simulate_refuses_bad_flags_in_one_line(args: list[str], message: str) -> None:
    result = run("simulate", "--tier", "chat", "--scenario", "steady", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_simulate_reads_a_trace_and_names_its_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "rates.csv"
    good.write_text("minute,requests\n0,3\n1,4\n2,5\n")
    result = run("simulate", "--tier", "chat", "--trace", str(good), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plan"]["requests"] == 12
    bad = tmp_path / "bad.csv"
    bad.write_text("minute,requests\n0,3\n1,four\n")
    result = run("simulate", "--tier", "chat", "--trace", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3: requests 'four' is not a whole number" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--tier", "nope", "--scenario", "steady"],
            "--tier: no tier is named 'nope'; tiers: chat, reasoning",
        ),
        (["--tier", "chat", "--scenario", "steady", "--scale", "0"], "--scale: must be above 0"),
        (
            ["--tier", "chat", "--scenario", "steady", "--startup-seconds", "-5"],
            "--startup-seconds: must be 0-7200",
        ),
        (["--tier", "chat", "--trace", "missing.csv"], "missing.csv: cannot read the trace"),
    ],
)
def test_simulate_refuses_bad_arguments(args: list[str], message: str) -> None:
    result = run("simulate", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_simulate_plots_demand_capacity_and_latency(tmp_path: Path) -> None:
    image = tmp_path / "replay.png"
    result = run("simulate", "--tier", "reasoning", "--scenario", "spike", "--plot", str(image))
    assert result.returncode == 0, result.stderr
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    unwritable = run(
        "simulate", "--tier", "reasoning", "--scenario", "spike", "--plot", str(tmp_path / "no" / "x.png")
    )
    assert unwritable.returncode == 2
    assert "--plot: cannot write" in unwritable.stderr


def test_cost_shows_the_rollout_figures_the_plan_prints() -> None:
    from deepseek_cdk.planning import build_plan
    from deepseek_cdk.spec import load_deployment

    path = "deployments/examples/canary-with-shadow.yaml"
    rollout = build_plan(load_deployment(ROOT / path)).tier("chat").rollout
    assert rollout is not None
    instances = f"{rollout.extra_instances}-{rollout.extra_instances_at_max} more instances"
    dollars = f"~${rollout.cost_per_rollout:,.0f}-${rollout.cost_per_rollout_at_max:,.0f}"
    cost, plan = run("cost", path).stdout, run("plan", path).stdout
    assert f"a rollout runs {instances}: {dollars} each" in cost
    assert f"a rollout runs {instances} (at the tier's min-max)" in plan
    assert f"{dollars} per rollout (estimate)" in plan


def test_a_budget_with_no_priced_tier_is_not_called_within_it() -> None:
    out = shipped("cost", "deployments/examples/r1-full.yaml").stdout
    assert "no tier has a price to compare with it" in out
    assert "within it" not in out


def test_preflight_without_credentials_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deepseek_cdk.cli",
            "preflight",
            "deployments/examples/canary-with-shadow.yaml",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("deepseek-cdk: no AWS credentials: set AWS_PROFILE")


def test_cost_labels_a_comparison_with_another_models_api() -> None:
    text = shipped("cost").stdout
    # The default tiers serve distills; the default API prices are full R1's.
    assert "vs deepseek-api [deepseek-r1 API vs this deepseek-r1-distill-qwen-7b tier: unlike models]" in text
    report = json.loads(shipped("cost", "--json").stdout)
    apis = report["tiers"][0]["apis"]
    assert {api["model"] for api in apis} == {"deepseek-r1"} and not any(api["same_model"] for api in apis)


def test_the_default_file_is_the_one_in_the_current_directory(tmp_path: Path) -> None:
    missing = run("plan", cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith(f"deepseek-cdk: no deployments/default.yaml in {tmp_path}")
    (tmp_path / "deployments").mkdir()
    own = (ROOT / "deployments" / "default.yaml").read_text().replace("name: deepseek", "name: mine")
    (tmp_path / "deployments" / "default.yaml").write_text(own)
    assert run("plan", cwd=tmp_path).stdout.startswith("Deployment mine ")


def test_version_and_a_closed_pipe_end_quietly() -> None:
    version = shipped("--version")
    assert version.returncode == 0 and version.stdout.startswith("deepseek-cdk 0.")
    # A report far larger than a pipe's buffer: `head` closes the pipe while it is written.
    command = (
        f"'{sys.executable}' -m deepseek_cdk.cli simulate --tier chat --scenario steady --json | head -1"
    )
    piped = subprocess.run(  # noqa: S602 - a fixed command: the pipe is what is tested
        command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert piped.stdout == "{\n" and piped.stderr == ""
