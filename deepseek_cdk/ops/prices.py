"""`deepseek-cdk prices refresh`: SageMaker hosting prices and regional availability for the
catalog's instance types, read from the AWS Price List API and written to the catalog's
price file (catalog/prices.json) with the date read.

One GetProducts query per instance type (attribute `instanceName`, all regions at once),
followed page by page. A product counts as real-time hosting when its `component` or
`usagetype` names hosting (`Hosting`, `...-Host:ml.<type>`) and not a notebook, training,
processing, batch or serverless use; its on-demand USD price per hour is the price. Public
code that reads this offer uses these attribute names; they could not be checked against a
live account from here, so where the hosting products of one type and region disagree on the
price, the type counts as offered there with no price, and the report says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from deepseek_cdk.catalog.prices import HOME_REGION, PriceTable, price_table
from deepseek_cdk.money import per_hour
from deepseek_cdk.ops.aws import AwsProblem, Clients, call

PRICE_LIST_REGION = "us-east-1"  # the Price List API's own endpoint
SERVICE_CODE = "AmazonSageMaker"
NOT_HOSTING = ("notebook", "training", "processing", "batch", "transform", "serverless", "studio")


@dataclass(frozen=True)
class Refresh:
    table: PriceTable
    problems: tuple[str, ...]  # one line each: a type and region whose price was ambiguous
    changed: tuple[str, ...]  # one line each: a home-region price that differs from before


def read_prices(
    clients: Clients, instance_types: Iterable[str], *, today: date, before: PriceTable
) -> Refresh:
    """Query every type; the result is complete (every type looked up in every region)."""
    found: dict[str, dict[str, set[Decimal]]] = defaultdict(lambda: defaultdict(set))
    for instance_type in instance_types:
        for product in _products(clients, instance_type):
            attributes = product.get("product", {}).get("attributes", {})
            region = attributes.get("regionCode")
            if region and _is_hosting(attributes):
                found[region][instance_type] |= _on_demand_usd(product)
    problems = []
    regions: dict[str, dict[str, float | None]] = {}
    for region in sorted(found):
        regions[region] = {}
        for instance_type, prices in sorted(found[region].items()):
            if len(prices) > 1:  # offered, but which price is the hosting one is not clear
                listed = ", ".join(f"{float(p):g}" for p in sorted(prices))
                problems.append(
                    f"{instance_type} in {region}: several hosting prices ({listed}); price left out"
                )
            regions[region][instance_type] = float(next(iter(prices))) if len(prices) == 1 else None
    if HOME_REGION not in regions:
        raise AwsProblem(
            f"the Price List API returned no hosting prices in {HOME_REGION}; the file is unchanged"
        )
    table = price_table(
        {
            "read": today.isoformat(),
            "source": "AWS Price List API (GetProducts, AmazonSageMaker, on-demand real-time hosting)",
            "complete": True,
            "regions": regions,
        }
    )
    return Refresh(table, tuple(problems), tuple(_changes(before, table)))


def _products(clients: Clients, instance_type: str) -> Iterable[Mapping[str, Any]]:
    pages = call(
        "pricing:GetProducts",
        clients("pricing").get_paginator("get_products").paginate,
        ServiceCode=SERVICE_CODE,
        Filters=[{"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type}],
    )
    for page in _each(pages, "pricing:GetProducts"):
        for raw in page.get("PriceList", []):
            yield json.loads(raw) if isinstance(raw, str) else raw


def _each(pages: Iterable[Any], action: str) -> Iterable[Any]:
    """Pages of a paginator, with each page's errors as AwsProblem like any other call."""
    iterator = iter(pages)
    while True:
        page = call(action, lambda: next(iterator, None))
        if page is None:
            return
        yield page


def _is_hosting(attributes: Mapping[str, str]) -> bool:
    component = attributes.get("component", "").lower()
    usage = attributes.get("usagetype", "").lower()
    if any(word in component or word in usage for word in NOT_HOSTING):
        return False
    return component.startswith("hosting") or "-host:" in usage


def _on_demand_usd(product: Mapping[str, Any]) -> set[Decimal]:
    prices = set()
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and Decimal(usd) > 0:
                prices.add(Decimal(usd))
    return prices


def _changes(before: PriceTable, after: PriceTable) -> list[str]:
    old: Mapping[str, float | None] = before.regions.get(HOME_REGION, {})
    new = after.regions[HOME_REGION]
    lines = []
    for instance_type in sorted(set(old) | set(new)):
        was, now = old.get(instance_type), new.get(instance_type)
        if was != now:
            lines.append(f"{instance_type} in {HOME_REGION}: {_usd(was)} -> {_usd(now)}")
    return lines


def _usd(price: float | None) -> str:
    return "no price" if price is None else per_hour(price)


def render_refresh(refresh: Refresh, path: str) -> str:
    table = refresh.table
    offered = {region: len(types) for region, types in table.regions.items()}
    lines = [
        f"Wrote {path}: {len(offered)} regions, read {table.read} from the AWS Price List API.",
        f"  {HOME_REGION}: {offered[HOME_REGION]} instance types priced",
    ]
    lines += [f"  changed: {line}" for line in refresh.changed] or [
        "  no price in the catalog's region changed"
    ]
    lines += [f"  left out: {line}" for line in refresh.problems]
    return "\n".join(lines)
