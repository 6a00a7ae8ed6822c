"""The audit bill: what a deployment costs beside its instances and weights, a month, at list
prices (catalog.service_prices; S3 storage: catalog.storage). Three lines:

- Captured data, per tier with `data_capture` and `traffic`: the sampled share of the
  traffic's requests (the shadow's answers too), each record its prompt and answer as JSON
  text at CAPTURE_BYTES_PER_TOKEN plus SageMaker's envelope, kept by the retention rules: S3
  Standard for `archive_after_days`, then Glacier Instant Retrieval (billed 90 days at least)
  until `expire_after_days`. Storage is the month once the lifecycle is full (a year, by
  default); the PUT and transition requests are an upper bound, one object per record
  (SageMaker writes records in batches, so there are fewer).
- The router's logs, for a deployment with a router and `traffic`: per request, one API
  Gateway access-log line and the router function's own lines (Lambda's START, END and REPORT,
  and the metrics line), ROUTER_LOG_BYTES_PER_REQUEST in all, an estimate; ingested once,
  stored for ROUTER_LOG_RETENTION_DAYS (priced uncompressed, so at most: CloudWatch stores
  them compressed); and API Gateway's REST requests. Status polls of async jobs are requests
  too and are not counted.
- Metrics and alarms: the router's custom metrics (each value per tier and per tier and
  version, constructs.router_monitoring) and every alarm the stacks create, counted from the
  plan (tests/stacks/test_audit_bill.py holds the count to the templates): the endpoints'
  and the router's (one-minute: standard), one composite per tier, and the two alarms
  Application Auto Scaling creates for each target-tracking policy (on a high-resolution
  metric, they evaluate 10-second data: high resolution; an inference, as AWS documents
  scale-out "after 30 s (3 sub-minute datapoints)").

Estimates throughout; the free tier (10 custom metrics, 10 alarm metrics, 5 GB of logs) is
the account's and is not subtracted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deepseek_cdk.catalog import service_prices as sp
from deepseek_cdk.catalog.storage import GLACIER_IR_PER_GB_MONTH, STANDARD_PER_GB_MONTH
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.planning.capacity import CapacityPlan
from deepseek_cdk.planning.demand import DemandPlan
from deepseek_cdk.planning.units import SECONDS_PER_MONTH
from deepseek_cdk.planning.versions import RetentionPlan
from deepseek_cdk.runtime.router.contract import (
    ANSWER_LATENCY_METRIC,
    COMPLETION_METRIC,
    OUTPUT_TOKENS_METRIC,
    STREAM_FAILURES_METRIC,
    TPOT_METRIC,
    TTFT_METRIC,
)

DAYS_PER_MONTH = 365 / 12
GLACIER_IR_MIN_DAYS = 90  # Glacier Instant Retrieval bills an object 90 days at least (catalog.storage)
# Captured prompts and answers are JSON text: about 4 characters (bytes) a token of English
# text, an estimate (OpenAI's rule of thumb for its tokenizers), and about 1 KB a record of
# SageMaker's envelope (event metadata, content types, the request's own JSON fields), an
# estimate.
CAPTURE_BYTES_PER_TOKEN = 4
CAPTURE_RECORD_OVERHEAD_BYTES = 1000
# One routed request's log: API Gateway's JSON access-log line with the stage's standard
# fields (about 400 bytes), Lambda's START, END and REPORT lines with the X-Ray trace id
# (about 400), and the router's metrics line (at most about 600 with the longest names, a
# test measures it): an estimate, said to be one.
ROUTER_LOG_BYTES_PER_REQUEST = 1400
ROUTER_LOG_RETENTION_DAYS = 365  # RequestRouter's RouterOptions.log_retention (a test holds them equal)
# What the router writes per request it serves (deepseek_cdk.runtime.router): streamed and
# buffered answers of real-time kinds, and async jobs' completion times.
STREAMED_METRICS = (
    TTFT_METRIC,
    TPOT_METRIC,
    ANSWER_LATENCY_METRIC,
    OUTPUT_TOKENS_METRIC,
    STREAM_FAILURES_METRIC,
)
QUEUED_METRICS = (COMPLETION_METRIC,)
HIGH_RESOLUTION_SUFFIX = "HighResolution"  # SageMaker's predefined 10-second metrics


@dataclass(frozen=True)
class CaptureBill:
    """A tier's captured data a month, at its traffic."""

    records: float  # captured requests (with the shadow's answers)
    gb: float  # written a month
    storage_monthly: float  # once the lifecycle is full
    requests_monthly_at_most: float  # PUT + lifecycle transitions, one object per record
    basis: str

    @property
    def monthly(self) -> float:
        return self.storage_monthly + self.requests_monthly_at_most


@dataclass(frozen=True)
class LogsBill:
    """The router's and API Gateway's logs, and API Gateway's requests, a month."""

    requests: float
    gb: float
    ingestion_monthly: float
    storage_monthly: float  # once the retention is full
    api_gateway_monthly: float
    tiers_without_traffic: tuple[str, ...]  # routed tiers whose requests are not counted

    @property
    def monthly(self) -> float:
        return self.ingestion_monthly + self.storage_monthly + self.api_gateway_monthly


@dataclass(frozen=True)
class TierAlarms:
    """The alarms one tier's stacks create (alarm metrics, one each here)."""

    standard: int
    high_resolution: int
    composite: int
    target_tracking: int  # of standard + high_resolution: Application Auto Scaling's


@dataclass(frozen=True)
class MonitoringBill:
    """The deployment's custom metrics and alarms, a month."""

    custom_metrics: tuple[tuple[str, str, str | None], ...]  # (name, tier, version or None: per tier)
    standard_alarms: int
    high_resolution_alarms: int
    composite_alarms: int
    target_tracking_alarms: int

    @property
    def monthly(self) -> float:
        return (
            len(self.custom_metrics) * sp.CUSTOM_METRIC_PER_MONTH
            + self.standard_alarms * sp.STANDARD_ALARM_METRIC_PER_MONTH
            + self.high_resolution_alarms * sp.HIGH_RESOLUTION_ALARM_METRIC_PER_MONTH
            + self.composite_alarms * sp.COMPOSITE_ALARM_PER_MONTH
        )


@dataclass(frozen=True)
class AuditBill:
    """What the audit trail costs a month: the router's logs and the custom metrics and alarms."""

    logs: LogsBill | None  # None: no router
    monitoring: MonitoringBill

    @property
    def monthly(self) -> float:
        return (self.logs.monthly if self.logs else 0.0) + self.monitoring.monthly


def capture_bill(
    *,
    sample_percent: float,
    shadow_percent: float | None,
    demand: DemandPlan,
    tokens_in: int,
    tokens_out: int,
    retention: RetentionPlan,
) -> CaptureBill:
    """A tier's captured data at its traffic (see the module's docstring)."""
    answered = 1 + (shadow_percent or 0) / 100  # the shadow's answers are captured too
    records = demand.average_rps * SECONDS_PER_MONTH * sample_percent / 100 * answered
    record_bytes = CAPTURE_RECORD_OVERHEAD_BYTES + (tokens_in + tokens_out) * CAPTURE_BYTES_PER_TOKEN
    gb = records * record_bytes / 1e9
    standard_days = retention.archive_after_days
    archived_days = max(retention.expire_after_days - standard_days, GLACIER_IR_MIN_DAYS)
    storage = gb * (
        standard_days / DAYS_PER_MONTH * STANDARD_PER_GB_MONTH
        + archived_days / DAYS_PER_MONTH * GLACIER_IR_PER_GB_MONTH
    )
    requests = records / 1000 * (sp.S3_STANDARD_PUT_PER_1000 + sp.S3_GLACIER_IR_PUT_PER_1000)
    shadow = " and the shadow's answers" if shadow_percent else ""
    return CaptureBill(
        records=records,
        gb=gb,
        storage_monthly=storage,
        requests_monthly_at_most=requests,
        basis=(
            f"{sample_percent:g}% of the traffic's requests{shadow}, {tokens_in} + {tokens_out} tokens x "
            f"{CAPTURE_BYTES_PER_TOKEN} bytes + {CAPTURE_RECORD_OVERHEAD_BYTES} bytes a record (estimate)"
        ),
    )


def logs_bill(routed: Sequence[tuple[str, DemandPlan | None]]) -> LogsBill:
    """The router's logs and API Gateway's requests for `routed` (tier name, its demand)."""
    requests = sum(d.average_rps * SECONDS_PER_MONTH for _, d in routed if d is not None)
    gb = requests * ROUTER_LOG_BYTES_PER_REQUEST / 1e9
    return LogsBill(
        requests=requests,
        gb=gb,
        ingestion_monthly=gb * sp.LOGS_INGESTION_PER_GB,
        storage_monthly=gb * ROUTER_LOG_RETENTION_DAYS / DAYS_PER_MONTH * sp.LOGS_STORAGE_PER_GB_MONTH,
        api_gateway_monthly=_rest_requests_usd(requests),
        tiers_without_traffic=tuple(name for name, d in routed if d is None),
    )


def _rest_requests_usd(requests: float) -> float:
    first = min(requests, sp.API_GATEWAY_REST_FIRST_TIER)
    rest = requests - first
    return first / 1e6 * sp.API_GATEWAY_REST_PER_MILLION + rest / 1e6 * sp.API_GATEWAY_REST_NEXT_PER_MILLION


def tier_alarms(kind: EndpointKind, capacity: CapacityPlan, *, predefined_metric: str | None) -> TierAlarms:
    """The alarms the stacks create for one tier, router's aside (stacks.tiers, stacks.component_tier and
    constructs.monitoring): per variant or component its own, one composite, and two per
    target-tracking policy."""
    live = list(capacity.live)
    if kind == EndpointKind.REALTIME:
        variants = len(live) + (1 if capacity.shadow is not None else 0)
        # Latency, 5XX, 4XX, disk and at-max per variant, the shadow's too.
        own = 5 * variants
    elif kind == EndpointKind.INFERENCE_COMPONENTS:
        # Latency, 5XX, 4XX, no capacity and at-max per component, and scaling from zero's.
        own = 5 * len(live) + sum(v.reaches_zero for v in live)
    else:
        # Oldest request, backlog, backlog without capacity, failures, at max; from zero's.
        own = 5 + sum(v.reaches_zero for v in live)
    tracking = 2 * len(live)
    high = predefined_metric is not None and predefined_metric.endswith(HIGH_RESOLUTION_SUFFIX)
    return TierAlarms(
        standard=own + (0 if high else tracking),
        high_resolution=tracking if high else 0,
        composite=1,
        target_tracking=tracking,
    )


def router_metrics(
    tier: str, kind: EndpointKind, versions: Sequence[str]
) -> tuple[tuple[str, str, str | None], ...]:
    """The custom metrics the router writes for a tier: each value per tier and per tier and
    version (the versions that answer)."""
    names = QUEUED_METRICS if kind.queued else STREAMED_METRICS
    return tuple((name, tier, version) for name in names for version in (None, *versions))


def router_alarms(kind: EndpointKind, versions: Sequence[str]) -> int:
    """The router's alarms on a tier (constructs.router_monitoring): p90 TTFT and TPOT per tier
    and per version, or the p90 completion time."""
    return 1 if kind.queued else 2 * (1 + len(versions))


def monitoring_bill(
    tiers: Sequence[tuple[str, EndpointKind, CapacityPlan, str | None]], *, routed: bool
) -> MonitoringBill:
    """`tiers`: (name, kind, capacity, the target's predefined metric) of every tier."""
    metrics: list[tuple[str, str, str | None]] = []
    standard = high = composite = tracking = 0
    for name, kind, capacity, predefined in tiers:
        alarms = tier_alarms(kind, capacity, predefined_metric=predefined)
        standard, high = standard + alarms.standard, high + alarms.high_resolution
        composite, tracking = composite + alarms.composite, tracking + alarms.target_tracking
        if routed:
            versions = [v.version for v in capacity.live]
            metrics += router_metrics(name, kind, versions)
            standard += router_alarms(kind, versions)
    return MonitoringBill(tuple(metrics), standard, high, composite, tracking)
