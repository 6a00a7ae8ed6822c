"""`deepseek-cdk loadtest`: statistics against known latencies (percentiles worked out by
hand), the driver on a fake clock, the measured max_rps read back by the planner, and the
command's refusals. Nothing here calls AWS."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deepseek_cdk.cli import main
from deepseek_cdk.ops import loadtest as lt
from deepseek_cdk.planning import PlanError, build_plan
from deepseek_cdk.spec import SpecError, load_deployment, parse_deployment

ROOT = Path(__file__).resolve().parents[2]
STREAM = (ROOT / "tests" / "runtime" / "shapes" / "lmi_chat_stream.jsonl").read_bytes()


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # 10 .. 1, unsorted on purpose
    assert (lt.percentile(values, 50), lt.percentile(values, 90), lt.percentile(values, 99)) == (5, 9, 10)
    assert lt.percentile([0.5, 0.2, 0.9], 50) == 0.5  # rank ceil(1.5) = 2 of [0.2, 0.5, 0.9]
    assert lt.percentile([0.5, 0.2, 0.9], 90) == 0.9
    assert lt.percentile([], 50) is None


def test_a_levels_statistics_from_known_requests() -> None:
    ok = [lt.Sample(ttft=i / 10, latency=float(i), tokens=100) for i in range(1, 11)]
    level = lt.Level(concurrency=4, seconds=20.0, samples=(*ok, lt.Sample(None, 0.0, 0, "ModelError")))
    assert level.errors == 1
    assert level.requests_per_second == 0.5  # 10 answered in 20 s; the error is not a request served
    assert level.tokens_per_second == 50.0
    assert (level.latency(50), level.latency(90), level.latency(99)) == (5.0, 9.0, 10.0)
    assert (level.ttft(50), level.ttft(90)) == (0.5, 0.9)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds


def test_one_client_sends_until_the_duration_has_passed() -> None:
    clock = FakeClock()

    def send() -> lt.Sample:
        clock.advance(2.0)
        return lt.Sample(0.1, 2.0, 50)

    level = lt.run_level(send, concurrency=1, duration=10, clock=clock)
    assert len(level.samples) == 5 and level.seconds == 10.0
    assert level.requests_per_second == 0.5


def test_failed_requests_are_counted_not_raised() -> None:
    clock = FakeClock()
    calls = itertools.count()

    def send() -> lt.Sample:
        clock.advance(1.0)
        if next(calls) % 2:
            raise TimeoutError
        return lt.Sample(0.1, 1.0, 10)

    level = lt.run_level(send, concurrency=1, duration=4, clock=clock)
    assert level.errors == 2 and len(level.ok) == 2
    assert {s.error for s in level.samples} == {None, "TimeoutError"}


def test_a_stop_ends_the_level_with_what_was_measured() -> None:
    clock, stop = FakeClock(), threading.Event()

    def send() -> lt.Sample:
        clock.advance(1.0)
        if clock() >= 3:
            stop.set()
        return lt.Sample(0.1, 1.0, 10)

    assert len(lt.run_level(send, concurrency=1, duration=100, clock=clock, stop=stop).samples) == 3


class StreamingRuntime:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
        def parts() -> Iterator[dict[str, Any]]:
            for line in STREAM.splitlines(keepends=True):
                self.clock.advance(0.25)  # each chunk arrives a quarter second after the last
                yield {"PayloadPart": {"Bytes": line}}

        return {"Body": parts()}


def test_a_streamed_request_measures_first_token_latency_and_tokens() -> None:
    clock = FakeClock()
    plan = build_plan(load_deployment(None))
    sample = lt.streamed_request(plan.tier("chat"), b"{}", StreamingRuntime(clock), clock=clock)
    # Chunks at 0.25 (role only), 0.5 and 0.75 (thinking), 1.0 and 1.25 (answer), 1.5 (the end).
    assert sample == lt.Sample(ttft=0.5, latency=1.5, tokens=4)


def level(rps: float, p90: float, errors: int = 0, instances: int = 2) -> lt.Level:
    ok = tuple(lt.Sample(0.1, p90, 10) for _ in range(int(rps * 10)))
    return lt.Level(1, 10.0, ok + tuple(lt.Sample(None, 0.0, 0, "x") for _ in range(errors)), instances)


def test_max_rps_is_the_best_level_within_the_slo_without_errors_per_instance() -> None:
    levels = [level(1.0, 10), level(3.0, 25), level(4.0, 45), level(5.0, 20, errors=1)]
    assert lt.max_rps(levels, slo_seconds=30) == 1.5  # 3 req/s at p90 25 s, on 2 instances
    assert lt.max_rps(levels, slo_seconds=None) == 2.0  # no SLO: 4 req/s
    assert lt.max_rps(levels, slo_seconds=5) is None


def test_each_level_divides_by_the_instances_it_ran_on() -> None:
    scaled_out = [level(3.0, 10, instances=1), level(4.0, 10, instances=4)]
    assert lt.max_rps(scaled_out, slo_seconds=None) == 1.0  # 4 req/s on 4, not on 1


README_LEVEL = lt.Level(
    16, 60.0, tuple(lt.Sample(2.0, 30.0, 256) for _ in range(25))
)  # 25 answers in a minute


def test_the_written_values_are_what_the_next_plan_scales_on_and_estimates_with() -> None:
    plan = build_plan(load_deployment(None))
    snippet = lt.spec_snippet(plan.tier("chat"), lt.with_instances(README_LEVEL, 2), lt.date(2026, 11, 30))
    assert snippet.startswith("# measured by deepseek-cdk loadtest on 2026-11-30: 2 instance(s) of ml.")
    measured = yaml.safe_load(snippet)["tiers"][0]
    assert measured["measured"]["concurrency"] == 8  # 16 clients over 2 instances
    spec = yaml.safe_load((ROOT / "deployments" / "default.yaml").read_text())
    chat = next(t for t in spec["tiers"] if t["name"] == measured["name"])
    chat["scaling"] = {**chat["scaling"], **measured["scaling"]}
    chat["measured"] = measured["measured"]
    tier = build_plan(parse_deployment(spec)).tier("chat")
    assert (tier.scaling.target.metric, tier.scaling.target.target) == (
        "invocations",
        pytest.approx(0.208 * 60 * 0.5, abs=0.05),
    )
    assert tier.throughput.tokens_per_second == pytest.approx(53.33, abs=0.01)  # 25 x 256 / 60 s / 2
    assert tier.throughput.basis.startswith("measured by deepseek-cdk loadtest on 2026-11-30 at 8 concurrent")
    # Measured at 8 of the batch's 16: the speed of one sequence in a full batch stays estimated.
    assert tier.answers == build_plan(load_deployment(None)).tier("chat").answers
    chat["measured"]["concurrency"] = 16
    full = build_plan(parse_deployment(spec)).tier("chat")
    assert full.answers.tokens_per_second_per_sequence == pytest.approx(53.33 / 16, abs=0.01)


def test_a_measurement_on_another_instance_or_beyond_the_batch_is_refused() -> None:
    spec = yaml.safe_load((ROOT / "deployments" / "default.yaml").read_text())
    chat = spec["tiers"][0]
    chat["measured"] = {
        "tokens_per_second": 100,
        "concurrency": 8,
        "instance_type": "ml.g6e.xlarge",
        "date": "2026-11-30",
    }
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(spec))
    assert err.value.problems[0].startswith(
        "tiers[0].measured.instance_type: measured on ml.g6e.xlarge, but the tier plans ml."
    )
    chat["measured"]["concurrency"] = 64
    with pytest.raises(SpecError) as spec_err:
        parse_deployment(spec)
    assert spec_err.value.problems[0].startswith(
        "tiers[0].measured.concurrency: measured at 64 concurrent requests"
    )


def test_an_expensive_test_needs_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text(
        "name: big\ntiers:\n  - {name: chat, model: deepseek-r1-distill-qwen-7b, "
        "instance_type: ml.g6e.12xlarge, scaling: {min: 1, max: 10}}\n"
    )
    assert main(["loadtest", str(spec), "--tier", "chat", "--duration", "600"]) == 2
    captured = capsys.readouterr()
    assert "expected cost up to $65.60" in captured.out  # 10 x $13.12/h x 3 levels x 10 min
    assert captured.err.strip() == "deepseek-cdk: --yes: the test may cost over $5; pass --yes to run it"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--tier", "reasoning"],
            "--tier: loadtest drives real-time and inference-component tiers; reasoning is async",
        ),
        (["--tier", "chat", "--concurrency", "0,4"], "--concurrency: whole numbers 1-256"),
        (["--tier", "chat", "--concurrency", "a"], "--concurrency: whole numbers 1-256"),
        (["--tier", "chat", "--duration", "1"], "--duration: 5-3600 seconds per level (got 1)"),
        (["--tier", "nope"], "--tier: no tier is named 'nope'"),
    ],
)
def test_bad_arguments_are_exit_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["loadtest", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"deepseek-cdk: {message}") and "\n" not in err


def test_ctrl_c_prints_what_was_measured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    levels = iter([lt.Level(1, 10.0, (lt.Sample(0.2, 3.0, 40),))])

    def run_level(*_: Any, **__: Any) -> lt.Level:
        try:
            return next(levels)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr("deepseek_cdk.ops.invoke.require_in_service", lambda endpoint, clients: None)
    monkeypatch.setattr(lt, "run_level", run_level)
    monkeypatch.setattr(lt, "runtime_client", lambda region: None)
    monkeypatch.setattr(lt, "serving_units", lambda tier, clients: 1)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert main(["loadtest", "--tier", "chat", "--duration", "10"]) == 1
    captured = capsys.readouterr()
    assert "stopped; what was measured so far:" in captured.err
    table = captured.out.splitlines()[-2:]
    assert table[0].startswith("concurrency  requests  errors")
    assert table[1].split()[:4] == ["1", "1", "0", "0.10"]


def test_the_readme_shows_the_snippet_the_command_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Measuring a tier", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    tier = build_plan(load_deployment(None)).tier("chat")
    assert block == lt.spec_snippet(tier, README_LEVEL, lt.date(2026, 11, 30))


def test_more_clients_than_the_batch_are_written_as_the_batch() -> None:
    tier = build_plan(load_deployment(None)).tier("chat")
    crowded = lt.Level(64, 60.0, README_LEVEL.samples, 1)
    measured = yaml.safe_load(lt.spec_snippet(tier, crowded, lt.date(2026, 11, 30)))["tiers"][0]["measured"]
    assert measured["concurrency"] == tier.max_concurrency  # the rest only queued


def test_an_unpriced_instance_needs_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "g7e.yaml"
    spec.write_text(
        "name: g7e\ntiers:\n"
        "  - {name: chat, model: deepseek-r1-distill-qwen-7b, instance_type: ml.g7e.2xlarge}\n"
    )
    assert main(["loadtest", str(spec), "--tier", "chat", "--duration", "10"]) == 2
    captured = capsys.readouterr()
    assert "expected cost unknown (no price for ml.g7e.2xlarge)" in captured.out
    assert captured.err.strip() == "deepseek-cdk: --yes: the test has no known cost; pass --yes to run it"


class RecordingRuntime(StreamingRuntime):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.calls: list[dict[str, Any]] = []

    def invoke_endpoint_with_response_stream(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return super().invoke_endpoint_with_response_stream(**kwargs)


def test_an_inference_component_tier_is_driven_and_measured_per_copy() -> None:
    """Requests go to the first live version's component; the figures divide by its copies,
    the unit its invocations target counts (one copy fills an instance)."""
    import boto3
    from botocore.stub import Stubber

    from deepseek_cdk.ops.aws import Clients

    tier = build_plan(load_deployment(ROOT / "deployments/examples/scale-to-zero.yaml")).tier("chat")
    runtime = RecordingRuntime(FakeClock())
    lt.streamed_request(tier, b"{}", runtime, clock=runtime.clock)
    (call,) = runtime.calls
    assert call["EndpointName"] == tier.endpoint_name
    assert call["InferenceComponentName"] == f"{tier.endpoint_name}-live-1"

    sagemaker = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106
    )
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "describe_inference_component",
            {
                "InferenceComponentName": call["InferenceComponentName"],
                "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:111111111111:inference-component/x",
                "EndpointName": tier.endpoint_name,
                "EndpointArn": "arn:aws:sagemaker:us-east-1:111111111111:endpoint/x",
                "CreationTime": "2026-11-30",
                "LastModifiedTime": "2026-11-30",
                "RuntimeConfig": {"DesiredCopyCount": 3, "CurrentCopyCount": 3},
            },
            {"InferenceComponentName": call["InferenceComponentName"]},
        )
        copies = lt.serving_units(tier, Clients("us-east-1", make=lambda service, region: sagemaker))
    assert copies == 3
    best = lt.Level(12, 10.0, tuple(lt.Sample(0.1, 5.0, 100) for _ in range(30)), copies)
    snippet = lt.spec_snippet(tier, best, lt.date(2026, 11, 30))
    assert snippet.startswith("# measured by deepseek-cdk loadtest on 2026-11-30: 3 copies of ")
    measured = yaml.safe_load(snippet)["tiers"][0]
    assert measured["scaling"]["max_rps"] == 1  # 3 requests/s over 3 copies
    assert measured["measured"]["concurrency"] == 4  # 12 clients over 3 copies
    # Read back, the tier tracks invocations per copy at the measured rate.
    spec = yaml.safe_load((ROOT / "deployments/examples/scale-to-zero.yaml").read_text())
    chat = next(t for t in spec["tiers"] if t["name"] == "chat")
    chat["scaling"] = {**chat["scaling"], **measured["scaling"]}
    chat["measured"] = measured["measured"]
    target = build_plan(parse_deployment(spec)).tier("chat").scaling.target
    assert (target.predefined_metric, target.target) == ("SageMakerInferenceComponentInvocationsPerCopy", 30)
