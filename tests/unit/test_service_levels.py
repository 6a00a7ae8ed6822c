"""Service levels in the plan: TTFT and TPOT estimates, the three bounds on the concurrency
target, instance choice by cost per output token, and objectives no instance can meet."""

import math
from typing import Any

import pytest

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.objectives import DEFAULT_TPOT_P90_MS, DEFAULT_TTFT_P90_S
from deepseek_cdk.planning import PlanError, build_plan
from deepseek_cdk.planning.queueing import erlang_c, largest_within, offered_load, slot_wait_s
from deepseek_cdk.planning.service_levels import StepModel
from deepseek_cdk.planning.sizing import Workload, memory_fit
from deepseek_cdk.planning.uncertainty import tpot_band, ttft_band
from deepseek_cdk.spec import SpecError, parse_deployment


def plan_of(traffic: dict[str, Any] | None = None, **tier: Any) -> Any:
    data: dict[str, Any] = {
        "name": "t",
        "tiers": [
            {"name": "chat", "model": "deepseek-r1-distill-qwen-7b", "max_context_tokens": 8192, **tier}
        ],
    }
    if traffic is not None:
        data["traffic"] = {"chat": traffic}
    return build_plan(parse_deployment(data)).tiers[0]


def step_on(instance: str = "ml.g6e.xlarge", batch: int = 16) -> StepModel:
    """The plan's step model on `instance`: at the slow end of its calibration bands."""
    model = MODELS["deepseek-r1-distill-qwen-7b"]
    fit = memory_fit(model, INSTANCES[instance], Workload(8192, batch, typical_tokens=2000))
    gpu = INSTANCES[instance].gpu.name
    tpot, ttft = tpot_band(model, gpu), ttft_band(model, gpu)
    return StepModel.of(
        model,
        INSTANCES[instance],
        fit,
        batch=batch,
        context_tokens=8192,
        tokens_in=1000,
        tokens_out=1000,
        p90_tokens_out=2000,
        ttft_band=(ttft.low, ttft.high),
        tpot_band=(tpot.low, tpot.high),
    )


def test_erlang_c_matches_its_textbook_values() -> None:
    # M/M/1: an arrival waits with probability rho; M/M/2 at a = 1: C = 1/3.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(16, 0) == 0 and erlang_c(16, 16) == 1


def test_the_load_that_holds_a_number_in_the_system_counts_the_waiting_ones() -> None:
    # M/M/1: L = a / (1 - a), so one request in the system on average is half a server's load.
    assert offered_load(1, 1.0) == pytest.approx(0.5)
    assert offered_load(16, 4) == pytest.approx(4, abs=1e-3)  # a light load hardly waits


def test_the_p90_wait_follows_the_exponential_tail_and_is_zero_when_few_wait() -> None:
    # M/M/1 at 0.5 with 10 s requests: P(wait > t) = 0.5 exp(-0.05 t); p90 at ln(5) / 0.05.
    assert slot_wait_s(1, 0.5, 10, 0.9) == pytest.approx(math.log(5) / 0.05)
    assert slot_wait_s(16, 2, 10, 0.9) == 0


def test_largest_within_finds_the_last_value_under_the_limit() -> None:
    assert largest_within(5, lambda n: n, 16) == 5
    assert largest_within(0.5, lambda n: n, 16) == 0
    assert largest_within(2.35, lambda n: n, 4, step=0.1) == pytest.approx(2.3)


def test_tpot_grows_with_the_batch_and_with_slower_memory() -> None:
    l40s, l4 = step_on("ml.g6e.xlarge"), step_on("ml.g6.2xlarge")
    assert l40s.tpot_s(1) < l40s.tpot_s(8) < l40s.tpot_s(16)
    assert l4.tpot_s(1) > l40s.tpot_s(1)  # 300 GB/s against 864 GB/s
    # Every answer token carries its share of the prefills that join the batch.
    # At the calibration band's slow end (tpot_scale).
    assert l40s.tpot_s(8) == pytest.approx(
        (l40s.step_s(8) + 8 * l40s.prefill_busy_s() / 1000) * l40s.tpot_scale
    )


def test_ttft_is_the_prefill_and_a_step_until_the_slots_fill_up() -> None:
    step = step_on()
    assert step.ttft_p90_s(1) == pytest.approx((step.prefill_s() + step.step_s(1)) * step.ttft_scale)
    assert step.ttft_p90_s(15) > step.ttft_p90_s(8) > step.first_token_s(8) * 0.999


def test_the_plan_prints_each_bound_and_the_binding_one() -> None:
    tier = plan_of(max_concurrency=16)
    service = tier.service
    bounds = {"memory": service.memory_bound, "TPOT": service.tpot_bound, "TTFT": service.ttft_bound}
    assert bounds[service.binding] == min(bounds.values())
    assert service.memory_bound == 16
    assert service.concurrency == round(min(bounds.values()) * 0.85, 1)
    assert service.ttft_p90_s <= DEFAULT_TTFT_P90_S and service.tpot_p90_ms <= DEFAULT_TPOT_P90_MS


def test_a_tight_tpot_objective_binds_the_batch() -> None:
    step = step_on()
    limit_ms = 1000 * step.tpot_s(4) + 0.01  # met at a batch of 4, missed at 5
    tier = plan_of(instance_type="ml.g6e.xlarge", max_concurrency=16, slo={"tpot_p90_ms": limit_ms})
    assert (tier.service.tpot_bound, tier.service.binding) == (4, "TPOT")
    assert tier.scaling.target.target == pytest.approx(3.4)  # 4 x 0.85


def test_an_explicit_target_is_kept_and_its_estimates_printed() -> None:
    tier = plan_of(max_concurrency=16, scaling={"target": 12})
    assert (tier.scaling.target.target, tier.service.binding, tier.service.concurrency) == (
        12,
        "the spec",
        12,
    )


def test_an_explicit_target_that_misses_the_objectives_is_a_warning_naming_the_field() -> None:
    tier = plan_of(max_concurrency=16, scaling={"target": 16})
    (warning,) = [w for w in tier.warnings if "scaling.target" in w]
    assert warning.startswith("tiers[0].scaling.target: ttft_p90_seconds: estimate ")


def test_auto_takes_the_lowest_cost_per_output_token_and_says_why_the_next_three_lost() -> None:
    tier = plan_of(max_concurrency=16)
    assert tier.instance_chosen == "auto" and len(tier.alternatives) == 3
    costs = [a.usd_per_million_tokens for a in tier.alternatives if a.usd_per_million_tokens is not None]
    assert costs == sorted(costs) and all(c > tier.usd_per_million_tokens for c in costs)
    assert all("the chosen's cost per token" in a.reason for a in tier.alternatives)
    # Per token, not per hour: the chosen is not the cheapest instance an hour.
    assert tier.instance_type == "ml.g5.2xlarge" and tier.price.usd_per_hour > 1.222


def test_the_plans_cost_per_token_is_the_one_auto_ranked_by() -> None:
    tier = plan_of({"peak_rps": 1}, max_concurrency=16)
    assert tier.economics.per_million_at_target == pytest.approx(tier.usd_per_million_tokens)


@pytest.mark.parametrize(
    ("slo", "field"),
    [
        (
            {"tpot_p90_ms": 1},
            "tiers[0].slo.tpot_p90_ms: serving deepseek-r1-distill-llama-70b, no instance meets 1 ms",
        ),
        (
            {"ttft_p90_seconds": 0.05},
            "tiers[0].slo.ttft_p90_seconds: serving deepseek-r1-distill-llama-70b, no instance meets 0.05 s",
        ),
    ],
)
def test_objectives_no_instance_meets_are_a_plan_error_with_the_best_value(
    slo: dict[str, Any], field: str
) -> None:
    long_prompts = {"peak_rps": 1, "avg_input_tokens": 7000, "avg_output_tokens": 500}
    with pytest.raises(PlanError) as err:
        plan_of(long_prompts, model="deepseek-r1-distill-llama-70b", slo=slo)
    (line,) = err.value.problems
    assert line.startswith(field)
    assert "even with one request; the best is " in line and "(estimate)" in line


def test_an_explicit_instance_that_misses_an_objective_names_it_and_what_meets_it() -> None:
    with pytest.raises(PlanError) as err:
        plan_of(instance_type="ml.g6.2xlarge", slo={"tpot_p90_ms": 40})
    (line,) = err.value.problems
    assert line.startswith(
        "tiers[0].slo.tpot_p90_ms: serving deepseek-r1-distill-qwen-7b, ml.g6.2xlarge does not"
    )
    assert "Instances that meet them, cheapest per token first: ml." in line


@pytest.mark.parametrize(
    ("slo", "field"),
    [
        ({"ttft_p90_seconds": 0}, "tiers[0].slo.ttft_p90_seconds"),
        ({"tpot_p90_ms": -5}, "tiers[0].slo.tpot_p90_ms"),
        (
            {"completion_p90_seconds": 600},
            "tiers[0].slo.completion_p90_seconds: not an objective of realtime",
        ),
        ({"p90_latency_seconds": 30}, "tiers[0].slo.p90_latency_seconds: no longer supported"),
    ],
)
def test_bad_objectives_are_one_line_naming_the_field(slo: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as err:
        plan_of(slo=slo)
    (line,) = err.value.problems
    assert line.startswith(field)


def test_an_async_tier_takes_only_a_completion_objective() -> None:
    with pytest.raises(SpecError) as err:
        plan_of(endpoint="async", slo={"ttft_p90_seconds": 2})
    assert err.value.problems == [
        "tiers[0].slo.ttft_p90_seconds: not an objective of async tiers; they take completion_p90_seconds"
    ]


def test_an_async_tiers_completion_estimate_waits_behind_the_backlog() -> None:
    within = plan_of(endpoint="async", scaling={"min": 0, "max": 2, "backlog_per_instance": 16})
    beyond = plan_of(endpoint="async", scaling={"min": 0, "max": 2, "backlog_per_instance": 48})
    assert beyond.service.completion_p90_s > within.service.completion_p90_s
    assert within.objectives.completion_p90_s == 1800 and within.objectives.ttft_p90_s is None
    with pytest.raises(PlanError) as err:
        plan_of(endpoint="async", slo={"completion_p90_seconds": 1})
    assert err.value.problems[0].startswith("tiers[0].slo.completion_p90_seconds: serving ")


def test_defaults_and_their_source_when_the_spec_gives_no_objectives() -> None:
    tier = plan_of()
    assert (tier.objectives.ttft_p90_s, tier.objectives.tpot_p90_ms) == (2.0, 100.0)
    assert "MLPerf" in tier.objectives.source
    assert plan_of(slo={"ttft_p90_seconds": 1, "tpot_p90_ms": 50}).objectives.source == "the spec"


def test_a_tier_without_a_router_says_its_objectives_are_not_measured() -> None:
    assert plan_of().measured_by.startswith("not measured: no router in front; SageMaker's ModelLatency")


def test_a_loadtest_measurement_replaces_the_estimate_at_its_concurrency() -> None:
    base = plan_of(instance_type="ml.g6e.xlarge", max_concurrency=16)
    measured = {
        "tokens_per_second": 300,
        "concurrency": 8,
        "instance_type": "ml.g6e.xlarge",
        "date": "2026-12-01",
        "ttft_p90_seconds": 0.9,
        "tpot_p90_ms": 99,
    }
    tier = plan_of(instance_type="ml.g6e.xlarge", max_concurrency=16, measured=measured)
    assert tier.service.basis.startswith("measured by deepseek-cdk loadtest on 2026-12-01 at 8 in flight")
    assert tier.service.tpot_bound < base.service.tpot_bound  # 99 ms at 8 is slower than estimated
    assert tier.scaling.target.target < base.scaling.target.target


def test_the_plan_prints_the_calibration_band_and_plans_at_its_slow_end() -> None:
    tier = plan_of(instance_type="ml.g6e.xlarge", max_concurrency=16)
    model, gpu = MODELS["deepseek-r1-distill-qwen-7b"], INSTANCES["ml.g6e.xlarge"].gpu.name
    band = tpot_band(model, gpu)
    assert band.high > 1 > band.low  # no Qwen point on an L40S: the dense set's spread
    service = tier.service
    assert service.tpot_scale == band.high
    assert service.tpot_low_ms == pytest.approx(service.tpot_p90_ms * band.low / band.high)
    assert "planned at the slow end of its band" in service.basis
    # The simulator's service takes the same scale: its step is the plan's.
    from deepseek_cdk.planning.simulate import Service
    from deepseek_cdk.planning.traces import Request

    _, _, step = Service(tier).times(Request(0, 1000, 1000), 1)
    assert step == pytest.approx(step_on().step_s(1) * band.high, rel=0.05)


def r1_with(prices: dict[str, Any]) -> Any:
    data = {
        "name": "r1",
        "tiers": [{"name": "r", "model": "deepseek-r1", "max_context_tokens": 32768, "max_concurrency": 8}],
        "prices": prices,
    }
    return build_plan(parse_deployment(data)).tiers[0]


def test_a_spec_price_prices_full_r1_and_names_its_source() -> None:
    assert r1_with({}).cost is None  # no public price for p5e/p5en
    given = {"usd_per_hour": 100.0, "source": "our AWS agreement", "as_of": "2026-12-01"}
    tier = r1_with({"ml.p5e.48xlarge": given})
    # The priced type wins over the unpriced one that also fits.
    assert tier.instance_type == "ml.p5e.48xlarge" and tier.price.usd_per_hour == 100.0
    assert tier.price.note("us-east-1") == "the spec's price: our AWS agreement, as of 2026-12-01"
    assert tier.usd_per_million_tokens is not None and tier.economics.per_million_at_target is not None
    assert tier.cost is not None and tier.cost.monthly_at_min == pytest.approx(100.0 * 730)


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        (
            {"ml.nope.xlarge": {"usd_per_hour": 1, "source": "x", "as_of": "2026-01-01"}},
            "unknown instance type",
        ),
        ({"ml.p5e.48xlarge": {"usd_per_hour": 0, "source": "x", "as_of": "2026-01-01"}}, "usd_per_hour"),
        ({"ml.p5e.48xlarge": {"usd_per_hour": 1, "source": "x", "as_of": "2999-01-01"}}, "in the future"),
        (
            {"ml.p5e.48xlarge": {"usd_per_hour": 1, "source": "\x1b[31mx", "as_of": "2026-01-01"}},
            "control character",
        ),
        ({"ml.p5e.48xlarge": {"usd_per_hour": 1, "as_of": "2026-01-01"}}, "source"),
    ],
)
def test_bad_spec_prices_are_one_line_naming_the_field(prices: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as err:
        r1_with(prices)
    (line,) = err.value.problems
    assert line.startswith("prices") and message in line


def test_a_measurement_far_from_the_estimate_is_used_and_flagged() -> None:
    measured = {
        "tokens_per_second": 2000,
        "concurrency": 8,
        "instance_type": "ml.g6e.xlarge",
        "date": "2026-12-01",
    }
    tier = plan_of(
        instance_type="ml.g6e.xlarge",
        max_concurrency=16,
        measured=measured,
        scaling={"metric": "invocations", "max_rps": 30},
    )
    assert tier.throughput.tokens_per_second == 2000  # used
    flagged = {w.split(":")[0] for w in tier.warnings if "x the estimate" in w}
    assert flagged == {"tiers[0].scaling.max_rps", "tiers[0].measured.tokens_per_second"}
    near = plan_of(
        instance_type="ml.g6e.xlarge",
        max_concurrency=16,
        measured={**measured, "tokens_per_second": tier.service.tokens_per_second},
    )
    assert not [w for w in near.warnings if "x the estimate" in w]
