"""What a tier's instances cost a month: the range at the capacity calendar's bounds and at
its traffic, the sum of its versions' (planning.versions)."""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog.prices import Price
from deepseek_cdk.planning.versions import VersionPlan


@dataclass(frozen=True)
class CostRange:
    """On-demand instance cost a month, USD, following the capacity calendar: at the
    scheduled minimum (no traffic) and at the scheduled maximum (always at the ceiling)."""

    price_per_hour: float
    monthly_at_min: float
    monthly_at_max: float
    monthly_expected: float | None  # at the tier's `traffic` (planning.demand), when given


def tier_cost(price: Price, versions: list[VersionPlan]) -> CostRange | None:
    """The tier's instances a month: the sum of its versions' (planning.versions), so the
    two can never disagree."""
    if price.usd_per_hour is None:
        return None
    expected = [v.monthly_expected for v in versions]
    return CostRange(
        price_per_hour=price.usd_per_hour,
        monthly_at_min=sum(v.monthly_at_min or 0.0 for v in versions),
        monthly_at_max=sum(v.monthly_at_max or 0.0 for v in versions),
        monthly_expected=None if None in expected else sum(e or 0.0 for e in expected),
    )
