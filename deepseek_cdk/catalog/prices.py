"""SageMaker real-time hosting prices per region, and where each instance type is offered.

The data is `prices.json` beside this module, rewritten by `deepseek-cdk prices refresh`
from the AWS Price List API (ops/prices.py). `complete` says whether every catalog type was
looked up in every listed region: only then does a type missing from a region mean that
SageMaker hosting does not offer it there. The shipped file, copied from third-party tables
and captured API output, is not complete, so it says nothing about availability until a
refresh. The plan prices each tier in the deployment's region where the table lists its type
there, else at HOME_REGION's price, and says which.

The shipped us-east-1 prices: third-party copies of the Price List API disagreed once,
ml.g5.8xlarge at 3.06 (2026-09-27) or 2.94 (2026-06-19); the newer is kept. p4d and p5 are the
prices after the June 2025 P4/P5 cut. null where no source gave a price.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
HOME_REGION = "us-east-1"  # the region every catalog type has a price (or null) in


@dataclass(frozen=True)
class Price:
    """An instance type's on-demand hosting price and the region it is the price of."""

    usd_per_hour: float | None  # None: no source gave one; never guessed
    region: str
    given: str | None = None  # the spec's `prices` entry: its source and date
    # A fleet member's copy: which share of which instance's price this is (planning.fleet_choice).
    share: str | None = None

    def note(self, wanted: str) -> str:
        """What a reader of a cost in `wanted` must know about this price: nothing when it
        is that region's own, else whose it is, or why there is none; for a fleet member's
        copy, first that it is a GPU share of an instance's price."""
        if self.share is not None:
            whole = replace(self, share=None).note(wanted)
            return f"a copy's GPU share: {self.share}" + (f"; {whole}" if whole else "")
        if self.given is not None:
            return f"the spec's price: {self.given}"
        if self.usd_per_hour is None:
            if self.region == wanted and wanted != HOME_REGION:
                return f"listed in {wanted} without a price"
            return "no price in the catalog"
        return "" if self.region == wanted else f"{self.region}'s price: none listed in {wanted}"


@dataclass(frozen=True)
class PriceTable:
    """Hosting prices an hour by region and instance type, with where and when they were read."""

    read: str  # the date the prices were read
    source: str
    complete: bool
    regions: MappingProxyType[str, MappingProxyType[str, float | None]]  # None: offered, no price
    # The rates a deployment's spec gives (its `prices`), before any of the file's.
    overrides: MappingProxyType[str, Price] = field(default_factory=lambda: MappingProxyType({}))

    def overlaid(self, overrides: dict[str, Price]) -> PriceTable:
        """This table with `overrides` taking precedence, type by type."""
        return replace(self, overrides=MappingProxyType(dict(overrides)))

    def knows(self, region: str | None) -> bool:
        """Whether the table says which types SageMaker hosting offers in the region."""
        return region is not None and self.complete and region in self.regions

    def offered(self, region: str | None, instance_type: str) -> bool | None:
        """Whether SageMaker hosting offers the type in the region; None when not known."""
        return instance_type in self.regions[region] if region is not None and self.knows(region) else None

    def price(self, region: str | None, instance_type: str) -> Price:
        """The type's price in `region` when the table lists the type there (its price may
        be None: offered, unknown), else HOME_REGION's price; `Price.region` says which. A
        spec's own price comes first."""
        if instance_type in self.overrides:
            return self.overrides[instance_type]
        if region is not None and instance_type in self.regions.get(region, {}):
            return Price(self.regions[region][instance_type], region)
        return Price(self.regions[HOME_REGION].get(instance_type), HOME_REGION)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "read": self.read,
            "source": self.source,
            "complete": self.complete,
            "regions": {
                region: dict(sorted(types.items())) for region, types in sorted(self.regions.items())
            },
        }
        return json.dumps(data, indent=2) + "\n"


# The highest hourly price the table accepts: the largest catalog instance (ml.p5en.48xlarge)
# lists at well under $100 an hour in every region, so a price above this is a typo or a
# unit mistake (cents, a month), never a price.
MAX_USD_PER_HOUR = 1000.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_TYPE = re.compile(r"ml\.[a-z0-9-]+\.[a-z0-9-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # ANSI escapes start with \x1b; the CLI prints source


class PriceFileError(ValueError):
    """The price file is malformed: the message names the file (when known) and the field."""


def price_table(data: Any, where: str = "prices") -> PriceTable:
    """A PriceTable from parsed JSON; PriceFileError names what is malformed, as
    `<where>.<field>: what`. Prices are finite numbers above 0 and at most MAX_USD_PER_HOUR
    (NaN, Infinity, 1e308 and `true` are refused), `read` a real ISO date, `complete` true or
    false, `source` text without control characters, regions and types spelled as AWS does."""

    def fail(field: str, what: str) -> PriceFileError:
        return PriceFileError(f"{where}.{field}: {what}" if field else f"{where}: {what}")

    if not isinstance(data, dict) or set(data) != {"read", "source", "complete", "regions"}:
        raise fail("", "needs exactly read, source, complete and regions")
    read = data["read"]
    if not isinstance(read, str) or not _DATE.fullmatch(read) or not _is_date(read):
        raise fail("read", f"must be the date the prices were read, YYYY-MM-DD (got {str(read)[:40]!r})")
    if not isinstance(data["source"], str) or not data["source"].strip() or _CONTROL.search(data["source"]):
        raise fail("source", "must be text without control characters (no ANSI escapes or newlines)")
    if not isinstance(data["complete"], bool):
        raise fail("complete", f"must be true or false (got {str(data['complete'])[:40]!r})")
    regions = data["regions"]
    if not isinstance(regions, dict) or HOME_REGION not in regions:
        raise fail("regions", f"needs {HOME_REGION}, whose prices the catalog uses")
    for region, types in regions.items():
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise fail("regions", f"{str(region)[:40]!r} is not a region name such as us-east-1")
        if not isinstance(types, dict):
            raise fail(f"regions.{region}", "instance type -> USD per hour (a number above 0) or null")
        for instance_type, price in types.items():
            if not isinstance(instance_type, str) or not _TYPE.fullmatch(instance_type):
                raise fail(
                    f"regions.{region}",
                    f"{str(instance_type)[:40]!r} is not an instance type such as ml.g5.xlarge",
                )
            if price is not None and not (
                isinstance(price, int | float)
                and not isinstance(price, bool)
                and math.isfinite(price)
                and 0 < price <= MAX_USD_PER_HOUR
            ):
                raise fail(
                    f"regions.{region}.{instance_type}",
                    f"USD per hour, above 0 and at most {MAX_USD_PER_HOUR:g}, or null (got {price!r})",
                )
    return PriceTable(
        read=read,
        source=data["source"],
        complete=data["complete"],
        regions=MappingProxyType({r: MappingProxyType(dict(t)) for r, t in regions.items()}),
    )


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_prices(path: Path) -> PriceTable:
    """The price file at `path`, checked (price_table); PriceFileError names the file and the
    field, for a file that is missing, empty, truncated or not JSON too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PriceFileError(f"{path}: cannot read the price file ({type(err).__name__})") from None
    try:
        data = json.loads(text, parse_constant=float)  # NaN and Infinity are then refused as prices
    except (ValueError, RecursionError) as err:  # JSONDecodeError; ints past 4,300 digits
        detail = (
            f"line {err.lineno}, column {err.colno}: {err.msg}"
            if isinstance(err, json.JSONDecodeError)
            else "too deep or too long a number"
        )
        raise PriceFileError(
            f"{path}: not valid JSON ({detail}); restore it or run `deepseek-cdk prices refresh`"
        ) from None
    return price_table(data, where=str(path))


try:
    PRICES = load_prices(PRICES_FILE)
except PriceFileError as err:  # one line, not a traceback, for every command and `cdk synth`
    raise SystemExit(f"deepseek-cdk: {err}") from None
