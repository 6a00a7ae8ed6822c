"""The simulator on small traffic whose right answer can be worked out by hand
(planning.simulate, planning.traces)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment
from deepseek_cdk.planning.simulate import Policy, Service, fullest_batch, oracle, policy_of, simulate
from deepseek_cdk.planning.traces import Lengths, Request, TraceError, load_trace, scaled, scenario
from deepseek_cdk.spec import parse_deployment


def tier_of(**tier: Any) -> Any:
    data = {
        "name": "sim",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "max_context_tokens": 4096,
                "max_concurrency": 8,
                **tier,
            }
        ],
    }
    return build_plan(parse_deployment(data)).tiers[0]


def flat(low: int, high: int) -> CapacityCalendar:
    return CapacityCalendar((CapacitySegment(0, MINUTES_PER_WEEK, low, high),), ())


def policy(tier: Any, **overrides: Any) -> Policy:
    return replace(policy_of(tier, startup_s=300), **overrides)


def every(seconds: float, start: float, end: float, tokens_out: int = 100) -> list[Request]:
    count = int((end - start) / seconds)
    return [Request(start + k * seconds, 100, tokens_out) for k in range(count)]


def test_a_step_in_demand_serves_on_a_new_instance_after_three_datapoints_and_the_start_up() -> None:
    tier = tier_of(scaling={"min": 1, "max": 4})
    service = Service(tier)
    _, seconds, _ = service.times(Request(0, 100, 100), 8)
    # Light load for 10 minutes, then far more than one instance's 8 slots from t = 600 s.
    light = every(60, 0, 600)
    heavy = every(seconds / 30, 600, 3600)
    for high_resolution, first in ((True, 17), (False, 19)):
        result = simulate(
            tier, light + heavy, policy(tier, calendar=flat(1, 4), high_resolution=high_resolution)
        )
        in_service = [m.in_service for m in result.minutes]
        first_extra = next(minute for minute, count in enumerate(in_service) if count > 1)
        # 10-second datapoints: the first above the target is 10 s into the step, the third 30 s
        # in; the scaling activity reaches SageMaker 120 s later (REACTION_S), and the instance
        # takes 300 s: it serves from about t = 1050 s, in minute 17. One-minute datapoints: the
        # third is 180 s in (t = 780 s), and the instance serves from t = 1200 s, the end of
        # minute 19.
        assert first_extra == first, high_resolution
        assert in_service[:first] == [1] * first


def test_a_schedule_window_raises_and_lowers_the_floor() -> None:
    tier = tier_of(scaling={"min": 1, "max": 4})
    calendar = CapacityCalendar(
        (
            CapacitySegment(0, 60, 1, 4),
            CapacitySegment(60, 120, 3, 4),
            CapacitySegment(120, MINUTES_PER_WEEK, 1, 4),
        ),
        (),
    )
    result = simulate(tier, every(120, 0, 3 * 3600), policy(tier, calendar=calendar, startup_s=120))
    in_service = [m.in_service for m in result.minutes]
    # Min 3 from minute 60; the two instances added then serve after their 120 s start-up.
    assert in_service[59] == 1 and in_service[60] == 1 and in_service[61] == 3
    # At minute 120 the schedule lowers min to 1; with nearly no load, target tracking scales
    # in after its 15 minutes of low datapoints (the scale-out cooldown has long passed).
    assert in_service[119] == 3
    assert in_service[-1] == 1


def test_inference_components_scale_from_zero_on_the_first_failed_request() -> None:
    tier = tier_of(endpoint="inference-components", scaling={"min": 0, "max": 2})
    requests = [Request(3600 + k * 30, 100, 50) for k in range(40)]
    result = simulate(
        tier, requests, policy(tier, calendar=flat(0, 2), startup_s=240, from_zero_cooldown_s=600)
    )
    # Starts with one copy (a deploy proves the model loads), scales in to zero when idle.
    assert result.minutes[0].in_service == 1
    assert result.minutes[59].in_service == 0
    # The first request at t = 3600 s fails; the alarm's one-minute datapoint at t = 3660 s asks
    # for a copy, which reaches SageMaker 120 s later (REACTION_S) and serves 240 s after that,
    # at t = 4020 s: the requests of 3600-4019 s fail.
    assert result.rejected == 14
    assert result.minutes[67].in_service == 1
    assert result.finished == 26


def test_scale_in_waits_for_fifteen_minutes_of_low_datapoints_and_its_cooldown() -> None:
    tier = tier_of(scaling={"min": 1, "max": 4, "scale_in_cooldown_seconds": 900})
    service = Service(tier)
    _, seconds, _ = service.times(Request(0, 100, 100), 8)
    busy = every(seconds / 30, 0, 1800)
    result = simulate(tier, busy, policy(tier, calendar=flat(1, 4)), duration_s=5400)
    in_service = [m.in_service for m in result.minutes]
    peak_minute = max(range(len(in_service)), key=lambda m: in_service[m])
    assert in_service[peak_minute] > 1
    # The load stops at minute 30: the instances stay 15 minutes of low datapoints, then go.
    assert min(in_service[30:44]) == in_service[29]
    assert in_service[-1] == 1


def test_the_oracle_provisions_the_minutes_work_as_full_as_the_slo_allows_without_start_up() -> None:
    tier = tier_of(scaling={"min": 1, "max": 10})
    service = Service(tier)
    # 100-token answers meet the objectives even at the full batch of 8: the oracle fills every
    # instance.
    _, seconds, _ = service.times(Request(0, 100, 100), 8)
    assert seconds < 60
    per_minute = math.floor(3 * 60 * 8 / seconds)  # work that fills exactly 3 instances
    requests = [Request(m * 60 + k * 60 / per_minute, 100, 100) for m in range(60) for k in range(per_minute)]
    best = oracle(tier, requests)
    assert math.ceil(per_minute * seconds / 60 / 8) == 3
    # Three full instances leave no free slot for requests arriving at random: the p90 wait
    # would pass the TTFT objective, so the oracle pools a fourth (planning.service_levels).
    assert {m.in_service for m in best.minutes[1:-1]} == {4}
    assert best.cost == pytest.approx(best.instance_hours * tier.cost.price_per_hour)
    assert best.instance_hours == pytest.approx(sum(m.in_service for m in best.minutes) / 60)
    # A TPOT objective the full batch misses makes the oracle fill instances only as far as it
    # allows.
    tpot_alone, tpot_full = (
        service.times(Request(0, 100, 100), 1)[2],
        service.times(Request(0, 100, 100), 8)[2],
    )
    strict = Objectives(ttft_p90_s=60, tpot_p90_ms=1000 * (tpot_alone + tpot_full) / 2)
    assert 1 <= fullest_batch(service, requests, strict) < 8
    assert fullest_batch(service, requests, tier.objectives) == 8


def test_scenarios_have_their_shapes() -> None:
    spike = scenario("spike", peak_rps=1.0, lengths=Lengths(10, 10))
    per_minute = [0] * 1440
    for r in spike:
        per_minute[int(r.arrival_s // 60)] += 1
    # Random arrivals: a fifth of 60 a minute around it, the full 60 for 15 minutes at noon.
    assert statistics.fmean(per_minute[:720]) == pytest.approx(12, rel=0.05)
    assert statistics.fmean(per_minute[720:735]) == pytest.approx(60, rel=0.1)
    assert statistics.fmean(per_minute[735:]) == pytest.approx(12, rel=0.05)
    with pytest.raises(TraceError, match="scenario: unknown 'tsunami'"):
        scenario("tsunami", peak_rps=1, lengths=Lengths(1, 1))


def test_scale_keeps_whole_copies_and_a_spread_fraction() -> None:
    base = [Request(float(i), 1, 1) for i in range(100)]
    assert len(scaled(base, 2)) == 200
    assert abs(len(scaled(base, 0.5)) - 50) <= 1  # every other request, spread evenly
    with pytest.raises(TraceError, match="--scale: must be above 0"):
        scaled(base, 0)


def test_an_azure_trace_reads_times_and_tokens(tmp_path: Path) -> None:
    trace = tmp_path / "conv.csv"
    trace.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:15:46.6805900,374,44\n"
        "2023-11-16 18:15:50.9951690,396,109\n"
    )
    first, second = load_trace(trace, lengths=Lengths(1, 1))
    assert (first.arrival_s, first.input_tokens, first.output_tokens) == (0.0, 374, 44)
    assert second.arrival_s == pytest.approx(4.314579)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty; expected a header"),
        ("when,tokens\n1,2\n", ":1: unknown header"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,374\n", ":2: expected 3 columns"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,2\n", ":2: TIMESTAMP 'yesterday' is not"),
        (
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,x,2\n",
            ":2: ContextTokens 'x' is not",
        ),
        (
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\n2023-11-16 18:15:40,1,2\n",
            ":3: TIMESTAMP goes back in time",
        ),
        ("minute,requests\n0,5\n2,5\n", ":3: minute 2 out of order; expected 1"),
        ("minute,requests\n0,-1\n", ":2: requests must be 0-10,000,000 \\(got -1\\)"),
        (
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1," + "9" * 400 + "\n",
            ":2: GeneratedTokens must be 0-10,000,000",
        ),
        (
            "TIMESTAMP,ContextTokens,GeneratedTokens\n16/11/2023 18:15,1,2\n",
            ":2: TIMESTAMP '16/11/2023 18:15' is not",
        ),
        ("minute,requests\n", "no requests after the header"),
    ],
)
def test_bad_trace_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text(text)
    with pytest.raises(TraceError, match=message):
        load_trace(trace, lengths=Lengths(1, 1))


def test_an_async_tier_at_zero_adds_an_instance_after_two_minutes_of_backlog() -> None:
    tier = tier_of(endpoint="async", scaling={"min": 0, "max": 2, "backlog_per_instance": 4})
    requests = [Request(3610 + k, 100, 50) for k in range(3)]  # three requests at t = 3610-3612 s
    result = simulate(
        tier,
        requests,
        policy(tier, calendar=flat(0, 2), startup_s=300, from_zero_cooldown_s=900),
        duration_s=5400,
    )
    # Nothing is refused: the requests wait in the queue. The from-zero alarm needs two one-minute
    # datapoints with a backlog (t = 3660 and 3720 s), its scaling activity reaches SageMaker
    # 120 s later (REACTION_S), and one instance serves 300 s after that, at t = 4140 s: the
    # minute ending then (index 68) is the first with an instance.
    assert result.rejected == 0 and result.finished == 3
    in_service = [m.in_service for m in result.minutes]
    assert in_service[59] == 0  # the one deploy-time instance scaled in long before
    assert in_service[67] == 0 and in_service[68] == 1
    assert result.p50_s is not None and result.p50_s > 4140 - 3612


def test_a_trace_with_a_bom_windows_line_ends_and_time_zones_reads(tmp_path: Path) -> None:
    trace = tmp_path / "zones.csv"
    trace.write_bytes(
        "\ufeffTIMESTAMP,ContextTokens,GeneratedTokens\r\n"
        "2023-11-16 18:15:46.6805900+01:00,374,44\r\n"
        "2023-11-16 17:15:50Z,396,109\r\n".encode()
    )
    first, second = load_trace(trace, lengths=Lengths(1, 1))
    assert first.arrival_s == 0.0
    assert second.arrival_s == pytest.approx(50 - 46.68059)


def test_scale_is_bounded() -> None:
    base = [Request(0.0, 1, 1)]
    for bad in (float("inf"), float("nan"), 1001):
        with pytest.raises(TraceError, match="--scale: must be above 0 and at most 1000"):
            scaled(base, bad)


def test_the_invocations_metric_counts_the_last_minute() -> None:
    """30 requests a minute on one instance read as 30 invocations a minute: a target of 25
    scales out, one of 35 does not."""
    tier = tier_of(scaling={"min": 1, "max": 4, "metric": "invocations", "target": 25})
    requests = every(2, 0, 1800, tokens_out=20)
    out = simulate(tier, requests, policy(tier, calendar=flat(1, 4), high_resolution=False))
    assert max(m.in_service for m in out.minutes) > 1
    stays = simulate(tier, requests, policy(tier, calendar=flat(1, 4), high_resolution=False, target=35))
    assert {m.in_service for m in stays.minutes} == {1}


def test_the_backlog_metric_counts_the_requests_being_processed() -> None:
    """An async instance running 8 requests with none waiting has a backlog of 8: a target
    of 4 adds a second instance."""
    tier = tier_of(endpoint="async", scaling={"min": 1, "max": 2, "backlog_per_instance": 4})
    service = Service(tier)
    _, seconds, _ = service.times(Request(0, 100, 100), 8)
    requests = every(seconds / 8, 0, 1800)  # keeps the batch of 8 busy
    result = simulate(tier, requests, policy(tier, calendar=flat(1, 2)))
    assert max(m.in_service for m in result.minutes) == 2


def test_scale_in_waits_for_its_cooldown_after_the_datapoints() -> None:
    """Four instances busy for 30 minutes, two instances' worth until minute 50, then nothing.
    The first scale-in (to 2) comes after 15 minutes of low datapoints; the second is ready by
    its datapoints at minute 65 but waits for the 30-minute cooldown."""
    # The target of a full batch of 8 at 0.85, given: the load below is counted in batches.
    tier = tier_of(scaling={"min": 1, "max": 4, "target": 6.8, "scale_in_cooldown_seconds": 1800})
    service = Service(tier)
    _, seconds, _ = service.times(Request(0, 100, 100), 8)
    load = every(seconds / 30, 0, 1800) + every(seconds / 10, 1800, 3000)
    result = simulate(
        tier, load, policy(tier, calendar=flat(1, 4), scale_in_cooldown_s=1800), duration_s=3 * 3600
    )
    counts = [m.in_service for m in result.minutes]
    drops = [minute for minute in range(31, len(counts)) if counts[minute] < counts[minute - 1]]
    assert len(drops) == 2, counts
    first, second = drops
    assert counts[first] == 2 and counts[second] == 1
    assert second - first >= 30  # without the cooldown it would come about 15 minutes earlier


def test_between_the_margin_and_the_target_nothing_scales_in() -> None:
    """A metric at 95% of the target is above the scale-in alarm's 90%: no scale-in."""
    tier = tier_of(scaling={"min": 1, "max": 4, "metric": "invocations", "target": 20})
    requests = every(60 / 19, 0, 7200, tokens_out=20)  # 19 a minute: 95% of 20
    result = simulate(tier, requests, policy(tier, calendar=flat(1, 4), high_resolution=False))
    assert {m.in_service for m in result.minutes} == {1}


def test_the_oracle_serves_requests_that_arrive_on_a_minute_boundary() -> None:
    tier = tier_of(endpoint="inference-components", scaling={"min": 0, "max": 2})
    requests = [Request(600.0 * k, 100, 50) for k in range(1, 6)]
    best = oracle(tier, requests)
    assert best.rejected == 0 and best.finished == 5


def test_a_request_still_waiting_past_the_slo_puts_its_minutes_out_of_slo() -> None:
    tier = tier_of(endpoint="async", scaling={"min": 0, "max": 1, "backlog_per_instance": 4})
    requests = [Request(3610, 100, 50)]
    result = simulate(
        tier,
        requests,
        policy(tier, calendar=flat(0, 1), startup_s=1800, from_zero_cooldown_s=3600),
        duration_s=2 * 3600,
    )
    # Async SLO: the oldest-request alarm, 1,800 s by default. The request waits 2 minutes for
    # the alarm and 1,800 s for the instance: past 1,800 s of waiting, each minute is late.
    assert result.minutes_out_of_slo >= 2


def test_billing_stops_at_the_end_of_the_replay() -> None:
    tier = tier_of(scaling={"min": 1, "max": 4})
    calendar = CapacityCalendar(
        (CapacitySegment(0, 59, 1, 4), CapacitySegment(59, MINUTES_PER_WEEK, 4, 4)), ()
    )
    result = simulate(
        tier, every(600, 0, 3600), policy(tier, calendar=calendar, startup_s=1800), duration_s=3600
    )
    # One instance for the hour, three more requested at minute 59 for its last minute.
    assert result.instance_hours == pytest.approx(1 + 3 / 60, abs=0.01)


def test_an_instance_of_model_copies_runs_a_batch_per_copy_on_its_own_gpus() -> None:
    tier = tier_of(model="deepseek-r1-distill-qwen-14b", instance_type="ml.g6e.12xlarge", max_concurrency=16)
    assert (tier.copies, tier.tensor_parallel_degree) == (4, 1)
    service = Service(tier)
    assert service.batch == 4 * 16
    # 32 requests on four copies: each copy steps a batch of 8 on its one GPU, as a lone copy
    # of the same model on one of those GPUs would.
    alone = tier_of(model="deepseek-r1-distill-qwen-14b", instance_type="ml.g6e.2xlarge", max_concurrency=16)
    assert alone.gpu == tier.gpu and (alone.copies, alone.tensor_parallel_degree) == (1, 1)
    shared = service.times_of(1000, 100, 32)
    single = Service(alone).times_of(1000, 100, 8)
    assert shared[2] == pytest.approx(single[2])
