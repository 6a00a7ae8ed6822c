"""What a tier's output tokens cost, and when self-hosting beats a hosted API.

Per million output tokens (input tokens ride along, at the traffic's average lengths):
- at a full batch: the instance price over the throughput estimate's tokens per hour;
- at the scaling target: over the tokens an instance serves where target tracking holds it,
  which is what a scaled fleet runs at;
- at the traffic (`traffic` given): the expected monthly cost over the month's tokens.

Break-even against an API priced `a` per output token (its input price folded in at the
traffic's ratio): self-hosting costs max(F, m x V) a month for V output tokens, where F is the
tier's cost at its scheduled min (for a tier that scales to zero, one instance all month:
steady traffic keeps one running) and m the cost per token at the scaling target. If a <= m
the API is always cheaper; otherwise the two meet at V = F / a, and self-hosting is cheaper
above it, up to what the tier's max capacity serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deepseek_cdk.planning.units import HOURS_PER_MONTH, SECONDS_PER_MONTH
from deepseek_cdk.spec import ApiPrice

MILLION = 1_000_000


@dataclass(frozen=True)
class ApiComparison:
    """A hosted API's price against the tier's, and the volume at which self-hosting wins."""

    name: str
    as_of: str
    source: str
    model: str  # the model the API serves
    usd_per_million_output: float  # input folded in at the traffic's ratio
    monthly_at_traffic: float | None  # what the API charges for the expected tokens
    break_even_tokens_per_month: float | None  # output tokens; None: the API is always cheaper


@dataclass(frozen=True)
class TokenEconomics:
    """What a tier's output tokens cost, at full batch and at its target, and against hosted APIs."""

    input_tokens: int  # per request, the traffic's averages (or the planner's defaults)
    output_tokens: int
    per_million_at_full_batch: float | None  # None: no instance price
    per_million_at_target: float | None
    per_million_at_traffic: float | None  # None also when the tier has no traffic
    output_tokens_per_month: float | None  # at the traffic
    capacity_tokens_per_month: float  # what the tier's max serves at the target, over the week
    apis: tuple[ApiComparison, ...]


def token_economics(
    *,
    price_per_hour: float | None,
    monthly_at_min: float | None,
    monthly_expected: float | None,
    average_max_instances: float,
    full_batch_tokens_per_second: float,
    target_requests_per_second: float,
    average_rps: float | None,
    input_tokens: int,
    output_tokens: int,
    api_prices: Mapping[str, ApiPrice],
) -> TokenEconomics:
    at_target_tps = target_requests_per_second * output_tokens
    per_token_at_target = None if price_per_hour is None else price_per_hour / 3600 / at_target_tps
    tokens_at_traffic = None if average_rps is None else average_rps * output_tokens * SECONDS_PER_MONTH
    apis = []
    for name, price in api_prices.items():
        per_output_token = (
            price.input_usd_per_million * input_tokens / output_tokens + price.output_usd_per_million
        ) / MILLION
        break_even = None
        if (
            per_token_at_target is not None
            and monthly_at_min is not None
            and per_output_token > per_token_at_target
        ):
            floor = monthly_at_min if monthly_at_min > 0 else (price_per_hour or 0.0) * HOURS_PER_MONTH
            break_even = floor / per_output_token
        apis.append(
            ApiComparison(
                name=name,
                as_of=price.as_of,
                source=price.source,
                model=price.model,
                usd_per_million_output=per_output_token * MILLION,
                monthly_at_traffic=None
                if tokens_at_traffic is None
                else tokens_at_traffic * per_output_token,
                break_even_tokens_per_month=break_even,
            )
        )
    return TokenEconomics(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        per_million_at_full_batch=(
            None if price_per_hour is None else price_per_hour / 3600 / full_batch_tokens_per_second * MILLION
        ),
        per_million_at_target=None if per_token_at_target is None else per_token_at_target * MILLION,
        per_million_at_traffic=(
            monthly_expected / tokens_at_traffic * MILLION
            if monthly_expected is not None and tokens_at_traffic
            else None
        ),
        output_tokens_per_month=tokens_at_traffic,
        capacity_tokens_per_month=average_max_instances * at_target_tps * SECONDS_PER_MONTH,
        apis=tuple(apis),
    )
