"""How a tier's totals are shared among its versions (planning.capacity)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.capacity import CapacityError, CapacityPlan, capacity_plan, share
from deepseek_cdk.spec import Schedule, SpecError, parse_deployment


def test_floors_first_then_the_most_weight_per_instance() -> None:
    assert share(4, [90, 10], floor=1) == [3, 1]
    assert share(2, [90, 10], floor=1) == [1, 1]
    assert share(5, [50, 30, 20], floor=0) == [3, 1, 1]
    assert share(0, [70, 30], floor=0) == [0, 0]


def test_ties_go_to_the_first_version() -> None:
    assert share(3, [50, 50], floor=1) == [2, 1]


def test_floors_that_do_not_fit_are_an_error() -> None:
    with pytest.raises(CapacityError, match="3 live versions need at least 3"):
        share(2, [40, 30, 30], floor=1)


@given(
    weights=st.lists(st.floats(min_value=0.5, max_value=100), min_size=1, max_size=6),
    low=st.integers(min_value=0, max_value=40),
    extra=st.integers(min_value=0, max_value=40),
)
def test_shares_add_up_and_never_shrink_when_the_total_grows(
    weights: list[float], low: int, extra: int
) -> None:
    floor = 1 if low >= len(weights) else 0
    if floor == 0 and low > 0:
        low = 0
    smaller, larger = share(low, weights, floor), share(low + extra, weights, floor)
    assert sum(smaller) == low and sum(larger) == low + extra
    assert all(a <= b for a, b in zip(smaller, larger, strict=True))


def plan(kind: EndpointKind, low: int, high: int, *schedules: Schedule) -> CapacityPlan:
    return capacity_plan(
        kind=kind,
        versions=[("v1", 60), ("v2", 40), ("v3", 0)],
        min_total=low,
        max_total=high,
        schedules=schedules,
        at="tiers[0]",
    )


def test_real_time_min_must_cover_one_instance_per_live_version() -> None:
    with pytest.raises(CapacityError) as err:
        plan(EndpointKind.REALTIME, 1, 4)
    assert str(err.value) == (
        "tiers[0].scaling.min: 2 live versions need at least 2 (one instance each) (got 1)"
    )


def test_components_are_all_at_zero_or_each_has_a_copy() -> None:
    with pytest.raises(CapacityError) as err:
        plan(EndpointKind.INFERENCE_COMPONENTS, 1, 4)
    assert "(one copy each, or 0 for all) (got 1)" in str(err.value)
    at_zero = plan(EndpointKind.INFERENCE_COMPONENTS, 0, 4)
    assert [(v.min, v.initial) for v in at_zero.live] == [(0, 1), (0, 1)]


def test_a_scheduled_bound_is_shared_like_the_tier_bounds() -> None:
    busy = Schedule(name="busy", cron="0 8 ? * MON-FRI *", min=5)
    shared = plan(EndpointKind.REALTIME, 2, 6, busy)
    assert [s.min for v in shared.live for s in v.schedules] == [3, 2]
    assert [v.role for v in shared.versions] == ["live", "live", "staged"]


def test_a_one_off_whose_min_is_above_the_tier_max_must_raise_max_too() -> None:
    data = {
        "name": "t",
        "tiers": [
            {
                "name": "a",
                "model": "deepseek-r1-distill-qwen-7b",
                "scaling": {
                    "min": 1,
                    "max": 4,
                    "schedules": [{"name": "launch", "at": "2030-03-01T06:00:00", "min": 6}],
                },
            }
        ],
    }
    with pytest.raises(SpecError) as err:
        parse_deployment(data)
    assert err.value.problems == [
        "tiers[0].scaling.schedules[0].max: a one-off or dated schedule whose min (6) is above the tier's "
        "max (4) must set its own max, at least its min"
    ]
