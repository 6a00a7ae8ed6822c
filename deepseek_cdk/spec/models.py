"""The spec's models: a Deployment of tiers (model, endpoint, scaling, versions, alarms), its
shared fleets (spec.fleet), router (spec.router), traffic, retention and prices (spec.prices).
Pydantic checks each field; spec.rules checks what spans fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from deepseek_cdk.catalog.regions import DLC_REGIONS
from deepseek_cdk.cron import parse_at, parse_cron
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.spec.base import (
    EMAIL,
    Strict,
    hub_revision,
    instance_type_or_auto,
    known_model,
    past_date,
    time_zone,
    unknown_instance,
)
from deepseek_cdk.spec.fleet import Fleet
from deepseek_cdk.spec.prices import DEFAULT_API_PRICES, ApiPrice, InstancePrice
from deepseek_cdk.spec.router import Router
from deepseek_cdk.spec.wording import ACCOUNT_PATTERN, DATE_PATTERN, NAME_PATTERN, shown


class Weights(Strict):
    """Where the container loads weights from: the Hugging Face Hub, or an S3 prefix."""

    source: Literal["hub", "s3"] = "hub"
    uri: str | None = None  # s3 only: s3://bucket/prefix/ holding the uncompressed files


class Slo(Strict):
    """A tier's service-level objectives at the 90th percentile. Streamed tiers (realtime,
    inference-components) are judged by time to first token and time per output token, async
    tiers by completion time; an absent value takes its default (deepseek_cdk.objectives)."""

    ttft_p90_seconds: float | None = Field(default=None, ge=0.05, le=600)
    tpot_p90_ms: float | None = Field(default=None, ge=1, le=10_000)
    completion_p90_seconds: float | None = Field(default=None, ge=1, le=86_400)
    p90_latency_seconds: None = None  # refused: see _whole_latency

    @field_validator("p90_latency_seconds", mode="before")
    @classmethod
    def _whole_latency(cls, value: Any) -> None:
        raise ValueError(
            "no longer supported: an answer's length, not the capacity, sets a whole-request latency; "
            "give ttft_p90_seconds and tpot_p90_ms (real-time tiers) or completion_p90_seconds (async)"
        )


MAX_FIRINGS_PER_DAY = 96  # every 15 minutes


class Schedule(Strict):
    """A known scenario: a recurring cron or a one-off `at` that sets min and/or max.

    Like Application Auto Scaling's scheduled actions, the values it sets stay in force
    until another schedule changes them: pair a morning raise with an evening lower.
    """

    name: str = Field(pattern=NAME_PATTERN)
    cron: str | None = None  # six fields, e.g. "0 8 ? * MON-FRI *" (Day-of-week 1 = Sunday)
    at: str | None = None  # one-off, e.g. "2030-03-01T06:00:00"
    timezone: str = "UTC"  # IANA name, e.g. Europe/Berlin
    min: int | None = Field(default=None, ge=0, le=100)
    max: int | None = Field(default=None, ge=1, le=100)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        cron = parse_cron(value)
        if len(cron.hours) * len(cron.minutes) > MAX_FIRINGS_PER_DAY:
            raise ValueError(
                f"fires more than {MAX_FIRINGS_PER_DAY} times a day; a schedule sets capacity for known "
                "peaks, and target tracking follows demand minute by minute"
            )
        return value

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value is not None:
            parse_at(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return time_zone(value)


class Scaling(Strict):
    """Capacity bounds, the metric and target to track, cooldowns, and scheduled scenarios."""

    min: int = Field(default=1, ge=0, le=100)
    max: int | None = Field(default=None, ge=1, le=100)  # absent: max(min, 1)
    metric: Literal["concurrency", "invocations"] = "concurrency"
    target: float | Literal["auto"] = "auto"
    target_utilization: float = Field(default=0.85, ge=0.1, le=1)  # concurrency: share of the batch
    # invocations: the requests/s one instance sustains, measured (deepseek-cdk loadtest)
    max_rps: float | None = Field(default=None, ge=0.01, le=10_000)
    safety_factor: float = Field(default=0.5, ge=0.2, le=1)  # invocations: AWS's recommended start
    scale_out_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    scale_in_cooldown_seconds: int = Field(default=900, ge=0, le=3600)
    backlog_per_instance: float | None = Field(default=None, ge=0.1, le=10_000)
    schedules: list[Schedule] = Field(default=[], max_length=20)

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        if value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 1_000_000:
            raise ValueError("must be 'auto' or a finite number from 0.1 to 1,000,000")
        return float(value)

    @property
    def max_capacity(self) -> int:
        return self.max if self.max is not None else max(self.min, 1)


class AlarmThresholds(Strict):
    """When a tier's alarms fire. Absent values are derived in the plan (see planning/alarms.py)."""

    # ModelLatency, where the router does not measure TTFT and TPOT; default: the p90 request's
    # whole answer at the objectives (planning.alarms)
    latency_p90_seconds: float | None = Field(default=None, ge=0.1, le=3600)
    error_5xx_percent: float = Field(default=1, gt=0, le=100)
    error_4xx_percent: float = Field(default=5, gt=0, le=100)
    gpu_memory_percent: None = None  # refused: see _no_gpu_memory_alarm
    disk_percent: float = Field(default=90, gt=0, le=100)
    at_max_minutes: int = Field(default=30, ge=1, le=1440)
    oldest_request_minutes: float | None = Field(default=None, ge=0.1, le=360)  # async
    backlog_size: int | None = Field(default=None, ge=1, le=1_000_000)  # async
    evaluation_minutes: int = Field(default=5, ge=1, le=60)

    @field_validator("gpu_memory_percent", mode="before")
    @classmethod
    def _no_gpu_memory_alarm(cls, value: Any) -> None:
        raise ValueError(
            "no longer supported: vLLM reserves gpu_memory_utilization of every GPU at start-up, so "
            "GPU memory reads the same under any load; memory pressure shows as queueing, which the "
            "at_max_minutes and latency alarms catch"
        )


class Version(Strict):
    """One model version of a tier: where its weights come from, its share of the requests
    (0: staged, or the shadow), and its approval in the model registry."""

    name: str = Field(pattern=NAME_PATTERN)
    revision: str | None = None  # Hub: a commit hash (reproducible), a tag or a branch
    uri: str | None = None  # S3 prefix of this version's weights
    weight: float = Field(default=100, ge=0, le=100)
    approval: Literal["approved", "pending", "rejected"] = "approved"

    @field_validator("revision")
    @classmethod
    def _not_placeholder(cls, value: str | None) -> str | None:
        return value if value is None else hub_revision(value)


class Shadow(Strict):
    """A version that receives a copy of `sample_percent` of the requests and answers nobody."""

    version: str
    sample_percent: float = Field(default=10, gt=0, le=100)


class Rollout(Strict):
    """How an endpoint update shifts traffic to a new fleet (SageMaker blue/green deployment
    guardrails), and how long it watches the tier's alarms before finishing."""

    strategy: Literal["all-at-once", "canary", "linear"] = "all-at-once"
    canary_percent: int | None = Field(default=None, ge=1, le=50)  # canary only; default 10
    linear_step_percent: int | None = Field(default=None, ge=10, le=50)  # linear only; default 25
    bake_minutes: int = Field(default=10, ge=0, le=60)  # watch the alarms after each shift
    # Blue/green only (not inference components): keep the old fleet for rollback; default 5.
    termination_wait_minutes: int | None = Field(default=None, ge=0, le=60)

    @property
    def step_percent(self) -> int | None:
        """The canary or the linear step, with its default; None for all-at-once."""
        if self.strategy == "canary":
            return self.canary_percent if self.canary_percent is not None else 10
        if self.strategy == "linear":
            return self.linear_step_percent if self.linear_step_percent is not None else 25
        return None


class DataCapture(Strict):
    """Write a sample of requests and answers (the shadow's too) under capture/<tier>/."""

    sample_percent: int = Field(default=10, ge=1, le=100)


class Retention(Strict):
    """How long the artifacts bucket keeps what a deploy replaces: overwritten or deleted
    weights under models/ (noncurrent object versions) and captured data under capture/;
    and how long async tiers' prompts, results and failures (async/<tier>/) stay."""

    keep_noncurrent_versions: int = Field(default=3, ge=1, le=100)  # newest N kept past expiry
    archive_after_days: int = Field(default=30, ge=1, le=3650)  # then Glacier Instant Retrieval
    expire_after_days: int = Field(default=365, ge=2, le=3650)
    # Async requests (users' prompts), results and failures: deleted this many days after they
    # were written. A result must outlive its job: SageMaker keeps a request queued up to 6 h
    # (InvokeEndpointAsync RequestTTLSeconds, at most 21,600) and runs it up to 1 h
    # (InvocationTimeoutSeconds, at most 3,600); a client may come back for it (GET /jobs/{id})
    # after a weekend or a holiday, and a failure is read in the month's incident review. Past
    # that, a stored prompt is users' data with no use left. Nothing is archived first: Glacier
    # Instant Retrieval bills each object for 90 days at least (catalog.storage).
    async_days: int = Field(default=30, ge=1, le=3650)


class Measured(Strict):
    """What `deepseek-cdk loadtest` measured on the tier: the plan's throughput then comes
    from it instead of the estimate (requests/s, answer limits, cost per token)."""

    tokens_per_second: float = Field(
        ge=0.01, le=10_000_000
    )  # output tokens/s of one instance at `concurrency`
    concurrency: int = Field(ge=1, le=1024)  # concurrent requests it was measured at
    instance_type: str  # what it was measured on: must be the type the tier plans
    date: str = Field(pattern=DATE_PATTERN)
    # Service levels at `concurrency`: they replace the plan's TTFT and TPOT estimates (scaled
    # to other concurrencies by the estimate's own curve).
    ttft_p50_seconds: float | None = Field(default=None, ge=0.001, le=3600)
    ttft_p90_seconds: float | None = Field(default=None, ge=0.001, le=3600)
    tpot_p50_ms: float | None = Field(default=None, ge=0.01, le=100_000)
    tpot_p90_ms: float | None = Field(default=None, ge=0.01, le=100_000)

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        return past_date(value, "measurement was taken")


class Tier(Strict):
    """One request class with its own model, endpoint, hardware and scaling rules."""

    name: str = Field(pattern=NAME_PATTERN)
    model: str
    endpoint: EndpointKind = Field(default=EndpointKind.REALTIME, strict=False)  # from its text value
    instance_type: str = "auto"
    container: Literal["lmi", "tgi"] = "lmi"
    weights: Weights = Weights()
    max_context_tokens: int | None = Field(default=None, ge=512, le=10_000_000)  # absent: min(32768, model's)
    max_concurrency: int = Field(default=16, ge=1, le=1024)
    gpu_memory_utilization: float = Field(default=0.9, ge=0.5, le=0.98)
    # typical: KV cache for max_concurrency sequences of typical length, and one at full
    # context (what vLLM needs); worst-case: every sequence at max_context_tokens at once.
    memory_reservation: Literal["typical", "worst-case"] = "typical"
    slo: Slo | None = None
    alarms: AlarmThresholds = AlarmThresholds()
    scaling: Scaling = Scaling()
    versions: list[Version] = Field(default=[])
    shadow: Shadow | None = None
    rollout: Rollout | None = None
    data_capture: DataCapture | None = None
    measured: Measured | None = None
    fleet: str | None = None  # inference-components tiers: the shared fleet that hosts its copies

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        return known_model(value)

    @field_validator("instance_type")
    @classmethod
    def _known_instance(cls, value: str) -> str:
        return instance_type_or_auto(value)

    @property
    def may_run_copies(self) -> bool:
        """Whether the planner may lay the model out as several copies in each instance's one
        container (LMI's data parallelism); an inference component's copies are its own."""
        return self.container == "lmi" and not self.endpoint.per_component


class TrafficProfile(Strict):
    """A tier's expected requests: the peak rate, its shape over the week (in `timezone`;
    planning.demand says what each pattern assumes), the average request's lengths and the
    output of the request at the 90th percentile."""

    peak_rps: float = Field(ge=0.0001, le=100_000)
    daily_pattern: Literal["flat", "business-hours", "nightly-batch"] = "flat"
    timezone: str = "UTC"  # IANA name: where the pattern's hours are local
    avg_input_tokens: int = Field(default=1000, ge=1, le=10_000_000)
    avg_output_tokens: int = Field(default=1000, ge=1, le=10_000_000)
    # The output of the request at the 90th percentile; default: twice the average
    # (planning.throughput.P90_OUTPUT_RATIO). The completion objective is judged with it.
    p90_output_tokens: int | None = Field(default=None, ge=1, le=10_000_000)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return time_zone(value)


class Deployment(Strict):
    """A whole deployment: its name, where it runs, and its tiers."""

    name: str = Field(pattern=NAME_PATTERN)
    region: str | None = None  # one of catalog.regions.DLC_REGIONS
    account: str | None = Field(default=None, pattern=ACCOUNT_PATTERN)
    alarm_email: str | None = None
    budget_usd_per_month: float | None = Field(default=None, ge=1, le=1_000_000_000)
    tiers: list[Tier] = Field(min_length=1, max_length=10)
    fleet: dict[str, Fleet] = Field(default={}, max_length=5)  # shared endpoints, by name
    router: Router | None = None
    traffic: dict[str, TrafficProfile] = Field(default={})
    retention: Retention = Retention()
    api_prices: dict[str, ApiPrice] = DEFAULT_API_PRICES
    # USD an hour per instance type that the user pays: first before the price file's.
    prices: dict[str, InstancePrice] = Field(default={}, max_length=50)

    @field_validator("prices")
    @classmethod
    def _priced_types(cls, value: dict[str, InstancePrice]) -> dict[str, InstancePrice]:
        for instance_type in value:
            if problem := unknown_instance(instance_type):
                raise ValueError(f"key {shown(instance_type)}: {problem}")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in DLC_REGIONS:
            raise ValueError(
                "not a region with a Deep Learning Containers registry, so the serving image cannot "
                f"be pulled there; regions: {', '.join(sorted(DLC_REGIONS))}"
            )
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) <= 254 and EMAIL.fullmatch(value)):
            raise ValueError(
                "must be one address like ops@example.com: ASCII letters, digits and . _ % + - ' before "
                "the @, a domain of letters, digits and '-' labels after it"
            )
        return value
