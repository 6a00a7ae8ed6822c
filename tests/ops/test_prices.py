"""`deepseek-cdk prices refresh` against stubbed Price List pages, and the planner reading
what it writes: nothing here calls AWS."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from deepseek_cdk.catalog.prices import PRICES, Price, PriceTable, price_table
from deepseek_cdk.cli import main
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.ops.aws import AwsProblem, Clients
from deepseek_cdk.ops.prices import read_prices, render_refresh
from deepseek_cdk.planning import PlanError, build_plan
from deepseek_cdk.planning import plan as planner
from deepseek_cdk.spec import load_deployment, parse_deployment

TYPES = ["ml.g6.2xlarge", "ml.g6e.xlarge"]
TODAY = date(2026, 11, 30)


def product(instance: str, region: str, usd: str, component: str = "Hosting", usage: str = "") -> str:
    """A GetProducts entry in the Price List's layout: attributes, then on-demand terms."""
    return json.dumps(
        {
            "product": {
                "attributes": {
                    "instanceName": instance,
                    "regionCode": region,
                    "component": component,
                    "usagetype": usage or f"USE1-Host:{instance}",
                }
            },
            "terms": {
                "OnDemand": {"T1": {"priceDimensions": {"D1": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}
            },
        }
    )


class PriceList:
    def __init__(self) -> None:
        self.client = boto3.client(
            "pricing",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",  # noqa: S106
        )
        self.stub = Stubber(self.client)

    def page(
        self, instance: str, entries: list[str], token: str | None = None, after: str | None = None
    ) -> None:
        response: dict[str, Any] = {"PriceList": entries, "FormatVersion": "aws_v1"}
        if token:
            response["NextToken"] = token
        expected: dict[str, Any] = {
            "ServiceCode": "AmazonSageMaker",
            "Filters": [{"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance}],
        }
        if after:
            expected["NextToken"] = after
        self.stub.add_response("get_products", response, expected)

    def clients(self) -> Clients:
        return Clients("us-east-1", make=lambda service, region: self.client)


@pytest.fixture
def price_list() -> Any:
    stubs = PriceList()
    stubs.stub.activate()
    yield stubs
    stubs.stub.deactivate()


def refresh_with(price_list: PriceList) -> Any:
    price_list.page(
        "ml.g6.2xlarge",
        [
            product("ml.g6.2xlarge", "us-east-1", "1.2220000000"),
            product(
                "ml.g6.2xlarge", "us-east-1", "1.10", component="Training", usage="USE1-Train:ml.g6.2xlarge"
            ),
            product(
                "ml.g6.2xlarge", "us-east-1", "1.30", component="Notebook", usage="USE1-Notebk:ml.g6.2xlarge"
            ),
        ],
        token="page2",  # noqa: S106 - a page token
    )
    price_list.page("ml.g6.2xlarge", [product("ml.g6.2xlarge", "eu-west-1", "1.36")], after="page2")
    price_list.page(
        "ml.g6e.xlarge",
        [
            product("ml.g6e.xlarge", "us-east-1", "2.70"),
            product("ml.g6e.xlarge", "ap-south-1", "2.90"),
            product("ml.g6e.xlarge", "ap-south-1", "3.10", usage="APS3-Host:ml.g6e.xlarge"),
        ],
    )
    return read_prices(price_list.clients(), TYPES, today=TODAY, before=PRICES)


def test_hosting_prices_are_read_per_region_and_other_uses_ignored(price_list: PriceList) -> None:
    refresh = refresh_with(price_list)
    price_list.stub.assert_no_pending_responses()  # both pages of the first type were read
    table = refresh.table
    assert table.read == "2026-11-30" and table.complete
    assert dict(table.regions["us-east-1"]) == {"ml.g6.2xlarge": 1.222, "ml.g6e.xlarge": 2.7}
    assert dict(table.regions["eu-west-1"]) == {"ml.g6.2xlarge": 1.36}
    dropped = {
        f"{name} in us-east-1: ${price:,.3f}/h -> no price"
        for name, price in PRICES.regions["us-east-1"].items()
        if name not in TYPES and price is not None
    }
    assert set(refresh.changed) == {"ml.g6e.xlarge in us-east-1: $2.610/h -> $2.700/h"} | dropped
    assert list(refresh.changed) == sorted(refresh.changed)


def test_two_hosting_prices_for_one_type_and_region_are_reported_not_guessed(price_list: PriceList) -> None:
    refresh = refresh_with(price_list)
    assert refresh.problems == (
        "ml.g6e.xlarge in ap-south-1: several hosting prices (2.9, 3.1); price left out",
    )
    assert dict(refresh.table.regions["ap-south-1"]) == {"ml.g6e.xlarge": None}  # offered, price unknown
    assert refresh.table.offered("ap-south-1", "ml.g6e.xlarge") is True


def test_availability_is_known_only_from_a_complete_table(price_list: PriceList) -> None:
    table = refresh_with(price_list).table
    assert table.offered("eu-west-1", "ml.g6.2xlarge") is True
    assert table.offered("eu-west-1", "ml.g6e.xlarge") is False
    assert table.offered("sa-east-1", "ml.g6.2xlarge") is None  # no row for the region
    assert table.offered(None, "ml.g6.2xlarge") is None
    assert PRICES.offered("us-east-1", "ml.g6.2xlarge") is None  # the shipped file is not complete


def test_the_written_file_is_what_the_planner_reads(
    price_list: PriceList, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(refresh_with(price_list).table.to_json())
    written = price_table(json.loads(path.read_text()))
    assert written == refresh_with_table(written)
    monkeypatch.setattr(planner, "PRICES", written)
    tier = {
        "name": "chat",
        "model": "deepseek-r1-distill-qwen-7b",
        "max_context_tokens": 8192,
        "max_concurrency": 8,
    }
    in_ireland = build_plan(parse_deployment({"name": "t", "region": "eu-west-1", "tiers": [tier]}))
    assert in_ireland.tiers[0].instance_type == "ml.g6.2xlarge"  # the only fitting type offered there
    assert in_ireland.offerings_known
    assert "not checked" not in render_plan(in_ireland)
    with pytest.raises(PlanError) as err:
        build_plan(
            parse_deployment(
                {"name": "t", "region": "eu-west-1", "tiers": [{**tier, "instance_type": "ml.g6e.xlarge"}]}
            )
        )
    (line,) = err.value.problems
    assert line.startswith(
        "tiers[0].instance_type: SageMaker hosting does not offer ml.g6e.xlarge in eu-west-1"
    )
    assert "ml.g6.2xlarge ($1.360/h, $" in line  # the region's own price
    assert in_ireland.tiers[0].price == Price(1.36, "eu-west-1")


def refresh_with_table(table: PriceTable) -> PriceTable:
    return price_table(json.loads(table.to_json()))


def test_a_region_where_nothing_fits_says_so(price_list: PriceList, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "PRICES", refresh_with(price_list).table)
    tier = {"name": "chat", "model": "deepseek-r1-distill-qwen-32b"}
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment({"name": "t", "region": "eu-west-1", "tiers": [tier]}))
    assert err.value.problems[0].startswith(
        "tiers[0].instance_type: no catalog instance offered in eu-west-1 holds"
    )


def test_the_report_names_the_file_the_regions_and_the_changes(price_list: PriceList) -> None:
    text = render_refresh(refresh_with(price_list), "prices.json")
    assert (
        text.splitlines()[0] == "Wrote prices.json: 3 regions, read 2026-11-30 from the AWS Price List API."
    )
    assert "  changed: ml.g6e.xlarge in us-east-1: $2.610/h -> $2.700/h" in text
    assert (
        "  left out: ml.g6e.xlarge in ap-south-1: several hosting prices (2.9, 3.1); price left out" in text
    )


@pytest.mark.parametrize(
    "code, message",
    [
        ("AccessDeniedException", "pricing:GetProducts"),
        ("ThrottlingException", "pricing:GetProducts"),
    ],
)
def test_aws_errors_are_one_line(price_list: PriceList, code: str, message: str) -> None:
    price_list.stub.add_client_error("get_products", service_error_code=code, service_message="no")
    with pytest.raises(AwsProblem) as err:
        read_prices(price_list.clients(), TYPES, today=TODAY, before=PRICES)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_no_hosting_price_in_the_home_region_leaves_the_file_alone(price_list: PriceList) -> None:
    price_list.page("ml.g6.2xlarge", [product("ml.g6.2xlarge", "eu-west-1", "1.36")])
    price_list.page("ml.g6e.xlarge", [])
    with pytest.raises(AwsProblem) as err:
        read_prices(price_list.clients(), TYPES, today=TODAY, before=PRICES)
    assert "no hosting prices in us-east-1" in str(err.value)


def test_the_command_without_credentials_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    class NoCredentials:
        def get_paginator(self, name: str) -> Any:
            class Pages:
                def paginate(self, **_: Any) -> Any:
                    raise NoCredentialsError()

            return Pages()

    monkeypatch.setattr("deepseek_cdk.ops.aws.boto3_client", lambda service, region: NoCredentials())
    output = tmp_path / "prices.json"
    assert main(["prices", "refresh", "--output", str(output)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("deepseek-cdk: no AWS credentials") and "\n" not in err
    assert not output.exists()


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"read": "x", "source": "y", "complete": True}, "needs exactly read, source, complete and regions"),
        ({"read": "2026-11-30", "source": "y", "complete": True, "regions": {}}, "needs us-east-1"),
        (
            {
                "read": "2026-11-30",
                "source": "y",
                "complete": True,
                "regions": {"us-east-1": {"ml.g6.2xlarge": -1}},
            },
            "above 0",
        ),
    ],
)
def test_a_malformed_price_file_is_refused_naming_what(data: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        price_table(data)


def test_a_price_is_the_regions_own_where_the_table_lists_the_type_there() -> None:
    table = price_table(
        {
            "read": "2026-11-30",
            "source": "test",
            "complete": False,
            "regions": {
                "us-east-1": {"ml.g6.2xlarge": 1.222, "ml.g6e.xlarge": 2.61},
                "eu-west-1": {"ml.g6.2xlarge": 1.36, "ml.g6e.xlarge": None},
            },
        }
    )
    assert table.price("eu-west-1", "ml.g6.2xlarge") == Price(1.36, "eu-west-1")
    assert table.price("eu-west-1", "ml.g6e.xlarge") == Price(
        None, "eu-west-1"
    )  # offered, unknown: not guessed
    assert table.price("eu-west-1", "ml.g5.2xlarge") == Price(None, "us-east-1")  # in neither
    assert table.price("ap-south-1", "ml.g6.2xlarge") == Price(1.222, "us-east-1")  # region not listed
    assert table.price(None, "ml.g6.2xlarge") == Price(1.222, "us-east-1")  # environment-agnostic


def test_the_plan_prices_in_the_deployment_region_and_names_a_fallback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The shipped table lists three ml.g6 sizes in us-east-2 (captured API output); other
    types there are priced at us-east-1's, and the plan and cost say so."""
    assert PRICES.price("us-east-2", "ml.g6.xlarge") == Price(1.1267, "us-east-2")
    spec = tmp_path / "ohio.yaml"
    spec.write_text(
        "name: ohio\nregion: us-east-2\ntiers:\n"
        "  - {name: small, model: deepseek-r1-distill-qwen-7b, instance_type: ml.g6.2xlarge}\n"
        "  - {name: large, model: deepseek-r1-distill-qwen-7b, instance_type: ml.g6e.2xlarge}\n"
    )
    plan = build_plan(load_deployment(spec))
    small, large = (t.cost for t in plan.tiers)
    assert small is not None and small.price_per_hour == 1.222
    assert large is not None and large.price_per_hour == 2.8
    assert [t.price for t in plan.tiers] == [Price(1.222, "us-east-2"), Price(2.8, "us-east-1")]
    assert plan.price_regions == ("us-east-1", "us-east-2")
    assert not plan.offerings_known  # the shipped file is not complete
    assert main(["plan", str(spec)]) == 0
    text = capsys.readouterr().out
    assert "Prices: SageMaker on-demand, us-east-1, us-east-2" in text
    assert "Instance types offered in us-east-2: not checked" in text
    assert "$2.800/h per instance (us-east-1's price: none listed in us-east-2)" in text
    assert "$1.222/h per instance;" in text
    assert main(["cost", str(spec)]) == 0
    text = capsys.readouterr().out
    assert "on ml.g6e.2xlarge ($2.800/h, us-east-1's price: none listed in us-east-2)" in text
    assert "on ml.g6.2xlarge ($1.222/h)" in text
    assert main(["cost", "--json", str(spec)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["region"] == "us-east-2"
    assert report["instance_prices"]["regions"] == ["us-east-1", "us-east-2"]
    assert [(t["price_region"], t["price_note"]) for t in report["tiers"]] == [
        ("us-east-2", ""),
        ("us-east-1", "us-east-1's price: none listed in us-east-2"),
    ]


def test_auto_takes_the_cheapest_at_the_regions_own_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the L4 costs far less than the A10G, auto takes the L4 despite its slower
    memory; a type listed in the region without a price is unknown there, not priced from
    us-east-1."""
    home = dict(PRICES.regions["us-east-1"])
    table = price_table(
        {
            "read": "2026-11-30",
            "source": "test",
            "complete": False,
            "regions": {
                "us-east-1": home,
                "eu-west-1": {"ml.g6.2xlarge": 0.6, "ml.g5.2xlarge": 1.6, "ml.g6e.2xlarge": None},
            },
        }
    )
    monkeypatch.setattr(planner, "PRICES", table)
    tier = {"name": "chat", "model": "deepseek-r1-distill-qwen-7b", "max_context_tokens": 8192}
    at_home = build_plan(parse_deployment({"name": "t", "region": "us-east-1", "tiers": [tier]})).tiers[0]
    # $1.515 against the L4's $1.222, but twice the memory bandwidth: less per token.
    assert at_home.instance_type == "ml.g5.2xlarge"
    ireland = build_plan(parse_deployment({"name": "t", "region": "eu-west-1", "tiers": [tier]}))
    assert ireland.tiers[0].instance_type == "ml.g6.2xlarge"
    assert ireland.tiers[0].price == Price(0.6, "eu-west-1")
    unknown = build_plan(
        parse_deployment(
            {"name": "t", "region": "eu-west-1", "tiers": [{**tier, "instance_type": "ml.g6e.2xlarge"}]}
        )
    )
    assert unknown.tiers[0].cost is None
    text = render_plan(unknown)
    assert "unknown: ml.g6e.2xlarge: listed in eu-west-1 without a price" in text
    assert "Prices: SageMaker on-demand, eu-west-1," in text


def priced(price: str) -> str:
    """A price file whose one price is written as `price`."""
    regions = '{"us-east-1": {"ml.g5.xlarge": ' + price + "}}"
    return '{"read": "2026-11-30", "source": "t", "complete": false, "regions": ' + regions + "}"


GOOD = {
    "read": "2026-11-30",
    "source": "test",
    "complete": False,
    "regions": {"us-east-1": {"ml.g5.xlarge": 1.4}},
}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            priced("NaN"),
            "regions.us-east-1.ml.g5.xlarge: USD per hour",
        ),
        (
            priced("Infinity"),
            "regions.us-east-1.ml.g5.xlarge: USD per hour",
        ),
        (
            priced("1e308"),
            "regions.us-east-1.ml.g5.xlarge: USD per hour, above 0 and at most 1000",
        ),
        (
            priced("true"),
            "regions.us-east-1.ml.g5.xlarge",
        ),
        (
            '{"read": "2026-11-30", "source": "t", "complete": false, "regions": {"eu-west-1": {}}}',
            "regions: needs us-east-1",
        ),
        (
            '{"read": "last week", "source": "t", "complete": false, "regions": {"us-east-1": {}}}',
            ".read: must be",
        ),
        (
            '{"read": "2026-02-30", "source": "t", "complete": false, "regions": {"us-east-1": {}}}',
            ".read: must be",
        ),
        (
            '{"read": "2026-11-30", "source": "\\u001b[31mred", "complete": false, "regions": {}}',
            ".source: must be text without control characters",
        ),
        (
            '{"read": "2026-11-30", "source": "t", "complete": "false", "regions": {"us-east-1": {}}}',
            ".complete: must be true or false",
        ),
        (
            '{"read": "2026-11-30", "source": "t", "complete": false, "regions": {"us-east-1": {"ml.g5',
            "not valid JSON",
        ),
        ("", "not valid JSON"),
    ],
)
def test_a_bad_price_file_is_one_error_naming_the_file_and_the_field(
    tmp_path: Path, text: str, says: str
) -> None:
    from deepseek_cdk.catalog.prices import PriceFileError, load_prices

    path = tmp_path / "prices.json"
    path.write_text(text)
    with pytest.raises(PriceFileError) as err:
        load_prices(path)
    message = str(err.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message
    path.write_text(json.dumps(GOOD))
    assert load_prices(path).read == "2026-11-30"  # the good file still loads


def test_a_broken_shipped_price_file_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    import deepseek_cdk

    package = tmp_path / "deepseek_cdk"
    shutil.copytree(Path(deepseek_cdk.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "catalog" / "prices.json").write_text('{"read": "2026-11-30", "source"')
    result = subprocess.run(
        [sys.executable, "-m", "deepseek_cdk.cli", "plan"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("deepseek-cdk: ") and "prices.json: not valid JSON" in result.stderr


def test_the_command_refuses_to_rewrite_an_installed_package_without_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    installed = tmp_path / "lib" / "site-packages" / "deepseek_cdk" / "catalog" / "prices.json"
    monkeypatch.setattr("deepseek_cdk.cli.prices.PRICES_FILE", installed)
    monkeypatch.setattr("deepseek_cdk.ops.aws.boto3_client", lambda *_: pytest.fail("AWS called"))
    assert main(["prices", "refresh"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("deepseek-cdk: --output: the installed package's price file is not yours")
    assert not installed.exists()
