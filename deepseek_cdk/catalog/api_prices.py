"""What hosted APIs charge for DeepSeek-R1 per million tokens: dated, sourced list prices that
`deepseek-cdk cost` compares the tiers with (the spec's default `api_prices`). These prices
change often: `cost` prints their dates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListedApiPrice:
    """One hosted API's price for a model, per million tokens, and where and when it was read."""

    input_usd_per_million: float
    output_usd_per_million: float
    as_of: str  # the date the price was read (yyyy-mm-dd)
    source: str
    model: str = "deepseek-r1"  # the model the API serves


API_PRICES = {
    # DeepSeek's own API, deepseek-reasoner when it served DeepSeek-R1: cache-miss input and
    # output (api-docs.deepseek.com/quick_start/pricing-details-usd, the R1 launch table).
    # DeepSeek has since moved deepseek-reasoner to newer models with other prices.
    "deepseek-api": ListedApiPrice(
        input_usd_per_million=0.55,
        output_usd_per_million=2.19,
        as_of="2025-01-20",
        source="https://api-docs.deepseek.com/quick_start/pricing-details-usd (deepseek-reasoner = R1)",
    ),
    # Amazon Bedrock, DeepSeek-R1, on-demand standard tier, US East: the price listed on
    # aws.amazon.com/bedrock/pricing, read here from a public 2026 survey of that page on
    # 2026-11-30 (the page itself was not reachable from here).
    "bedrock": ListedApiPrice(
        input_usd_per_million=1.35,
        output_usd_per_million=5.40,
        as_of="2026-11-30",
        source="https://aws.amazon.com/bedrock/pricing/ (DeepSeek-R1, on-demand, US East)",
    ),
}
