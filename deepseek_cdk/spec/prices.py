"""The spec's prices: what a hosted API charges for the same model (`api_prices`, compared in
`deepseek-cdk cost`) and what the user pays for an instance type (`prices`), each with where
and when it was read."""

from __future__ import annotations

from dataclasses import asdict

from pydantic import Field, field_validator

from deepseek_cdk.catalog.api_prices import API_PRICES
from deepseek_cdk.spec.base import Strict, known_model, past_date
from deepseek_cdk.spec.wording import DATE_PATTERN


class ApiPrice(Strict):
    """What a hosted API charges for the same model, per million tokens, and where that
    price was read: `deepseek-cdk cost` prices the tiers against it."""

    input_usd_per_million: float = Field(ge=0.0001, le=10_000)
    output_usd_per_million: float = Field(ge=0.0001, le=10_000)
    as_of: str = Field(pattern=DATE_PATTERN)  # the date the price was read

    @field_validator("as_of")
    @classmethod
    def _date(cls, value: str) -> str:
        return past_date(value, "price was read")

    source: str = Field(min_length=1, max_length=500)
    # The model the API serves: a tier of another model is compared with it as unlike.
    model: str = "deepseek-r1"

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        return known_model(value)


# The catalog's dated, sourced prices (catalog.api_prices). A spec's `api_prices` replaces them
# all (repeat a default to keep it beside your own).
DEFAULT_API_PRICES = {name: ApiPrice(**asdict(price)) for name, price in API_PRICES.items()}


class InstancePrice(Strict):
    """What the user pays for an instance type an hour (a private rate, or a type the price
    file has no price for, such as ml.p5e/p5en.48xlarge for full R1), and where it was read."""

    usd_per_hour: float = Field(ge=0.01, le=1000)
    source: str = Field(min_length=1, max_length=200)
    as_of: str = Field(pattern=DATE_PATTERN)

    @field_validator("as_of")
    @classmethod
    def _date(cls, value: str) -> str:
        return past_date(value, "price was read")
