"""Dollars as the project prints them: the CLI's commands and the dashboard text the stacks
write from the plan. Plain Python (no CDK), so every layer may import it."""

from __future__ import annotations


def money(value: float | None, *, cents: bool | None = False) -> str:
    """Dollars; with cents, or (None) with cents only below $100, where they matter."""
    if value is None:
        return "-"
    with_cents = value < 100 if cents is None else cents
    return f"${value:,.2f}" if with_cents else f"${value:,.0f}"


def per_hour(value: float) -> str:
    """An instance's price an hour, to a tenth of a cent: `$1.323/h`."""
    return f"${value:,.3f}/h"


def money_span(low: float, high: float) -> str:
    """`$low-$high` in whole dollars, both figures even when they round alike: a plan's
    scheduled min-max, a rollout's cost."""
    return f"{money(low)}-{money(high)}"


def money_range(low: float | None, high: float | None) -> str:
    """`$low-$high/month`, one figure when they round alike; cents when the high is below $100
    (storage alone is cents, instances are hundreds)."""
    if low is None or high is None:
        return "cost unknown (no instance price)"
    cents = high < 100
    first, second = money(low, cents=cents), money(high, cents=cents)
    return f"{first}/month" if first == second else f"{first}-{second}/month"
