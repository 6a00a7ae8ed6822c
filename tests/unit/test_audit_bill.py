"""The audit bill: captured data, the router's logs, metrics and alarms, priced a month at
dated list prices (catalog.service_prices)."""

import json
from typing import Any

import pytest

from deepseek_cdk.catalog import service_prices as sp
from deepseek_cdk.catalog.storage import GLACIER_IR_PER_GB_MONTH, STANDARD_PER_GB_MONTH
from deepseek_cdk.cli.cost import cost_report, render_cost
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.planning import build_plan
from deepseek_cdk.planning.audit_bill import (
    DAYS_PER_MONTH,
    ROUTER_LOG_BYTES_PER_REQUEST,
    STREAMED_METRICS,
)
from deepseek_cdk.planning.units import SECONDS_PER_MONTH
from deepseek_cdk.runtime.router.metrics import StreamMeter, emf_line
from deepseek_cdk.spec import parse_deployment

COMMIT = "916b56a44061fd5cd7d6a8fb632557ed4f724f60"


def chat(**settings: Any) -> dict[str, Any]:
    return {
        "name": "chat",
        "model": "deepseek-r1-distill-qwen-7b",
        "instance_type": "ml.g5.2xlarge",
        "max_context_tokens": 8192,
        "versions": [{"name": "v1", "revision": COMMIT}],
        **settings,
    }


def deployment(*tiers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "audit", "tiers": list(tiers), **extra}


TRAFFIC = {"peak_rps": 2, "daily_pattern": "flat", "avg_input_tokens": 500, "avg_output_tokens": 800}


def test_captured_data_is_the_sampled_traffic_through_the_retention_lifecycle() -> None:
    plan = build_plan(
        parse_deployment(deployment(chat(data_capture={"sample_percent": 10}), traffic={"chat": TRAFFIC}))
    )
    bill = plan.tier("chat").capture_bill
    assert bill is not None
    records = 2 * SECONDS_PER_MONTH * 0.10  # flat: the peak all week
    assert bill.records == pytest.approx(records)
    assert bill.gb == pytest.approx(records * (1000 + 1300 * 4) / 1e9)  # 4 bytes a token + 1 KB a record
    # The defaults: S3 Standard for 30 days, Glacier Instant Retrieval to day 365.
    month = bill.gb * (
        30 / DAYS_PER_MONTH * STANDARD_PER_GB_MONTH + 335 / DAYS_PER_MONTH * GLACIER_IR_PER_GB_MONTH
    )
    assert bill.storage_monthly == pytest.approx(month)
    assert bill.requests_monthly_at_most == pytest.approx(records / 1000 * (0.005 + 0.02))
    line = next(x for x in render_plan(plan).splitlines() if "captured data:" in x)
    assert "526 k records, 3.3 GB a month" in line
    assert "once the retention lifecycle is full, plus at most $13.14 of PUT and transition requests" in line
    assert "captured data:" in render_cost(plan)
    assert cost_report(plan)["tiers"][0]["captured_data"]["monthly"] == pytest.approx(bill.monthly)


def test_a_short_glacier_stay_is_billed_ninety_days() -> None:
    spec = deployment(
        chat(data_capture={"sample_percent": 100}),
        traffic={"chat": TRAFFIC},
        retention={"archive_after_days": 10, "expire_after_days": 20},
    )
    bill = build_plan(parse_deployment(spec)).tier("chat").capture_bill
    assert bill is not None
    month = bill.gb * (
        10 / DAYS_PER_MONTH * STANDARD_PER_GB_MONTH + 90 / DAYS_PER_MONTH * GLACIER_IR_PER_GB_MONTH
    )
    assert bill.storage_monthly == pytest.approx(month)


def test_capture_without_traffic_says_why_it_is_not_priced() -> None:
    plan = build_plan(parse_deployment(deployment(chat(data_capture={"sample_percent": 10}))))
    assert plan.tier("chat").capture_bill is None
    assert "captured data: not priced: its volume follows the traffic, and the spec gives the tier none" in (
        render_plan(plan)
    )


ROUTED = deployment(
    chat(),
    chat(name="night", model="deepseek-r1-distill-qwen-1.5b", instance_type="auto"),
    router={"default_tier": "chat"},
    traffic={"chat": TRAFFIC},
)


def test_router_logs_and_rest_requests_follow_the_routed_traffic() -> None:
    plan = build_plan(parse_deployment(ROUTED))
    logs = plan.audit.logs
    assert logs is not None
    requests = 2 * SECONDS_PER_MONTH
    assert logs.requests == pytest.approx(requests)
    assert logs.gb == pytest.approx(requests * ROUTER_LOG_BYTES_PER_REQUEST / 1e9)
    assert logs.ingestion_monthly == pytest.approx(logs.gb * 0.50)
    assert logs.storage_monthly == pytest.approx(logs.gb * 12 * 0.03)  # a year kept, at the end of it
    assert logs.api_gateway_monthly == pytest.approx(requests / 1e6 * 3.50)
    assert logs.tiers_without_traffic == ("night",)
    line = next(x for x in render_plan(plan).splitlines() if x.startswith("Router logs and API Gateway: "))
    assert "5.3 M requests a month" in line and line.endswith("; not counted: night (no traffic)")
    assert cost_report(plan)["audit"]["router_logs"]["monthly"] == pytest.approx(logs.monthly)


def test_rest_requests_beyond_the_first_tier_cost_less() -> None:
    spec = deployment(chat(), router={"default_tier": "chat"}, traffic={"chat": {**TRAFFIC, "peak_rps": 200}})
    logs = build_plan(parse_deployment(spec)).audit.logs
    assert logs is not None and logs.requests > 333e6
    assert logs.api_gateway_monthly == pytest.approx(333 * 3.50 + (logs.requests - 333e6) / 1e6 * 2.80)


def test_without_a_router_there_are_no_router_logs_nor_custom_metrics() -> None:
    plan = build_plan(parse_deployment(deployment(chat(), traffic={"chat": TRAFFIC})))
    assert plan.audit.logs is None
    assert plan.audit.monitoring.custom_metrics == ()
    assert "Metrics and alarms: no custom metrics (no router writes them)" in render_plan(plan)


def test_metrics_and_alarms_are_counted_and_priced() -> None:
    plan = build_plan(parse_deployment(ROUTED))
    m = plan.audit.monitoring
    # Each routed real-time tier: five values, per tier and per its one version.
    assert len(m.custom_metrics) == 2 * len(STREAMED_METRICS) * 2
    # Per tier: latency, 5XX, 4XX, disk, at max; the router's TTFT and TPOT, per tier and version;
    # target tracking's two on the high-resolution concurrency metric; one composite.
    assert (m.standard_alarms, m.high_resolution_alarms, m.composite_alarms) == (2 * (5 + 4), 2 * 2, 2)
    assert m.target_tracking_alarms == 4
    assert m.monthly == pytest.approx(20 * 0.30 + 18 * 0.10 + 4 * 0.30 + 2 * 0.50)
    report = cost_report(plan)["audit"]
    assert report["metrics_and_alarms"]["monthly"] == pytest.approx(m.monthly)
    assert json.loads(json.dumps(report))["monthly"] == pytest.approx(plan.audit.monthly)


def test_a_metrics_line_fits_the_log_estimate_per_request() -> None:
    """The router's metrics line for a streamed answer, with the longest names the spec allows,
    leaves room in ROUTER_LOG_BYTES_PER_REQUEST for the access log and Lambda's own lines."""
    meter = StreamMeter(
        started=0.0, first_token=0.812, last_token=61.3, token_chunks=8000, reported_tokens=8000
    )
    line = emf_line(
        deployment="d" * 20,
        tier="t" * 20,
        version="v" * 40,
        values=meter.values(),
        timestamp_ms=1_765_000_000_000,
    )
    assert len(line.encode()) <= 600 <= ROUTER_LOG_BYTES_PER_REQUEST - 800


def test_prices_carry_their_region_and_date() -> None:
    assert sp.SERVICE_PRICE_REGION == "us-east-1" and sp.SERVICE_PRICE_DATE.startswith("2026")
    assert (sp.LOGS_INGESTION_PER_GB, sp.LOGS_STORAGE_PER_GB_MONTH, sp.S3_STANDARD_PUT_PER_1000) == (
        0.5,
        0.03,
        0.005,
    )
