"""The tier's `traffic` over the week: what the peak needs, the expected instances and cost,
and the hours the calendar's max leaves demand short. Every expected value is worked out by
hand in the test's comment."""

from typing import Any

import pytest

from deepseek_cdk.catalog.prices import PRICES
from deepseek_cdk.planning import HOURS_PER_MONTH, build_plan
from deepseek_cdk.planning.demand import demand_plan, share_of_peak
from deepseek_cdk.planning.schedules import capacity_calendar
from deepseek_cdk.spec import Schedule, SpecError, TrafficProfile, parse_deployment

# Max 10 from 08:00 to 17:00 UTC on weekdays, 1 otherwise: Berlin's 09:00-18:00 in winter.
RAISED_IN_BERLIN_OFFICE_HOURS = [
    Schedule(name="up", cron="0 8 ? * MON-FRI *", max=10),
    Schedule(name="down", cron="0 17 ? * MON-FRI *", max=1),
]


def test_flat_traffic_needs_the_peak_all_week() -> None:
    calendar = capacity_calendar(0, 4, [], at="scaling")
    demand = demand_plan(TrafficProfile(peak_rps=1), calendar, rate=0.5, rate_basis="")
    # 1 request/s at 0.5 per instance: 2 instances every minute of the week.
    assert (demand.needed_at_peak, demand.average_instances, demand.hours_short) == (2, 2.0, 0.0)


def test_a_peak_above_max_is_short_every_hour_it_lasts() -> None:
    calendar = capacity_calendar(1, 4, [], at="scaling")
    demand = demand_plan(TrafficProfile(peak_rps=3), calendar, rate=0.5, rate_basis="")
    assert demand.needed_at_peak == 6
    assert demand.average_instances == 4.0  # held at max
    assert demand.hours_short == 168.0


def test_business_hours_weigh_the_peak_by_its_hours() -> None:
    calendar = capacity_calendar(0, 10, [], at="scaling")
    traffic = TrafficProfile(peak_rps=1, daily_pattern="business-hours")
    demand = demand_plan(traffic, calendar, rate=0.1, rate_basis="")
    # 45 peak hours need 10 instances; the other 123 hours carry 0.1 requests/s: 1 instance.
    assert demand.average_instances == pytest.approx((45 * 10 + 123 * 1) / 168)
    assert demand.hours_short == 0.0


def test_the_pattern_is_local_to_the_traffic_time_zone() -> None:
    calendar = capacity_calendar(0, 1, RAISED_IN_BERLIN_OFFICE_HOURS, at="scaling")

    def short(timezone: str) -> float:
        traffic = TrafficProfile(peak_rps=1, daily_pattern="business-hours", timezone=timezone)
        return demand_plan(traffic, calendar, rate=0.1, rate_basis="").hours_short

    assert short("Europe/Berlin") == 0.0  # the raised max covers Berlin's office hours exactly
    # In UTC the peak runs 09:00-18:00: 17:00-18:00 is past the raise, five days a week.
    assert short("UTC") == 5.0


def test_nightly_batch_is_six_hours_a_day() -> None:
    assert share_of_peak("nightly-batch", 5 * 60 + 59) == 1.0
    assert share_of_peak("nightly-batch", 6 * 60) == 0.05
    assert share_of_peak("business-hours", 5 * 24 * 60 + 10 * 60) == 0.1  # Saturday 10:00


def chat(traffic: dict[str, Any], **scaling: Any) -> Any:
    data = {
        "name": "t",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "instance_type": "ml.g6e.xlarge",
                "max_context_tokens": 8192,
                "scaling": {"min": 1, "max": 4, **scaling},
            }
        ],
        "traffic": {"chat": traffic},
    }
    return build_plan(parse_deployment(data)).tiers[0]


def test_one_instance_serves_the_target_in_flight_at_their_time_per_token() -> None:
    tier = chat({"peak_rps": 0.2, "avg_input_tokens": 500, "avg_output_tokens": 300})
    service = tier.service
    assert tier.scaling.target.target == service.concurrency
    # Output tokens/s at the target, over the average answer's 300 tokens.
    assert service.tokens_per_second == pytest.approx(service.concurrency / (service.tpot_p90_ms / 1000))
    assert tier.demand.rate_per_instance == pytest.approx(service.tokens_per_second / 300)


def test_invocations_serve_their_target_per_minute() -> None:
    tier = chat({"peak_rps": 2}, metric="invocations", max_rps=1.5)
    # Target 1.5 x 60 x 0.5 = 45 a minute: 0.75 requests/s; 2 requests/s need 3 instances.
    assert tier.demand.rate_per_instance == pytest.approx(0.75)
    assert tier.demand.needed_at_peak == 3
    assert tier.demand.average_instances == 3.0


def test_expected_cost_is_the_expected_instances_priced() -> None:
    tier = chat({"peak_rps": 2}, metric="invocations", max_rps=1.5)
    price = PRICES.price(None, "ml.g6e.xlarge").usd_per_hour
    assert tier.cost.monthly_expected == pytest.approx(3 * price * HOURS_PER_MONTH)
    assert tier.cost.monthly_at_min < tier.cost.monthly_expected < tier.cost.monthly_at_max


def test_without_traffic_there_is_no_expected_cost() -> None:
    data = {"name": "t", "tiers": [{"name": "chat", "model": "deepseek-r1-distill-qwen-7b"}]}
    tier = build_plan(parse_deployment(data)).tiers[0]
    assert tier.demand is None
    assert tier.cost.monthly_expected is None


def test_a_bad_traffic_time_zone_names_the_field() -> None:
    with pytest.raises(SpecError) as err:
        chat({"peak_rps": 1, "timezone": "Berlin"})
    assert err.value.problems == [
        "traffic.chat.timezone: not an IANA time zone name, e.g. UTC, Europe/Berlin, "
        "America/New_York (got 'Berlin')"
    ]
