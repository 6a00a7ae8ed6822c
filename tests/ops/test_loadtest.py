"""`deepseek-cdk loadtest`: TTFT and TPOT from faked streams with known token times
(percentiles worked out by hand), the level chosen by the plan's objectives, the driver on a
fake clock, the written measurement read back by the planner, and the command's refusals.
Nothing here calls AWS."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from deepseek_cdk.cli import main
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.ops import loadtest as lt
from deepseek_cdk.planning import PlanError, build_plan
from deepseek_cdk.spec import Measured, SpecError, load_deployment, parse_deployment

ROOT = Path(__file__).resolve().parents[2]
STREAM = (ROOT / "tests" / "runtime" / "shapes" / "lmi_chat_stream.jsonl").read_bytes()
OBJECTIVES = Objectives(ttft_p90_s=2.0, tpot_p90_ms=100.0)
# The keys loadtest adds to `measured`; until spec.py's Measured declares them (the spec's
# part of "Service levels"), a spec holding them is refused, so the tests that read a written
# snippet back through the spec leave them out, and the one that reads them back is xfail.
OBJECTIVE_KEYS = ("ttft_p50_seconds", "ttft_p90_seconds", "tpot_p50_ms", "tpot_p90_ms")
SPEC_TAKES_OBJECTIVE_KEYS = set(OBJECTIVE_KEYS) <= set(Measured.model_fields)


def readable(measured: dict[str, Any]) -> dict[str, Any]:
    """`measured` as the spec on this branch takes it: without the objective keys until
    Measured declares them, then whole."""
    if SPEC_TAKES_OBJECTIVE_KEYS:
        return measured
    return {key: value for key, value in measured.items() if key not in OBJECTIVE_KEYS}


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # 10 .. 1, unsorted on purpose
    assert (lt.percentile(values, 50), lt.percentile(values, 90), lt.percentile(values, 99)) == (5, 9, 10)
    assert lt.percentile([0.5, 0.2, 0.9], 50) == 0.5  # rank ceil(1.5) = 2 of [0.2, 0.5, 0.9]
    assert lt.percentile([0.5, 0.2, 0.9], 90) == 0.9
    assert lt.percentile([], 50) is None


def test_a_levels_statistics_from_known_requests() -> None:
    # Request i: first token at i/10 s, 100 tokens, the last at i/10 + 99 x i ms.
    ok = [lt.Sample(i / 10, float(i), 100, i / 10 + 99 * i / 1000) for i in range(1, 11)]
    level = lt.Level(concurrency=4, seconds=20.0, samples=(*ok, lt.Sample(None, 0.0, 0, error="ModelError")))
    assert level.errors == 1
    assert level.requests_per_second == 0.5  # 10 answered in 20 s; the error is not a request served
    assert level.tokens_per_second == 50.0
    assert (level.latency(50), level.latency(90), level.latency(99)) == (5.0, 9.0, 10.0)
    assert (level.ttft(50), level.ttft(90)) == (0.5, 0.9)
    assert (level.tpot_ms(50), level.tpot_ms(90)) == (pytest.approx(5.0), pytest.approx(9.0))
    assert level.tpot_undefined == 0


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
    assert sample == lt.Sample(ttft=0.5, latency=1.5, tokens=4, last_token=1.25)
    assert sample.tpot_ms == 250.0  # (1.25 - 0.5) s over the 3 tokens after the first


def chunk(delta: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n"


class TimedRuntime:
    """Answers each request with the next stream of `answers`: a role-only chunk at once, then
    one token per chunk at the given seconds after the request (thinking, then the answer,
    as LMI sends R1's), then [DONE]."""

    def __init__(self, clock: FakeClock, answers: Sequence[Sequence[float]]) -> None:
        self.clock, self.answers = clock, iter(answers)

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
        times, began = next(self.answers), self.clock()

        def parts() -> Iterator[dict[str, Any]]:
            yield {"PayloadPart": {"Bytes": chunk({"role": "assistant", "content": ""})}}
            for n, at in enumerate(times):
                self.clock.t = began + at
                key = "reasoning_content" if n < len(times) // 2 else "content"
                yield {"PayloadPart": {"Bytes": chunk({key: f"t{n}"})}}
            yield {"PayloadPart": {"Bytes": b"data: [DONE]\n\n"}}

        return {"Body": parts()}


def measured_level(
    answers: Sequence[Sequence[float]], concurrency: int = 4, seconds: float = 10.0
) -> lt.Level:
    clock = FakeClock()
    runtime = TimedRuntime(clock, answers)
    tier = build_plan(load_deployment(None)).tier("chat")
    samples = tuple(lt.streamed_request(tier, b"{}", runtime, clock=clock) for _ in answers)
    return lt.Level(concurrency, seconds, samples)


# Ten streams of 5 tokens: request i (1-10) has its first token at i/8 s and the next four
# (11 - i)/64 s apart, so TTFT rises with i and TPOT falls: 15.625 x (11 - i) ms.
KNOWN = [[i / 8 + n * (11 - i) / 64 for n in range(5)] for i in range(1, 11)]


def test_ttft_and_tpot_percentiles_from_streams_with_known_token_times() -> None:
    level = measured_level(KNOWN)
    assert [s.ttft for s in level.samples] == [i / 8 for i in range(1, 11)]
    assert [s.tpot_ms for s in level.samples] == [15.625 * (11 - i) for i in range(1, 11)]
    assert [s.tokens for s in level.samples] == [5] * 10  # reasoning counts; the role chunk does not
    # Nearest rank of 10: p50 is the 5th smallest, p90 the 9th.
    assert (level.ttft(50), level.ttft(90)) == (0.625, 1.125)
    assert (level.tpot_ms(50), level.tpot_ms(90)) == (78.125, 140.625)
    assert level.tokens_per_second == 5.0  # 50 tokens in the level's 10 s
    assert level.errors == 0 and level.tpot_undefined == 0
    report = lt.level_report(level, OBJECTIVES)
    assert {k: report[k] for k in ("ttft_p50_seconds", "ttft_p90_seconds", "tpot_p50_ms", "tpot_p90_ms")} == {
        "ttft_p50_seconds": 0.625,
        "ttft_p90_seconds": 1.125,
        "tpot_p50_ms": 78.125,
        "tpot_p90_ms": 140.625,
    }
    assert report["misses"] == ["p90 TPOT 140.6 ms > 100 ms"]
    row = lt.render_levels([level], OBJECTIVES).splitlines()[1].split()
    assert row[:7] == ["4", "10", "0", "1.00", "5.0", "0.62/1.12", "78.1/140.6"]


def test_a_one_token_answer_has_no_tpot_and_says_so() -> None:
    level = measured_level([[0.5], [0.25, 0.375, 0.5]], concurrency=2)
    one, three = level.samples
    assert (one.ttft, one.tokens, one.last_token, one.tpot_ms, one.error) == (0.5, 1, 0.5, None, None)
    assert three.tpot_ms == 125.0
    assert (level.ttft(50), level.ttft(90)) == (0.25, 0.5)  # both answers count for TTFT
    assert (level.tpot_ms(50), level.tpot_ms(90), level.tpot_undefined) == (
        125.0,
        125.0,
        1,
    )  # one does for TPOT
    assert lt.level_report(level, OBJECTIVES)["tpot_undefined_requests"] == 1
    assert lt.render_levels([level], OBJECTIVES).splitlines()[-1] == (
        "TPOT undefined for 1 answer(s) of one token at concurrency 2: left out of its TPOT"
    )
    only_one = measured_level([[0.5]] * 3, concurrency=1)
    assert only_one.tpot_ms(90) is None
    assert lt.misses(only_one, OBJECTIVES) == ["p90 TPOT undefined (no answer of two tokens)"]
    assert lt.best_level([only_one], OBJECTIVES) is None  # an objective it cannot be judged by is not met


def test_a_stream_without_a_token_is_an_error() -> None:
    clock = FakeClock()
    tier = build_plan(load_deployment(None)).tier("chat")

    class Empty:
        def __init__(self, parts: list[dict[str, Any]]) -> None:
            self.parts = parts

        def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
            return {"Body": iter(self.parts)}

    nothing = lt.streamed_request(tier, b"{}", Empty([]), clock=clock)
    assert nothing == lt.Sample(None, 0.0, 0, None, "empty_stream")
    role_only = lt.streamed_request(tier, b"{}", TimedRuntime(clock, [[]]), clock=clock)
    assert (role_only.tokens, role_only.ttft, role_only.tpot_ms, role_only.error) == (
        0,
        None,
        None,
        "empty_stream",
    )
    level = lt.Level(1, 10.0, (nothing, role_only))
    assert (level.errors, level.ok, level.ttft(90), level.tpot_ms(90)) == (2, [], None, None)
    assert lt.misses(level, OBJECTIVES) == ["no answers", "2 error(s)"]
    assert lt.render_levels([level], OBJECTIVES).splitlines()[1].endswith("  no answers; 2 error(s)")


def level(
    concurrency: int, rps: float, ttft: float, tpot_ms: float, errors: int = 0, instances: int = 2
) -> lt.Level:
    """A 10 s level: `rps` x 10 answers of 11 tokens, each with this TTFT and TPOT."""
    answer = lt.Sample(ttft, 30.0, 11, ttft + tpot_ms * 10 / 1000)
    failed = lt.Sample(None, 0.0, 0, error="x")
    return lt.Level(concurrency, 10.0, (answer,) * int(rps * 10) + (failed,) * errors, instances)


def test_the_measured_level_is_the_highest_concurrency_within_both_objectives() -> None:
    levels = [
        level(1, 1.0, ttft=0.4, tpot_ms=30),
        level(4, 3.0, ttft=0.9, tpot_ms=60),
        level(8, 4.0, ttft=2.5, tpot_ms=80),  # misses TTFT
        level(16, 5.0, ttft=1.5, tpot_ms=120),  # misses TPOT
        level(32, 6.0, ttft=1.0, tpot_ms=70, errors=1),  # within both, with an error
    ]
    assert [lt.misses(x, OBJECTIVES) for x in levels] == [
        [],
        [],
        ["p90 TTFT 2.50 s > 2 s"],
        ["p90 TPOT 120.0 ms > 100 ms"],
        ["1 error(s)"],
    ]
    assert lt.best_level(levels, OBJECTIVES) is levels[1]
    assert lt.max_rps(levels, OBJECTIVES) == 1.5  # 3 req/s at concurrency 4, on 2 instances
    # Looser objectives: the TTFT miss is met, the TPOT miss is not.
    assert lt.best_level(levels, Objectives(ttft_p90_s=3.0, tpot_p90_ms=100.0)) is levels[2]
    assert lt.best_level(levels, Objectives(ttft_p90_s=2.0, tpot_p90_ms=150.0)) is levels[3]
    assert lt.max_rps(levels, Objectives(ttft_p90_s=0.1, tpot_p90_ms=150.0)) is None
    # The highest concurrency, not the most requests/s: given in any order.
    slower_at_more = [level(8, 2.0, 0.5, 50), level(2, 4.0, 0.5, 50)]
    assert lt.best_level(slower_at_more, OBJECTIVES) is slower_at_more[0]
    table = lt.render_levels(levels, OBJECTIVES).splitlines()
    assert [row.split("  ")[-1] for row in table[1:]] == [
        "met",
        "met",
        "p90 TTFT 2.50 s > 2 s",
        "p90 TPOT 120.0 ms > 100 ms",
        "1 error(s)",
    ]


def test_each_level_divides_by_the_instances_it_ran_on() -> None:
    scaled_out = [level(4, 3.0, 0.5, 50, instances=1), level(8, 4.0, 0.5, 50, instances=4)]
    assert lt.max_rps(scaled_out, OBJECTIVES) == 1.0  # 4 req/s on 4, not on 1


# 25 answers of 256 tokens in a minute; answer i (1-25): TTFT 0.35 + i/20 s, TPOT 20 + i ms.
README_LEVEL = lt.Level(
    16,
    60.0,
    tuple(lt.Sample(0.35 + i / 20, 30.0, 256, 0.35 + i / 20 + 255 * (20 + i) / 1000) for i in range(1, 26)),
)


def test_the_written_values_are_what_the_next_plan_scales_on_and_estimates_with() -> None:
    plan = build_plan(load_deployment(None))
    snippet = lt.spec_snippet(plan.tier("chat"), lt.with_instances(README_LEVEL, 2), lt.date(2026, 11, 30))
    assert snippet.startswith("# measured by deepseek-cdk loadtest on 2026-11-30: 2 instance(s) of ml.")
    measured = yaml.safe_load(snippet)["tiers"][0]
    assert measured["measured"]["concurrency"] == 8  # 16 clients over 2 instances
    spec = yaml.safe_load((ROOT / "deployments" / "default.yaml").read_text())
    chat = next(t for t in spec["tiers"] if t["name"] == measured["name"])
    chat["scaling"] = {**chat["scaling"], **measured["scaling"]}
    chat["measured"] = readable(measured["measured"])
    tier = build_plan(parse_deployment(spec)).tier("chat")
    assert (tier.scaling.target.metric, tier.scaling.target.target) == (
        "invocations",
        pytest.approx(0.208 * 60 * 0.5, abs=0.05),
    )
    assert tier.throughput.tokens_per_second == pytest.approx(53.33, abs=0.01)  # 25 x 256 / 60 s / 2
    assert tier.throughput.basis.startswith("measured by deepseek-cdk loadtest on 2026-11-30 at 8 concurrent")
    # The routes' answer limits follow the objectives, whatever was measured.
    assert tier.answers == build_plan(load_deployment(None)).tier("chat").answers


def test_the_measured_block_holds_ttft_and_tpot_at_the_measured_level() -> None:
    tier = build_plan(load_deployment(None)).tier("chat")
    snippet = lt.spec_snippet(tier, README_LEVEL, lt.date(2026, 11, 30))
    written = yaml.safe_load(snippet)["tiers"][0]
    # Nearest rank of 25: p50 is answer 13's (TTFT 1.0 s, TPOT 33 ms), p90 answer 23's.
    assert written["measured"] == {
        "tokens_per_second": 106.7,
        "concurrency": 16,
        "instance_type": tier.instance_type,
        "date": "2026-11-30",
        "ttft_p50_seconds": 1,
        "ttft_p90_seconds": 1.5,
        "tpot_p50_ms": 33,
        "tpot_p90_ms": 43,
    }
    assert written["scaling"] == {"metric": "invocations", "max_rps": 0.417}
    # From the known streams: three significant digits (1.125 rounds to even).
    known = lt.measurement(tier, measured_level(KNOWN), lt.date(2026, 11, 30))["measured"]
    assert {k: known[k] for k in OBJECTIVE_KEYS} == {
        "ttft_p50_seconds": 0.625,
        "ttft_p90_seconds": 1.12,
        "tpot_p50_ms": 78.1,
        "tpot_p90_ms": 141.0,
    }


def test_written_numbers_read_back_as_numbers() -> None:
    """YAML 1.1 reads `1e+04` as text, which the spec refuses: no exponent is written."""
    tier = build_plan(load_deployment(None)).tier("chat")
    fast = lt.Level(16, 1.0, (lt.Sample(0.00001234, 1.0, 12346, 0.00001234 + 12345 * 0.0000005),))
    snippet = lt.spec_snippet(tier, fast, lt.date(2026, 11, 30))
    assert "e+" not in snippet and "e-" not in snippet
    measured = yaml.safe_load(snippet)["tiers"][0]["measured"]
    assert (measured["tokens_per_second"], measured["ttft_p90_seconds"], measured["tpot_p90_ms"]) == (
        12350,
        0.0000123,
        0.0005,
    )


@pytest.mark.xfail(
    not SPEC_TAKES_OBJECTIVE_KEYS,
    reason="needs ttft_p50_seconds, ttft_p90_seconds, tpot_p50_ms, tpot_p90_ms in spec.py's Measured",
    strict=True,
)
def test_the_written_ttft_and_tpot_are_read_back_by_the_spec() -> None:
    tier = build_plan(load_deployment(None)).tier("chat")
    written = yaml.safe_load(lt.spec_snippet(tier, README_LEVEL, lt.date(2026, 11, 30)))["tiers"][0]
    spec = yaml.safe_load((ROOT / "deployments" / "default.yaml").read_text())
    chat = next(t for t in spec["tiers"] if t["name"] == "chat")
    chat["measured"] = written["measured"]
    measured = next(t for t in parse_deployment(spec).tiers if t.name == "chat").measured
    assert measured is not None
    assert {k: getattr(measured, k) for k in OBJECTIVE_KEYS} == {
        "ttft_p50_seconds": 1.0,
        "ttft_p90_seconds": 1.5,
        "tpot_p50_ms": 33.0,
        "tpot_p90_ms": 43.0,
    }


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
    planned = build_plan(load_deployment(None)).tier("chat")
    chat["measured"].update(concurrency=64, instance_type=planned.instance_type)
    with pytest.raises(PlanError) as beyond:  # one copy of 16 sequences: 16 at once
        build_plan(parse_deployment(spec))
    assert beyond.value.problems == [
        f"tiers[0].measured.concurrency: measured at 64 concurrent requests, more than "
        f"{planned.instance_type} as tensor parallel 1 admits (1 x max_concurrency 16); measure within it"
    ]
    chat["container"] = "tgi"  # one copy an instance, always: the spec knows the batch alone
    with pytest.raises(SpecError) as spec_err:
        parse_deployment(spec)
    assert spec_err.value.problems[0].startswith(
        "tiers[0].measured.concurrency: measured at 64 concurrent requests"
    )


def test_a_measurement_on_several_copies_is_written_and_read_per_instance() -> None:
    """An instance running copies holds copies x max_concurrency: the block says so, and the
    plan reads it back."""
    data = {
        "name": "t",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "max_context_tokens": 8192,
                "max_concurrency": 16,
                "scaling": {"min": 1, "max": 2, "target": 40},
            }
        ],
    }
    tier = build_plan(parse_deployment(data)).tier("chat")
    assert tier.copies >= 3
    busy = lt.Level(48, 1.0, README_LEVEL.samples)
    written = yaml.safe_load(lt.spec_snippet(tier, busy, lt.date(2026, 11, 30)))["tiers"][0]["measured"]
    assert written["concurrency"] == 48  # not cut to one copy's 16
    data["tiers"][0]["measured"] = written
    assert (
        build_plan(parse_deployment(data))
        .tier("chat")
        .throughput.basis.endswith(f"at 48 concurrent requests on {tier.instance_type}")
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
    levels = iter([lt.Level(1, 10.0, (lt.Sample(0.2, 3.0, 40, 2.15),))])

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
    assert "Objectives (the plan's): p90 TTFT 2 s, p90 TPOT 100 ms" in captured.out
    table = captured.out.splitlines()[-2:]
    assert table[0].startswith("concurrency  requests  errors")
    assert table[1].split() == ["1", "1", "0", "0.10", "4.0", "0.20/0.20", "50.0/50.0", "3.00/3.00", "met"]


STRICT = Objectives(ttft_p90_s=0.5, tpot_p90_ms=50.0, source="a stricter plan")


def fake_run(monkeypatch: pytest.MonkeyPatch, levels: list[lt.Level], objectives: Objectives) -> None:
    """The command on faked levels, the chat tier's plan holding `objectives`: no AWS call."""
    import deepseek_cdk.cli as cli

    real_build = cli.build_plan

    def build(deployment: Any) -> Any:
        plan = real_build(deployment)
        tiers = tuple(
            dataclasses.replace(t, objectives=objectives) if t.name == "chat" else t for t in plan.tiers
        )
        return dataclasses.replace(plan, tiers=tiers)

    run = iter(levels)
    monkeypatch.setattr(cli, "build_plan", build)
    monkeypatch.setattr("deepseek_cdk.ops.invoke.require_in_service", lambda endpoint, clients: None)
    monkeypatch.setattr(lt, "run_level", lambda *_, **__: next(run))
    monkeypatch.setattr(lt, "runtime_client", lambda region: None)
    monkeypatch.setattr(lt, "serving_units", lambda tier, clients: 1)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


# Within the default objectives (2 s, 100 ms) at every level; the stricter plan's 0.5 s TTFT
# fails concurrency 16.
RUN = [
    level(1, 1.0, 0.25, 40, instances=1),
    level(4, 2.0, 0.4, 45, instances=1),
    level(16, 3.0, 0.75, 45, instances=1),
]


def test_the_plans_objectives_judge_the_levels_and_json_prints_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_run(monkeypatch, RUN, STRICT)
    assert main(["loadtest", "--tier", "chat", "--duration", "10", "--json"]) == 0
    captured = capsys.readouterr()
    assert "Objectives (the plan's): p90 TTFT 0.5 s, p90 TPOT 50 ms" in captured.err
    report = json.loads(captured.out)  # nothing else on stdout
    assert report["objectives"] == {"ttft_p90_seconds": 0.5, "tpot_p90_ms": 50.0, "source": "a stricter plan"}
    assert report["stopped"] is False
    assert [x["misses"] for x in report["levels"]] == [[], [], ["p90 TTFT 0.75 s > 0.5 s"]]
    second = report["levels"][1]
    assert (second["concurrency"], second["requests"], second["errors"], second["requests_per_second"]) == (
        4,
        20,
        0,
        2.0,
    )
    assert (second["ttft_p50_seconds"], second["ttft_p90_seconds"], second["tpot_undefined_requests"]) == (
        0.4,
        0.4,
        0,
    )
    assert (second["tpot_p50_ms"], second["tpot_p90_ms"]) == (pytest.approx(45), pytest.approx(45))
    assert second["tokens_per_second"] == 22.0  # 20 answers of 11 tokens in 10 s
    assert report["measured_at_concurrency"] == 4
    today = datetime.now(UTC).date()  # as the command dates it
    tier = build_plan(load_deployment(None)).tier("chat")
    snippet = yaml.safe_load(lt.spec_snippet(tier, RUN[1], today))["tiers"][0]
    assert report["spec"] == {"scaling": snippet["scaling"], "measured": snippet["measured"]}
    assert report["spec"]["measured"]["tpot_p90_ms"] == 45 and report["spec"]["measured"]["concurrency"] == 4


def test_the_text_names_the_measured_level_or_why_none_was(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_run(monkeypatch, RUN, Objectives())
    assert main(["loadtest", "--tier", "chat", "--duration", "10"]) == 0
    out = capsys.readouterr().out
    assert "Measured at concurrency 16, the highest level within the objectives." in out
    assert "    scaling: {metric: invocations, max_rps: 3}\n" in out
    fake_run(monkeypatch, RUN, Objectives(ttft_p90_s=0.1, tpot_p90_ms=100.0))
    assert main(["loadtest", "--tier", "chat", "--duration", "10"]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "No level met the objectives (p90 TTFT 0.1 s, p90 TPOT 100 ms) without errors: no max_rps to write."
    )
    assert "measured:" not in out


def test_ctrl_c_with_json_prints_the_levels_measured_and_no_spec(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted() -> Iterator[lt.Level]:
        yield RUN[0]
        raise KeyboardInterrupt

    fake_run(monkeypatch, [], Objectives())
    run = interrupted()
    monkeypatch.setattr(lt, "run_level", lambda *_, **__: next(run))
    assert main(["loadtest", "--tier", "chat", "--duration", "10", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["stopped"] is True and report["spec"] is None
    assert [x["concurrency"] for x in report["levels"]] == [1]


def test_the_operations_page_shows_the_snippet_the_command_prints() -> None:
    readme = (ROOT / "docs" / "operations.md").read_text()
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
    best = lt.Level(12, 10.0, tuple(lt.Sample(0.125, 5.0, 100, 4.085) for _ in range(30)), copies)
    snippet = lt.spec_snippet(tier, best, lt.date(2026, 11, 30))
    assert snippet.startswith("# measured by deepseek-cdk loadtest on 2026-11-30: 3 copies of ")
    measured = yaml.safe_load(snippet)["tiers"][0]
    assert measured["scaling"]["max_rps"] == 1  # 3 requests/s over 3 copies
    assert measured["measured"]["concurrency"] == 4  # 12 clients over 3 copies
    # Read back, the tier tracks invocations per copy at the measured rate.
    spec = yaml.safe_load((ROOT / "deployments/examples/scale-to-zero.yaml").read_text())
    chat = next(t for t in spec["tiers"] if t["name"] == "chat")
    assert measured["measured"]["tpot_p90_ms"] == 40  # (4.085 - 0.125) s over 99 tokens
    chat["scaling"] = {**chat["scaling"], **measured["scaling"]}
    chat["measured"] = readable(measured["measured"])
    target = build_plan(parse_deployment(spec)).tier("chat").scaling.target
    assert (target.predefined_metric, target.target) == ("SageMakerInferenceComponentInvocationsPerCopy", 30)


def test_a_fleet_members_test_costs_its_copies_at_their_gpu_share() -> None:
    root = Path(__file__).resolve().parents[2]
    coder = build_plan(load_deployment(root / "deployments/examples/shared-fleet.yaml")).tier("coder")
    assert lt.most_units(coder) == "2 copies on fleet shared"
    assert coder.cost is not None
    assert lt.expected_cost(coder, 1, 3600) == pytest.approx(2 * coder.cost.price_per_hour)
