"""`deepseek-cdk prices refresh`: rewrite a price file from the AWS Price List API (boto3,
with the caller's credentials): each instance type's hosting price and where it is offered."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from deepseek_cdk.catalog.prices import PRICES_FILE
from deepseek_cdk.cli.common import EXIT_FAILED, EXIT_SPEC_ERROR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="prices_command", required=True)
    refresh = commands.add_parser(
        "refresh", help="rewrite the price file from the AWS Price List API (your credentials)"
    )
    refresh.add_argument("--output", help=f"where to write (default: {PRICES_FILE})")


def run(args: argparse.Namespace) -> int:
    if args.output is None and "site-packages" in PRICES_FILE.parts:
        print(
            "deepseek-cdk: --output: the installed package's price file is not yours to rewrite; "
            "give --output FILE (a clone's own deployments use its deepseek_cdk/catalog/prices.json)",
            file=sys.stderr,
        )
        return EXIT_SPEC_ERROR
    return _refresh(args.output or str(PRICES_FILE))


def _refresh(path: str) -> int:
    from deepseek_cdk.catalog import INSTANCES
    from deepseek_cdk.catalog.prices import PRICES
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.prices import PRICE_LIST_REGION, read_prices, render_refresh

    try:
        refresh = read_prices(
            Clients(PRICE_LIST_REGION), INSTANCES, today=datetime.now(UTC).date(), before=PRICES
        )
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(refresh.table.to_json())
    except OSError as err:
        print(f"deepseek-cdk: --output: cannot write {path} ({err.strerror})", file=sys.stderr)
        return EXIT_FAILED
    print(render_refresh(refresh, path))
    return 0
