"""Cost per output token and break-even against hosted APIs, worked by hand
(planning.economics), and the plan's expected cost as the sum of its versions'."""

from __future__ import annotations

from typing import Any

import pytest

from deepseek_cdk.planning import HOURS_PER_MONTH, build_plan
from deepseek_cdk.planning.economics import token_economics
from deepseek_cdk.spec import ApiPrice, SpecError, parse_deployment

CHEAP = ApiPrice(input_usd_per_million=1, output_usd_per_million=3, as_of="2026-01-01", source="test")
DEAR = ApiPrice(input_usd_per_million=10, output_usd_per_million=20, as_of="2026-01-01", source="test")


def economics(**overrides: Any) -> Any:
    props: dict[str, Any] = {
        "price_per_hour": 1.0,
        "monthly_at_min": 730.0,  # one instance all month
        "monthly_expected": 1000.0,
        "average_max_instances": 4.0,
        "full_batch_tokens_per_second": 100.0,
        "target_requests_per_second": 0.05,
        "average_rps": 0.1,
        "input_tokens": 500,
        "output_tokens": 1000,
        "api_prices": {"cheap": CHEAP, "dear": DEAR},
    }
    return token_economics(**{**props, **overrides})


def test_cost_per_million_output_tokens_at_full_batch_target_and_traffic() -> None:
    e = economics()
    assert e.per_million_at_full_batch == pytest.approx(1 / 3600 / 100 * 1e6)  # $2.78
    assert e.per_million_at_target == pytest.approx(1 / 3600 / 50 * 1e6)  # 0.05 req/s x 1000 = 50 tok/s
    tokens = 0.1 * 1000 * 730 * 3600  # 262.8 M output tokens a month
    assert e.output_tokens_per_month == pytest.approx(tokens)
    assert e.per_million_at_traffic == pytest.approx(1000 / tokens * 1e6)
    assert e.capacity_tokens_per_month == pytest.approx(4 * 50 * 730 * 3600)


def test_break_even_against_an_api() -> None:
    cheap, dear = economics().apis
    # Input folded in at 500:1000: cheap = 0.5 x $1 + $3 = $3.50 per million output tokens,
    # below the instances' $5.56 at the target: the API always wins.
    assert cheap.usd_per_million_output == pytest.approx(3.5)
    assert cheap.break_even_tokens_per_month is None
    # dear = 0.5 x $10 + $20 = $25 per million: the $730 floor is paid back at 29.2 M tokens.
    assert dear.usd_per_million_output == pytest.approx(25)
    assert dear.break_even_tokens_per_month == pytest.approx(730 / 25e-6)
    assert dear.monthly_at_traffic == pytest.approx(0.1 * 1000 * 730 * 3600 * 25e-6)


def test_a_tier_at_zero_breaks_even_on_one_instance_and_an_unknown_price_says_so() -> None:
    # Steady traffic keeps one instance of a scale-to-zero tier running: $1 x 730 h to pay back.
    (_, dear) = economics(monthly_at_min=0.0).apis
    assert dear.break_even_tokens_per_month == pytest.approx(730 / 25e-6)
    unknown = economics(price_per_hour=None, monthly_at_min=None, monthly_expected=None)
    assert (unknown.per_million_at_target, unknown.per_million_at_traffic) == (None, None)
    assert all(api.break_even_tokens_per_month is None for api in unknown.apis)


def test_without_traffic_there_is_no_expected_volume() -> None:
    e = economics(average_rps=None, monthly_expected=None)
    assert (e.output_tokens_per_month, e.per_million_at_traffic) == (None, None)
    assert all(api.monthly_at_traffic is None for api in e.apis)


def test_the_tiers_expected_cost_is_its_versions() -> None:
    data = {
        "name": "t",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "max_context_tokens": 8192,
                "scaling": {"min": 1, "max": 6},
                "versions": [{"name": "v1"}, {"name": "v2", "weight": 0}],
                "shadow": {"version": "v2", "sample_percent": 50},
            }
        ],
        "traffic": {"chat": {"peak_rps": 0.5}},
    }
    tier = build_plan(parse_deployment(data)).tiers[0]
    v1, v2 = tier.versions
    per_month = tier.cost.price_per_hour * HOURS_PER_MONTH
    assert tier.demand is not None
    assert v1.monthly_expected == pytest.approx(per_month * tier.demand.average_instances)
    # The shadow runs a fixed 3 instances (half of max 6): no autoscaling moves a shadow variant.
    assert v2.monthly_expected == pytest.approx(3 * per_month)
    assert tier.cost.monthly_expected == pytest.approx(v1.monthly_expected + v2.monthly_expected)


def test_api_prices_can_be_given_and_are_checked() -> None:
    data: dict[str, Any] = {
        "name": "t",
        "tiers": [{"name": "chat", "model": "deepseek-r1-distill-qwen-7b"}],
        "api_prices": {
            "mine": {
                "input_usd_per_million": 1,
                "output_usd_per_million": 2,
                "as_of": "2026-11-01",
                "source": "x",
            }
        },
    }
    plan = build_plan(parse_deployment(data))
    assert [a.name for a in plan.tiers[0].economics.apis] == ["mine"]
    data["api_prices"]["mine"]["as_of"] = "November"
    with pytest.raises(SpecError) as err:
        parse_deployment(data)
    assert err.value.problems == ["api_prices.mine.as_of: must be a date written yyyy-mm-dd (got 'November')"]
