"""What the simulator takes from SageMaker's and the router's documented behaviour, and the
oracle as a lower bound (planning.simulate, planning.traces, planning.startup)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from deepseek_cdk.planning import startup as startup_model
from deepseek_cdk.planning.schedules import MINUTES_PER_WEEK, CapacityCalendar, CapacitySegment
from deepseek_cdk.planning.simulate import (
    FIRST_TOKEN_WAIT_S,
    IC_INSTANCE_LINGER_S,
    Service,
    naive_policy,
    oracle,
    policy_of,
    simulate,
)
from deepseek_cdk.planning.traces import (
    MAX_REQUESTS,
    Lengths,
    Request,
    Trace,
    TraceError,
    load_trace,
    scaled,
    scenario,
    week_offset_s,
)
from deepseek_cdk.runtime.router import streaming
from deepseek_cdk.runtime.router.contract import ASYNC_REQUEST_TTL_S
from tests.unit.test_simulate import flat, policy, tier_of


def test_the_first_token_wait_is_the_routers_own() -> None:
    assert FIRST_TOKEN_WAIT_S == streaming.STREAM_READ_TIMEOUT_S


def test_the_typical_start_up_reproduces_awss_measurement_and_stays_within_the_allowance() -> None:
    # Qwen3-8B, about 16.4 GB of weights: 525 s from the scaling request to serving.
    assert startup_model.typical_startup(16.4, allowance_s=3600) == 525
    assert startup_model.typical_startup(700, allowance_s=3600) == 3600
    tier = tier_of()
    assert tier.typical_start_s < tier.cold_start_s
    assert policy_of(tier).startup_s == tier.typical_start_s


def test_the_replay_starts_on_the_traces_own_weekday_and_time() -> None:
    # Min 3 only on Thursdays 18:00-19:00 UTC; a trace that starts Thursday 18:05 meets it at once.
    thursday = 3 * 1440 + 18 * 60
    calendar = CapacityCalendar(
        (
            CapacitySegment(0, thursday, 1, 4),
            CapacitySegment(thursday, thursday + 60, 3, 4),
            CapacitySegment(thursday + 60, MINUTES_PER_WEEK, 1, 4),
        ),
        (),
    )
    tier = tier_of(scaling={"min": 1, "max": 4})
    requests = [Request(60.0 * k, 100, 20) for k in range(30)]
    start = datetime(2026, 12, 10, 18, 5)  # a Thursday
    assert week_offset_s(start) == (thursday + 5) * 60
    on_thursday = simulate(tier, Trace.of(requests, start), policy(tier, calendar=calendar, startup_s=60))
    on_monday = simulate(tier, Trace.of(requests), policy(tier, calendar=calendar, startup_s=60))
    assert on_thursday.minutes[2].in_service == 3
    assert {m.in_service for m in on_monday.minutes} == {1}


def test_a_trace_file_places_the_replay_at_its_first_timestamp(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,10,10\n")
    assert load_trace(trace, lengths=Lengths(1, 1)).start == datetime(2023, 11, 16, 18, 15, 46)


def test_the_oracle_costs_no_more_than_any_fixed_capacity_that_meets_the_objectives() -> None:
    tier = tier_of(scaling={"min": 1, "max": 20})
    requests = scenario("diurnal", peak_rps=1.2, lengths=Lengths(800, 400))
    best = oracle(tier, requests)
    met = 0
    for count in range(1, 12):
        fixed = simulate(tier, requests, policy(tier, calendar=flat(count, count)))
        if fixed.minutes_out_of_slo == 0 and fixed.timed_out == 0:
            met += 1
            assert best.cost is not None and fixed.cost is not None
            assert best.cost <= fixed.cost, count
    assert met  # some fixed capacity meets them: the bound was tested
    derived = simulate(tier, requests, policy_of(tier))
    if derived.minutes_out_of_slo == 0:
        assert best.cost is not None and derived.cost is not None and best.cost <= derived.cost


def test_the_oracles_floor_is_the_tiers_scheduled_min_and_its_max_does_not_bind() -> None:
    tier = tier_of(scaling={"min": 2, "max": 2})
    quiet = [Request(600.0 * k, 100, 20) for k in range(6)]
    assert {m.in_service for m in oracle(tier, quiet).minutes} == {2}
    heavy = scenario("steady", peak_rps=8, lengths=Lengths(800, 400))
    assert max(m.in_service for m in oracle(tier, heavy).minutes) > 2


def test_a_request_waiting_longer_than_the_router_would_is_given_up_and_counted() -> None:
    tier = tier_of(scaling={"min": 1, "max": 1}, max_concurrency=1)
    service = Service(tier)
    _, seconds, _ = service.times(Request(0, 100, 2000), 1)
    assert seconds > FIRST_TOKEN_WAIT_S / 4
    requests = [Request(0.0, 100, 2000) for _ in range(8)]
    result = simulate(tier, requests, policy(tier, calendar=flat(1, 1)))
    # One runs at a time: those still queued after FIRST_TOKEN_WAIT_S are given up.
    started_in_time = 1 + math.floor(FIRST_TOKEN_WAIT_S / seconds)
    assert result.finished == started_in_time and result.timed_out == 8 - started_in_time


def test_async_requests_expire_after_sagemakers_queue_ttl() -> None:
    tier = tier_of(endpoint="async", scaling={"min": 0, "max": 1})
    # No capacity after the deploy-time instance goes at the first tick: all three wait, and
    # expire once they are older than the queue's TTL.
    requests = [Request(20.0 + k, 100, 20) for k in range(3)]
    result = simulate(tier, requests, policy(tier, calendar=flat(0, 0)), duration_s=ASYNC_REQUEST_TTL_S + 600)
    assert result.finished == 0 and result.timed_out == 3


def test_billing_starts_at_the_scale_out_request_unless_told_otherwise() -> None:
    tier = tier_of(scaling={"min": 1, "max": 3})
    calendar = CapacityCalendar(
        (CapacitySegment(0, 10, 1, 3), CapacitySegment(10, MINUTES_PER_WEEK, 3, 3)), ()
    )
    requests = [Request(60.0 * k, 100, 20) for k in range(30)]
    on_request = simulate(tier, requests, policy(tier, calendar=calendar, startup_s=600))
    in_service = simulate(
        tier, requests, policy(tier, calendar=calendar, startup_s=600, billing="in-service")
    )
    # Two instances requested at minute 10 start in 10 minutes: 2 x 600 s billed or not.
    assert on_request.instance_hours - in_service.instance_hours == pytest.approx(2 * 600 / 3600)
    assert on_request.billing == "request" and in_service.billing == "in-service"


def test_an_inference_components_instance_bills_a_while_after_its_copy_is_gone() -> None:
    tier = tier_of(endpoint="inference-components", scaling={"min": 0, "max": 1})
    calendar = CapacityCalendar(
        (CapacitySegment(0, 30, 1, 1), CapacitySegment(30, MINUTES_PER_WEEK, 0, 0)), ()
    )
    result = simulate(tier, [Request(10.0, 100, 20)], policy(tier, calendar=calendar), duration_s=7200)
    # The copy runs 30 minutes, then its instance stays IC_INSTANCE_LINGER_S more.
    assert result.instance_hours == pytest.approx((30 * 60 + IC_INSTANCE_LINGER_S) / 3600)


def test_scale_spreads_the_copies_of_a_request_over_the_gap_to_the_next() -> None:
    base = [Request(10.0 * i, 1, 1) for i in range(100)]
    doubled = scaled(base, 2)
    assert len(doubled) == 200
    arrivals = list(doubled.arrivals)
    assert arrivals == sorted(arrivals) and len(set(arrivals)) == 200  # no two at one instant
    assert arrivals[:4] == [0.0, 5.0, 10.0, 15.0]


def test_scenarios_draw_lengths_with_the_tiers_average_and_p90() -> None:
    trace = scenario("steady", peak_rps=2, lengths=Lengths(1000, 400, 900))
    outputs = sorted(trace.outputs)
    assert statistics.fmean(trace.outputs) == pytest.approx(400, rel=0.05)
    assert outputs[int(0.9 * len(outputs))] == pytest.approx(900, rel=0.05)
    assert statistics.fmean(trace.inputs) == pytest.approx(1000, rel=0.05)
    again = scenario("steady", peak_rps=2, lengths=Lengths(1000, 400, 900))
    assert list(again.outputs) == list(trace.outputs)  # a fixed seed


def test_minutes_no_capacity_could_serve_are_reported_apart_from_scaling_misses() -> None:
    tier = tier_of(slo={"ttft_p90_seconds": 2, "tpot_p90_ms": 100})
    # A TTFT objective half of what a 4,000-token prompt takes alone on an idle instance.
    service = Service(tier)
    alone_first, _, _ = service.times(Request(0, 4000, 10), 1)
    strict = replace(tier, objectives=replace(tier.objectives, ttft_p90_s=alone_first / 2))
    requests = [Request(60.0 * k, 4000, 10) for k in range(20)]
    result = simulate(strict, requests, policy(strict, calendar=flat(1, 4)))
    assert result.minutes_unmeetable >= 19 and result.minutes_out_of_slo == 0
    assert oracle(strict, requests).minutes_unmeetable == result.minutes_unmeetable


def test_minutes_at_max_with_the_load_above_target_are_marked() -> None:
    tier = tier_of(scaling={"min": 1, "max": 1})
    heavy = scenario("steady", peak_rps=6, lengths=Lengths(800, 400))
    result = simulate(tier, heavy, policy(tier, calendar=flat(1, 1)))
    assert result.minutes_at_max_short > 0
    assert all(not m.at_max_short for m in oracle(tier, heavy).minutes)


def test_the_naive_configuration_keeps_the_tiers_own_bounds() -> None:
    tier = tier_of(scaling={"min": 2, "max": 5})
    naive = naive_policy(tier, policy_of(tier))
    assert (naive.metric, naive.target, naive.high_resolution) == ("invocations", 10.0, False)
    assert [(s.min, s.max) for s in naive.calendar.segments] == [(2, 5)]


def test_requests_longer_than_the_context_are_refused_not_replayed() -> None:
    tier = tier_of()
    requests = [Request(0.0, 18_000_000, 10), Request(1.0, 100, 10)]
    result = simulate(tier, requests, policy(tier, calendar=flat(1, 1)))
    assert (result.refused, result.finished) == (1, 1)
    assert oracle(tier, requests).refused == 1


@pytest.mark.parametrize("count", ["1_000", "\u0661\u0660\u0660", "\uff11\uff10\uff10", "+5", "5.0"])
def test_token_counts_are_ascii_digits_only(tmp_path: Path, count: str) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text(
        f"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,{count},2\n", encoding="utf-8"
    )
    with pytest.raises(TraceError, match=r":2: ContextTokens .* is not a whole number"):
        load_trace(trace, lengths=Lengths(1, 1))


def test_a_trace_longer_than_a_week_is_refused_in_one_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\n2124-11-16 18:15:46,1,2\n"
    )
    with pytest.raises(TraceError, match=":3: the trace spans more than a week"):
        load_trace(trace, lengths=Lengths(1, 1))


def test_a_device_or_a_directory_is_not_read_as_a_trace(tmp_path: Path) -> None:
    for path in ("/dev/zero", str(tmp_path)):
        with pytest.raises(TraceError, match="not a regular file"):
            load_trace(path, lengths=Lengths(1, 1))


def test_a_replay_beyond_the_cap_says_how_long_it_would_take() -> None:
    with pytest.raises(TraceError, match=r"more than a replay holds .* would take about [0-9,]+ minutes"):
        scenario("steady", peak_rps=1e9, lengths=Lengths(1, 1))
    with pytest.raises(TraceError, match="--scale 1000"):
        scaled([Request(float(i), 1, 1) for i in range(MAX_REQUESTS // 999)], 1000)
