"""Scaling in the plan: targets derived and explained, schedules on a weekly calendar, cost."""

import re
from typing import Any

import pytest

from deepseek_cdk.catalog.prices import PRICES
from deepseek_cdk.planning import HOURS_PER_MONTH, PlanError, build_plan
from deepseek_cdk.planning.throughput import p90_output_tokens
from deepseek_cdk.spec import SpecError, TrafficProfile, parse_deployment

BERLIN_OFFICE = {"name": "office", "cron": "0 8 ? * MON-FRI *", "timezone": "Europe/Berlin", "min": 3}
BERLIN_EVENING = {"name": "evening", "cron": "0 19 ? * MON-FRI *", "timezone": "Europe/Berlin", "min": 1}


def tier_plan(scaling: dict[str, Any], traffic: dict[str, Any] | None = None, **tier: Any) -> Any:
    data: dict[str, Any] = {
        "name": "t",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "instance_type": "ml.g6e.xlarge",
                "max_context_tokens": 8192,
                "scaling": scaling,
                **tier,
            }
        ],
    }
    if traffic is not None:
        data["traffic"] = {"chat": traffic}
    return build_plan(parse_deployment(data)).tiers[0]


def spec_problems(scaling: dict[str, Any], **tier: Any) -> list[str]:
    with pytest.raises(SpecError) as err:
        tier_plan(scaling, **tier)
    return err.value.problems


def test_concurrency_target_is_the_smallest_bound_times_the_utilization() -> None:
    t = tier_plan({"min": 1, "max": 4}, max_concurrency=16)
    service = t.service
    assert (t.scaling.target.predefined_metric, t.scaling.target.customized_metric) == (
        None,
        "ConcurrentRequestsPerModel",
    )
    smallest = min(service.memory_bound, service.tpot_bound, service.ttft_bound)
    assert t.scaling.target.target == pytest.approx(round(smallest * 0.85, 1))
    assert t.scaling.target.target == service.concurrency
    assert t.scaling.target.derivation == (
        f"the smallest of 16 (memory), {service.tpot_bound:g} (TPOT) and {service.ttft_bound:g} (TTFT) "
        f"concurrent requests, {service.binding} binding, x 0.85 target utilization"
    )


def test_invocations_target_from_a_measured_max_rps() -> None:
    t = tier_plan({"min": 1, "max": 4, "metric": "invocations", "max_rps": 2, "safety_factor": 0.5})
    assert t.scaling.target.predefined_metric == "SageMakerVariantInvocationsPerInstance"
    assert t.scaling.target.target == 60  # 2 rps x 60 s x 0.5
    assert "measured max_rps" in t.scaling.target.derivation


def test_invocations_without_a_measured_max_rps_are_refused() -> None:
    (line,) = spec_problems({"min": 1, "max": 4, "metric": "invocations"})
    assert line.startswith("tiers[0].scaling.max_rps: metric invocations needs the requests/s one instance")
    assert tier_plan({"min": 1, "max": 4, "metric": "invocations", "target": 30}).scaling.target.target == 30


def test_throughput_estimate_grows_with_memory_bandwidth() -> None:
    l4 = tier_plan({"min": 1}, instance_type="ml.g6.2xlarge", max_concurrency=4)
    l40s = tier_plan({"min": 1}, instance_type="ml.g6e.2xlarge", max_concurrency=4)
    # Memory-bound at this batch: faster memory, faster decoding (less than 864/300 faster,
    # because each step also has a fixed cost).
    assert l4.throughput.tokens_per_second < l40s.throughput.tokens_per_second


def test_explicit_target_is_kept_and_cooldowns_are_minutes() -> None:
    t = tier_plan({"min": 1, "max": 4, "target": 5})
    assert (t.scaling.target.target, t.scaling.target.derivation) == (5, "given in the spec")
    assert (t.scaling.scale_out_cooldown_s, t.scaling.scale_in_cooldown_s) == (300, 900)


def test_no_schedules_is_one_flat_week() -> None:
    t = tier_plan({"min": 2, "max": 4})
    (segment,) = t.scaling.calendar.segments
    assert (segment.start, segment.end, segment.min, segment.max) == (0, 7 * 24 * 60, 2, 4)
    price = PRICES.price(None, "ml.g6e.xlarge").usd_per_hour
    assert t.cost.monthly_at_min == pytest.approx(2 * price * HOURS_PER_MONTH)
    assert t.cost.monthly_at_max == pytest.approx(4 * price * HOURS_PER_MONTH)


def test_office_hours_in_berlin_are_07_to_18_utc_in_winter_and_priced() -> None:
    t = tier_plan({"min": 1, "max": 6, "schedules": [BERLIN_OFFICE, BERLIN_EVENING]})
    described = [s.describe() for s in t.scaling.calendar.segments]
    assert described[:3] == [
        "Mon 00:00-Mon 07:00: 1-6",
        "Mon 07:00-Mon 18:00: 3-6",
        "Mon 18:00-Tue 07:00: 1-6",
    ]
    assert described[-1] == "Fri 18:00-Sun 24:00: 1-6"
    # 5 days x 11 h at 3 instances, the rest of the 168 h at 1.
    average = (5 * 11 * 3 + (168 - 55) * 1) / 168
    assert t.scaling.calendar.average_min == pytest.approx(average)
    price = PRICES.price(None, "ml.g6e.xlarge").usd_per_hour
    assert t.cost.monthly_at_min == pytest.approx(average * price * HOURS_PER_MONTH)
    assert [s.expression for s in t.scaling.schedules] == [
        "cron(0 8 ? * MON-FRI *)",
        "cron(0 19 ? * MON-FRI *)",
    ]


def test_async_tier_at_zero_at_night() -> None:
    night = {"name": "night", "cron": "0 22 ? * * *", "min": 0, "max": 0 + 1}
    day = {"name": "day", "cron": "0 6 ? * * *", "min": 1, "max": 4}
    t = tier_plan({"min": 1, "max": 4, "schedules": [night, day]}, endpoint="async")
    assert t.scaling.calendar.lowest_min == 0
    assert t.scaling.calendar.average_min == pytest.approx(16 / 24)


def test_one_off_schedules_are_noted_not_priced() -> None:
    launch = {"name": "launch", "at": "2030-03-01T06:00:00", "min": 4, "max": 8}
    t = tier_plan({"min": 1, "max": 6, "schedules": [launch]})
    assert t.scaling.calendar.average_min == 1
    assert t.scaling.notes and "'launch' fires on dates" in t.scaling.notes[0]
    assert t.scaling.schedules[0].expression == "at(2030-03-01T06:00:00)"


def test_schedules_firing_at_the_same_time_are_reported() -> None:
    clash = {"name": "clash", "cron": "0 7 ? * MON *", "timezone": "UTC", "min": 2}
    with pytest.raises(PlanError) as err:
        tier_plan({"min": 1, "max": 6, "schedules": [BERLIN_OFFICE, clash]})
    (line,) = err.value.problems
    assert re.fullmatch(
        r"tiers\[0\]\.scaling\.schedules\[1\]: 'clash' fires at the same time as schedules\[0\] 'office' "
        r"\(Mon \d{4}-\d{2}-\d{2} 07:00 UTC\); which one wins is undefined",
        line,
    )


def test_one_off_at_the_same_moment_as_a_cron_is_reported() -> None:
    launch = {"name": "launch", "at": "2030-03-04T08:00:00", "timezone": "Europe/Berlin", "min": 4, "max": 8}
    with pytest.raises(PlanError) as err:
        tier_plan({"min": 1, "max": 6, "schedules": [BERLIN_OFFICE, launch]})
    assert err.value.problems == [
        "tiers[0].scaling.schedules[1]: 'launch' fires at the same time as schedules[0] 'office' "
        "(Mon 2030-03-04 07:00 UTC); which one wins is undefined"
    ]


def test_schedule_raising_min_above_the_max_in_force_is_reported() -> None:
    with pytest.raises(PlanError) as err:
        tier_plan({"min": 1, "max": 2, "schedules": [BERLIN_OFFICE]})
    assert err.value.problems == [
        "tiers[0].scaling.schedules[0]: 'office' leaves min 3 above max 2 at Mon 07:00 UTC; "
        "set max in the same schedule"
    ]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"cron": "0 8 * * MON-FRI *", "min": 2}, "tiers[0].scaling.schedules[0].cron: exactly one of"),
        ({"at": "tomorrow", "min": 2}, "tiers[0].scaling.schedules[0].at: must be a time like"),
        (
            {"cron": "0 8 ? * * *", "timezone": "Berlin", "min": 2},
            "tiers[0].scaling.schedules[0].timezone: not an IANA",
        ),
        (
            {"cron": "0 8 ? * * *", "min": 5, "max": 3},
            "tiers[0].scaling.schedules[0].min: must be <= the schedule's max",
        ),
        (
            {"cron": "0 8 ? * * *", "min": 0},
            "tiers[0].scaling.schedules[0].min: a realtime endpoint cannot scale to 0",
        ),
        ({"cron": "0 8 ? * * *"}, "tiers[0].scaling.schedules[0]: give min, max or both"),
    ],
)
def test_bad_schedules_name_the_field(schedule: dict[str, Any], message: str) -> None:
    problems = spec_problems({"min": 1, "max": 4, "schedules": [{"name": "s", **schedule}]})
    assert any(p.startswith(message) for p in problems), problems


def test_duplicate_schedule_names() -> None:
    twice = [{"name": "s", "cron": "0 8 ? * * *", "min": 2}, {"name": "s", "cron": "0 9 ? * * *", "min": 1}]
    assert spec_problems({"min": 1, "max": 4, "schedules": twice}) == [
        "tiers[0].scaling.schedules[1].name: schedule name 's' is used twice"
    ]


def test_target_above_the_engine_batch_limit() -> None:
    """One copy's batch where the tier runs one copy an instance (TGI, or inference components);
    the chosen layout's batches where LMI may run several."""
    (tgi,) = spec_problems({"min": 1, "max": 4, "target": 20}, max_concurrency=16, container="tgi")
    assert tgi.startswith("tiers[0].scaling.target: 20 concurrent requests per instance exceeds the engine's")
    (one_gpu,) = spec_problems({"min": 1, "max": 4, "target": 20}, max_concurrency=16)
    assert one_gpu == (
        "tiers[0].scaling.target: 20 concurrent requests per instance is more than ml.g6e.xlarge's "
        "batches hold: at most 16, on ml.g6e.xlarge as tensor parallel 1 (max_concurrency 16 a copy); "
        "queued requests count too, so stay below it"
    )


def test_a_target_above_one_copys_batch_chooses_a_layout_of_several_copies() -> None:
    t = tier_plan({"min": 1, "max": 4, "target": 40}, max_concurrency=16, instance_type="auto")
    assert t.copies >= 3 and t.service.memory_bound == 16 * t.copies >= 40
    assert (t.scaling.target.target, t.service.binding) == (40, "the spec")
    (line,) = spec_problems({"min": 1, "max": 4, "target": 500}, max_concurrency=16, instance_type="auto")
    assert line.startswith("tiers[0].scaling.target: 500 concurrent requests per instance is more than any ")
    assert "at most 128, on ml." in line and "tensor parallel 1, 8 copies" in line


@pytest.mark.parametrize(
    ("tier", "key", "why"),
    [
        ({"endpoint": "async", "scaling": {"target": 8}}, "target", "async tiers scale on the requests"),
        ({"endpoint": "async", "scaling": {"metric": "concurrency"}}, "metric", "give backlog_per_instance"),
        ({"endpoint": "async", "scaling": {"target_utilization": 0.5}}, "target_utilization", "async tiers"),
        ({"scaling": {"target": 8, "target_utilization": 0.5}}, "target_utilization", "target is given"),
        ({"scaling": {"safety_factor": 0.4}}, "safety_factor", "only used with metric: invocations"),
        (
            {"scaling": {"metric": "invocations", "target": 30, "max_rps": 1}},
            "max_rps",
            "derives the target, and target is given",
        ),
    ],
)
def test_a_scaling_key_the_tier_never_reads_is_refused(tier: dict[str, Any], key: str, why: str) -> None:
    data = {"name": "t", "tiers": [{"name": "chat", "model": "deepseek-r1-distill-qwen-7b", **tier}]}
    with pytest.raises(SpecError) as err:
        parse_deployment(data)
    (line,) = err.value.problems
    assert line.startswith(f"tiers[0].scaling.{key}: ") and why in line


def test_max_rps_only_with_invocations() -> None:
    (line,) = spec_problems({"min": 1, "max": 4, "max_rps": 3})
    assert line == "tiers[0].scaling.max_rps: only used with metric: invocations (metric is concurrency)"


def test_the_p90_request_never_writes_past_the_context() -> None:
    traffic = TrafficProfile(peak_rps=1, avg_input_tokens=4000, avg_output_tokens=3000)
    assert p90_output_tokens(traffic, 32768) == 6000  # twice the average
    assert p90_output_tokens(traffic, 8192) == 4192  # 8192 - 4000 input tokens: the rest does not fit
    tier = tier_plan({}, {"peak_rps": 1, "avg_input_tokens": 4000, "avg_output_tokens": 5000})
    # The average request is held to the context too: 5000 out would not fit.
    assert tier.alarms.settings.latency_p90_us == int((2 + 4192 * 0.1) * 1_000_000)
