"""The audit bill as `plan` and `cost` print it (planning.audit_bill): one line for a tier's
captured data, one for the router's logs, one for the metrics and alarms."""

from __future__ import annotations

from typing import Any

from deepseek_cdk.catalog.service_prices import SERVICE_PRICE_DATE, SERVICE_PRICE_REGION
from deepseek_cdk.cli.money import money
from deepseek_cdk.planning import Plan, TierPlan
from deepseek_cdk.planning.audit_bill import ROUTER_LOG_BYTES_PER_REQUEST, ROUTER_LOG_RETENTION_DAYS


def capture_line(tier: TierPlan) -> str:
    """What the tier's captured requests and answers cost a month (or why it is not priced)."""
    if tier.data_capture is None:
        return ""
    bill = tier.capture_bill
    if bill is None:
        return "captured data: not priced: its volume follows the traffic, and the spec gives the tier none"
    return (
        f"captured data: ~{_count(bill.records)} records, {bill.gb:,.1f} GB a month ({bill.basis}): "
        f"{money(bill.storage_monthly, cents=None)}/month in S3 once the retention lifecycle is full, "
        f"plus at most {money(bill.requests_monthly_at_most, cents=None)} of PUT and transition requests"
    )


def audit_lines(plan: Plan) -> list[str]:
    """The router's logs (with a router) and the metrics and alarms, a month."""
    lines = []
    logs = plan.audit.logs
    if logs is not None:
        if logs.requests == 0:
            lines.append("Router logs and API Gateway: not priced: no routed tier has traffic in the spec")
        else:
            unpriced = (
                f"; not counted: {', '.join(logs.tiers_without_traffic)} (no traffic)"
                if logs.tiers_without_traffic
                else ""
            )
            lines.append(
                f"Router logs and API Gateway: {_count(logs.requests)} requests a month at the traffic x "
                f"~{ROUTER_LOG_BYTES_PER_REQUEST:,} bytes of access and function log each (estimate) = "
                f"{logs.gb:,.1f} GB: {money(logs.ingestion_monthly, cents=None)} ingestion + "
                f"{money(logs.storage_monthly, cents=None)} storage (kept {ROUTER_LOG_RETENTION_DAYS} days, "
                f"at most) + {money(logs.api_gateway_monthly, cents=None)} REST requests = "
                f"{money(logs.monthly, cents=None)}/month{unpriced}"
            )
    m = plan.audit.monitoring
    metrics = (
        f"{len(m.custom_metrics)} custom metrics (the router's, per tier and per version)"
        if m.custom_metrics
        else "no custom metrics (no router writes them)"
    )
    lines.append(
        f"Metrics and alarms: {metrics}, {m.standard_alarms} "
        f"standard and {m.high_resolution_alarms} high-resolution alarms ({m.target_tracking_alarms} of them "
        f"target tracking's), {m.composite_alarms} composite: {money(m.monthly, cents=None)}/month "
        f"(CloudWatch, {SERVICE_PRICE_REGION}, read {SERVICE_PRICE_DATE}; before the account's free tier)"
    )
    return lines


def audit_report(plan: Plan) -> dict[str, Any]:
    """The audit bill as plain data (`cost --json`)."""
    logs, m = plan.audit.logs, plan.audit.monitoring
    return {
        "prices": {"region": SERVICE_PRICE_REGION, "as_of": SERVICE_PRICE_DATE},
        "router_logs": (
            {
                "requests": logs.requests,
                "gb": logs.gb,
                "ingestion": logs.ingestion_monthly,
                "storage": logs.storage_monthly,
                "api_gateway": logs.api_gateway_monthly,
                "monthly": logs.monthly,
                "tiers_without_traffic": list(logs.tiers_without_traffic),
            }
            if logs is not None
            else None
        ),
        "metrics_and_alarms": {
            "custom_metrics": len(m.custom_metrics),
            "standard_alarms": m.standard_alarms,
            "high_resolution_alarms": m.high_resolution_alarms,
            "composite_alarms": m.composite_alarms,
            "target_tracking_alarms": m.target_tracking_alarms,
            "monthly": m.monthly,
        },
        "monthly": plan.audit.monthly,
    }


def capture_report(tier: TierPlan) -> dict[str, Any] | None:
    bill = tier.capture_bill
    if bill is None:
        return None
    return {
        "records": bill.records,
        "gb": bill.gb,
        "storage": bill.storage_monthly,
        "requests_at_most": bill.requests_monthly_at_most,
        "monthly": bill.monthly,
    }


def _count(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:,.1f} M"
    if n >= 1e3:
        return f"{n / 1e3:,.0f} k"
    return f"{n:,.0f}"
