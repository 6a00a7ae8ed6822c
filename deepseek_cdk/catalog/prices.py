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
from dataclasses import dataclass
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

    def note(self, wanted: str) -> str:
        """What a reader of a cost in `wanted` must know about this price: nothing when it
        is that region's own, else whose it is, or why there is none."""
        if self.usd_per_hour is None:
            if self.region == wanted and wanted != HOME_REGION:
                return f"listed in {wanted} without a price"
            return "no price in the catalog"
        return "" if self.region == wanted else f"{self.region}'s price: none listed in {wanted}"


@dataclass(frozen=True)
class PriceTable:
    read: str  # the date the prices were read
    source: str
    complete: bool
    regions: MappingProxyType[str, MappingProxyType[str, float | None]]  # None: offered, no price

    def knows(self, region: str | None) -> bool:
        """Whether the table says which types SageMaker hosting offers in the region."""
        return region is not None and self.complete and region in self.regions

    def offered(self, region: str | None, instance_type: str) -> bool | None:
        """Whether SageMaker hosting offers the type in the region; None when not known."""
        return instance_type in self.regions[region] if region is not None and self.knows(region) else None

    def price(self, region: str | None, instance_type: str) -> Price:
        """The type's price in `region` when the table lists the type there (its price may
        be None: offered, unknown), else HOME_REGION's price; `Price.region` says which."""
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


def price_table(data: Any) -> PriceTable:
    """A PriceTable from parsed JSON; ValueError names what is malformed."""
    if not isinstance(data, dict) or set(data) != {"read", "source", "complete", "regions"}:
        raise ValueError("prices: needs exactly read, source, complete and regions")
    regions = data["regions"]
    if not isinstance(regions, dict) or HOME_REGION not in regions:
        raise ValueError(f"prices.regions: needs {HOME_REGION}, whose prices the catalog uses")
    for region, types in regions.items():
        if not isinstance(types, dict) or not all(
            p is None or (isinstance(p, int | float) and not isinstance(p, bool) and p > 0)
            for p in types.values()
        ):
            raise ValueError(
                f"prices.regions.{region}: instance type -> USD per hour (a number above 0) or null"
            )
    return PriceTable(
        read=str(data["read"]),
        source=str(data["source"]),
        complete=bool(data["complete"]),
        regions=MappingProxyType({r: MappingProxyType(dict(t)) for r, t in regions.items()}),
    )


PRICES = price_table(json.loads(PRICES_FILE.read_text()))
