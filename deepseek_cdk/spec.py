"""The deployment spec: what a user writes in deployments/*.yaml, typed and validated.

Pydantic checks the shape (types, ranges, unknown keys); `_semantic_problems` checks what
spans fields (min <= max, weights summing to 100, references between tiers). Every problem
becomes one line `path: what is wrong (got value)`, and all of them are reported together.
No AWS or CDK import here.
"""

from __future__ import annotations

import functools
import re
import types
import typing
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.catalog.regions import DLC_REGIONS
from deepseek_cdk.cron import parse_at, parse_cron
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.names import s3_prefix_problem
from deepseek_cdk.runtime.router.patterns import pattern_problem

DEFAULT_DEPLOYMENT = Path(__file__).resolve().parent.parent / "deployments" / "default.yaml"

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
_NAME_RULE = "lowercase letters, digits and '-', starting with a letter, at most 20 characters"


class SpecError(Exception):
    """A deployment spec that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def report(self, source: str) -> str:
        """The message users see: which file, then one indented line per problem."""
        lines = [f"deepseek-cdk: {source} has {len(self.problems)} problem(s):"]
        return "\n".join(lines + [f"  {p}" for p in self.problems])


# Characters a terminal or an editor acts on instead of showing: the C0 and C1 controls (an
# ANSI escape starts with ESC, U+001B, or CSI, U+009B; a tab or a newline moves the text),
# format characters such as the bidirectional overrides (U+202E shows text reversed, the
# "Trojan Source" trick) and the line and paragraph separators (U+2028, U+2029). Unicode
# categories Cc, Cf, Zl and Zp. The CLI prints names, sources and expressions as given.
_UNSHOWABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def unshowable(text: str) -> str | None:
    """The first character of `text` a terminal would act on, as U+XXXX, or None."""
    for char in text:
        if unicodedata.category(char) in _UNSHOWABLE:
            return f"U+{ord(char):04X}"
    return None


class _Strict(BaseModel):
    """Every spec model: unknown keys refused, and no coercion: `yes` is not 1, "8" is not 8,
    and only finite numbers pass (a whole number is a valid float). No text, and no key of a
    mapping, holds a control character (see `unshowable`): every string the CLI prints comes
    from here, so one check covers names, sources, URIs, expressions and keys alike."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _showable(cls, value: Any) -> Any:
        texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
        for text in texts:
            if isinstance(text, str) and (char := unshowable(text)):
                what = "text" if text is value else f"key {_shown(text)}"
                raise ValueError(
                    f"{what} holds the control character {char}; a terminal would act on it (an ANSI "
                    "escape, a line break) instead of showing it: write plain text"
                )
        return value


class Weights(_Strict):
    """Where the container loads weights from: the Hugging Face Hub, or an S3 prefix."""

    source: Literal["hub", "s3"] = "hub"
    uri: str | None = None  # s3 only: s3://bucket/prefix/ holding the uncompressed files


class Slo(_Strict):
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


# The IANA names, without what a tz database installs beside them that is not a zone.
_NOT_ZONES = {"Factory", "localtime", "posixrules", "leapseconds", "leap-seconds.list", "tzdata.zi"}


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def _existing_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date that exists (yyyy-mm-dd)") from None
    return value


# The first place on Earth to reach a date is 14 hours ahead of UTC (Pacific/Kiritimati): a
# date after today there has not happened anywhere yet.
_EARLIEST_ZONE = timezone(timedelta(hours=14))


def _past_date(value: str, what: str) -> str:
    """An existing date that is not in the future: `what` was read or measured on it."""
    _existing_date(value)
    today = datetime.now(_EARLIEST_ZONE).date()
    if date.fromisoformat(value) > today:
        raise ValueError(f"in the future; give the date the {what} (at most {today.isoformat()})")
    return value


def _time_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("not an IANA time zone name, e.g. UTC, Europe/Berlin, America/New_York")
    return value


MAX_FIRINGS_PER_DAY = 96  # every 15 minutes


class Schedule(_Strict):
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
        return _time_zone(value)


class Scaling(_Strict):
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


class AlarmThresholds(_Strict):
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


# A revision that still holds an example's placeholder (<commit>, {sha}, TODO) would deploy
# whatever the Hub resolves it to, or fail at the first cold start.
_PLACEHOLDER = re.compile(r"[<>{}\s$]|^(todo|tbd|fixme|changeme|x+)$|^your[-_]|[-_]here$", re.IGNORECASE)
_SHOUTED = re.compile(r"^[A-Z0-9]*_[A-Z0-9_]*$")  # COMMIT_SHA: upper case only, release_v2 is fine
# What a Hub revision may hold here: the registry's metadata accepts letters, digits and
# _ . : / = + - @ only (a branch, a tag or a commit hash fits).
_REVISION = re.compile(r"^[A-Za-z0-9_.:/=+@-]{1,200}\Z")
# A Hub revision is a git branch, tag or commit, and git refuses ref names that hold ':' or
# '..', begin or end with '/', hold '//', end with '.', or have a '/'-separated part that
# begins with '.' or ends with '.lock' (git-check-ref-format(1), rules 1, 3-7). Such a
# revision names nothing on the Hub; '..' would also climb out of the revision in the Hub's
# download URL (/<repo>/resolve/<revision>/<file>).
_NOT_A_REF = re.compile(r"[:]|\.\.|//|^/|/$|\.$|(^|/)\.|\.lock(/|$)|^@$")
# An address SNS delivers to: a dot-atom local part of at most 64 characters (no leading,
# trailing or doubled dot) and a domain of LDH labels ending in a letters-only top level.
EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    re.ASCII,
)
COMMIT = re.compile(r"^[0-9a-f]{40}\Z")


class Version(_Strict):
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
        if value is None:
            return value
        if (_PLACEHOLDER.search(value) or _SHOUTED.match(value)) and not COMMIT.match(value):
            raise ValueError(
                "looks like a placeholder; give the Hub commit hash (40 hex characters) the version "
                "was tested with"
            )
        if not _REVISION.match(value):
            raise ValueError("must be 1-200 letters, digits or _ . / = + @ - (a commit, a tag or a branch)")
        if found := _NOT_A_REF.search(value):
            raise ValueError(
                f"not a git branch, tag or commit: git refuses {found.group() or 'the name'!r} there "
                "(no ':', '..', '//', no part starting with '.' or ending with '.lock', no '/' or '.' at "
                "either end)"
            )
        return value


class Shadow(_Strict):
    """A version that receives a copy of `sample_percent` of the requests and answers nobody."""

    version: str
    sample_percent: float = Field(default=10, gt=0, le=100)


class Rollout(_Strict):
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


class DataCapture(_Strict):
    """Write a sample of requests and answers (the shadow's too) under capture/<tier>/."""

    sample_percent: int = Field(default=10, ge=1, le=100)


class Retention(_Strict):
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


class Measured(_Strict):
    """What `deepseek-cdk loadtest` measured on the tier: the plan's throughput then comes
    from it instead of the estimate (requests/s, answer limits, cost per token)."""

    tokens_per_second: float = Field(
        ge=0.01, le=10_000_000
    )  # output tokens/s of one instance at `concurrency`
    concurrency: int = Field(ge=1, le=1024)  # concurrent requests it was measured at
    instance_type: str  # what it was measured on: must be the type the tier plans
    date: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    # Service levels at `concurrency`: they replace the plan's TTFT and TPOT estimates (scaled
    # to other concurrencies by the estimate's own curve).
    ttft_p50_seconds: float | None = Field(default=None, ge=0.001, le=3600)
    ttft_p90_seconds: float | None = Field(default=None, ge=0.001, le=3600)
    tpot_p50_ms: float | None = Field(default=None, ge=0.01, le=100_000)
    tpot_p90_ms: float | None = Field(default=None, ge=0.01, le=100_000)

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _past_date(value, "measurement was taken")


class Tier(_Strict):
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
    versions: list[Version] = []
    shadow: Shadow | None = None
    rollout: Rollout | None = None
    data_capture: DataCapture | None = None
    measured: Measured | None = None

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in MODELS:
            raise ValueError(f"unknown model; known models: {', '.join(MODELS)}")
        return value

    @field_validator("instance_type")
    @classmethod
    def _known_instance(cls, value: str) -> str:
        if value != "auto" and value not in INSTANCES:
            raise ValueError(f"must be 'auto' or one of: {', '.join(INSTANCES)}")
        return value


class RuleCondition(_Strict):
    max_tokens_at_least: int | None = Field(default=None, ge=1, le=10_000_000)
    prompt_chars_at_least: int | None = Field(default=None, ge=1, le=100_000_000)
    prompt_matches: str | None = None

    @field_validator("prompt_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None and (problem := pattern_problem(value)):
            raise ValueError(problem)
        return value

    def covers(self, other: RuleCondition) -> bool:
        """Whether every request `other` matches, this condition matches too."""
        return (
            (self.max_tokens_at_least is None or (other.max_tokens_at_least or 0) >= self.max_tokens_at_least)
            and (
                self.prompt_chars_at_least is None
                or (other.prompt_chars_at_least or 0) >= self.prompt_chars_at_least
            )
            and self.prompt_matches in (None, other.prompt_matches)
        )


class RouterRule(_Strict):
    tier: str
    when: RuleCondition


class Router(_Strict):
    default_tier: str
    rules: list[RouterRule] = []


class TrafficProfile(_Strict):
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
        return _time_zone(value)


class ApiPrice(_Strict):
    """What a hosted API charges for the same model, per million tokens, and where that
    price was read: `deepseek-cdk cost` prices the tiers against it."""

    input_usd_per_million: float = Field(ge=0.0001, le=10_000)
    output_usd_per_million: float = Field(ge=0.0001, le=10_000)
    as_of: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # the date the price was read

    @field_validator("as_of")
    @classmethod
    def _date(cls, value: str) -> str:
        return _past_date(value, "price was read")

    source: str = Field(min_length=1, max_length=500)
    # The model the API serves: a tier of another model is compared with it as unlike.
    model: str = "deepseek-r1"

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in MODELS:
            raise ValueError(f"unknown model; known models: {', '.join(MODELS)}")
        return value


# Dated, sourced defaults. These prices change often: `cost` prints their dates. A spec's
# `api_prices` replaces them all (repeat a default to keep it beside your own).
DEFAULT_API_PRICES = {
    # DeepSeek's own API, deepseek-reasoner when it served DeepSeek-R1: cache-miss input and
    # output (api-docs.deepseek.com/quick_start/pricing-details-usd, the R1 launch table).
    # DeepSeek has since moved deepseek-reasoner to newer models with other prices.
    "deepseek-api": ApiPrice(
        input_usd_per_million=0.55,
        output_usd_per_million=2.19,
        as_of="2025-01-20",
        source="https://api-docs.deepseek.com/quick_start/pricing-details-usd (deepseek-reasoner = R1)",
    ),
    # Amazon Bedrock, DeepSeek-R1, on-demand standard tier, US East: the price listed on
    # aws.amazon.com/bedrock/pricing, read here from a public 2026 survey of that page on
    # 2026-11-30 (the page itself was not reachable from here).
    "bedrock": ApiPrice(
        input_usd_per_million=1.35,
        output_usd_per_million=5.40,
        as_of="2026-11-30",
        source="https://aws.amazon.com/bedrock/pricing/ (DeepSeek-R1, on-demand, US East)",
    ),
}


class InstancePrice(_Strict):
    """What the user pays for an instance type an hour (a private rate, or a type the price
    file has no price for, such as ml.p5e/p5en.48xlarge for full R1), and where it was read."""

    usd_per_hour: float = Field(ge=0.01, le=1000)
    source: str = Field(min_length=1, max_length=200)
    as_of: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

    @field_validator("as_of")
    @classmethod
    def _date(cls, value: str) -> str:
        return _past_date(value, "price was read")


class Deployment(_Strict):
    """A whole deployment: its name, where it runs, and its tiers."""

    name: str = Field(pattern=NAME_PATTERN)
    region: str | None = None  # one of catalog.regions.DLC_REGIONS
    account: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    alarm_email: str | None = None
    budget_usd_per_month: float | None = Field(default=None, ge=1, le=1_000_000_000)
    tiers: list[Tier] = Field(min_length=1, max_length=10)
    router: Router | None = None
    traffic: dict[str, TrafficProfile] = {}
    retention: Retention = Retention()
    api_prices: dict[str, ApiPrice] = DEFAULT_API_PRICES
    # USD an hour per instance type that the user pays: first before the price file's.
    prices: dict[str, InstancePrice] = Field(default={}, max_length=50)

    @field_validator("prices")
    @classmethod
    def _priced_types(cls, value: dict[str, InstancePrice]) -> dict[str, InstancePrice]:
        unknown = [t for t in value if t not in INSTANCES]
        if unknown:
            raise ValueError(f"unknown instance type {unknown[0][:40]!r}; types: {', '.join(INSTANCES)}")
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


# ---------------------------------------------------------------------------------------
# Loading and error reporting


# Bounds on what a spec file may hold, so that no file can exhaust memory or time: a real
# deployment is a few kilobytes, a few levels deep and a few hundred values.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_VALUES = 100_000  # after YAML aliases are expanded
MAX_SHOWN = 60  # characters of a value echoed in a problem line
# The largest whole number a spec may hold: no count, size, price or time in a deployment comes
# near it. Python refuses to convert an integer of more than 4,300 digits to or from text
# (int_max_str_digits, CPython 3.11+), so a longer literal is refused before it is read, and a
# longer value given as data before anything prints it.
MAX_WHOLE_NUMBER = 10**18
MAX_INT_CHARS = 40  # characters of an integer literal the loader converts at all


def load_deployment(path: str | Path | None = None) -> Deployment:
    """Read and validate a deployment file; `None` means deployments/default.yaml."""
    file = Path(path) if path is not None else DEFAULT_DEPLOYMENT
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise SpecError([f"{file}: cannot read the deployment file ({err.strerror})"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError([f"{file}: more than {MAX_FILE_BYTES:,} bytes; a deployment spec is a few kilobytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SpecError(
            [f"{file}: line {line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file as UTF-8"]
        ) from None
    return parse_deployment(read_yaml(text, str(file)))


def read_yaml(text: str, source: str) -> Any:
    """Parse one YAML document within the bounds above; any problem is one SpecError line."""
    try:
        data = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(err.problem or err.context or "cannot parse").split())
        raise SpecError([f"{source}: not valid YAML: {where}{what}"]) from None
    except yaml.YAMLError as err:
        raise SpecError([f"{source}: not valid YAML: {' '.join(str(err).split())}"]) from None
    if _exceeds_values(data):
        raise SpecError(
            [f"{source}: more than {MAX_VALUES:,} values once YAML aliases are expanded; write the spec out"]
        )
    return data


def parse_deployment(data: Any) -> Deployment:
    """Validate already-parsed data (a dict) into a Deployment, or raise SpecError."""
    if not isinstance(data, dict):
        raise SpecError([f"(top level): must be a mapping with name and tiers (got {type(data).__name__})"])
    if _exceeds_values(data):
        raise SpecError([f"(top level): more than {MAX_VALUES:,} values or nested deeper than {MAX_DEPTH}"])
    too_large = _too_large_numbers(data)
    if too_large:
        raise SpecError(too_large)
    try:
        deployment = Deployment.model_validate(data)
    except ValidationError as err:
        raise SpecError([_describe(e) for e in err.errors()]) from None
    problems = _semantic_problems(deployment)
    if problems:
        raise SpecError(problems)
    return deployment


def _exceeds_values(data: Any) -> bool:
    """Whether `data` holds more than MAX_VALUES values or nests deeper than MAX_DEPTH,
    counted as validation would walk it (an alias is counted at every use, and a recursive
    alias never ends)."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES or depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack += [(item, depth + 1) for pair in value.items() for item in pair]
        elif isinstance(value, list | tuple):
            stack += [(item, depth + 1) for item in value]
    return False


class _LongInteger:
    """An integer literal too long to convert (MAX_INT_CHARS), kept so that parse_deployment
    refuses it naming its field."""

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def __repr__(self) -> str:
        return f"<a whole number of {self.chars:,} characters>"


def _too_large_numbers(data: Any) -> list[str]:
    """One problem per whole number beyond MAX_WHOLE_NUMBER (or too long to read), naming its
    field; keys are checked too, since a key is printed in a path."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack and len(problems) < 5:
        value, loc = stack.pop()
        if _too_large(value):
            problems.append(
                f"{_path(loc)}: a whole number beyond {MAX_WHOLE_NUMBER:.0e}; no spec value is that large"
            )
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, loc) if _too_large(key) else (item, (*loc, key)))
        elif isinstance(value, list | tuple):
            stack += [(item, (*loc, i)) for i, item in enumerate(value)]
    return sorted(problems)


def _too_large(value: Any) -> bool:
    return isinstance(value, _LongInteger) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_WHOLE_NUMBER
    )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """YAML 1.1 integers, except that a literal longer than MAX_INT_CHARS is not converted
    (PyYAML's own int() would raise ValueError past 4,300 digits, a traceback)."""
    text = loader.construct_scalar(node)
    if isinstance(text, str) and len(text) > MAX_INT_CHARS:
        return _LongInteger(len(text))
    return loader.construct_yaml_int(node)


class _SpecLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (YAML keeps the last) or a
    key that is not a plain value, and stops nesting past MAX_DEPTH before Python's own
    recursion limit would. Merge keys (`<<: *base`) work as in YAML 1.1."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name, not a list or a mapping", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {_shown(key)} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)
_SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _shown(value: Any) -> str:
    """`repr(value)`, cut to MAX_SHOWN characters: a problem line never echoes a whole file."""
    if _too_large(value):
        return f"a whole number beyond {MAX_WHOLE_NUMBER:.0e}"  # repr fails past 4,300 digits
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[: MAX_SHOWN - 3]}... ({len(text):,} characters)"


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}", re.ASCII)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:  # a key no field has: shown quoted and short, never across lines
            out += f"[{_shown(part)}]"
    return out or "(top level)"


# What a value of each type looks like in YAML, for the type errors of strict validation.
_TYPE_RULES = {
    "int_type": "must be a whole number, written without quotes (yes/no/true/false are not numbers)",
    "float_type": "must be a number, written without quotes (yes/no/true/false are not numbers)",
    "finite_number": "must be a finite number (not .nan or .inf)",
    "string_type": "must be text; quote values YAML reads as something else (dates, numbers, yes/no)",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys to values",
}


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{_path(loc)}: unknown key; allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"{_path(loc)}: required, but missing"
    message = _TYPE_RULES.get(kind) or str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = "must be " + _pattern_rule(error.get("ctx", {}).get("pattern", ""))
    return f"{_path(loc)}: {message} (got {_shown(error['input'])})"


def _pattern_rule(pattern: str) -> str:
    if pattern == NAME_PATTERN:
        return _NAME_RULE
    return f"text matching {pattern}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at `loc` accepts, found by walking the field annotations."""
    annotation: Any = Deployment
    for part in loc:
        annotation = _model_in(annotation)
        if isinstance(part, str) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[part].annotation
        else:  # a list index or a dict key
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[-1] if args else annotation
    model = _model_in(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """Unwrap `X | None` to X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _semantic_problems(d: Deployment) -> list[str]:
    problems: list[str] = []
    tier_names = [t.name for t in d.tiers]
    seen: set[str] = set()
    for i, name in enumerate(tier_names):
        if name in seen:
            problems.append(f"tiers[{i}].name: tier name {name!r} is used twice; tier names must be unique")
        seen.add(name)
    for clash in _same_without_dashes(tier_names):
        problems.append(f"tiers: {clash} differ only by '-'; their resources would share a name")
    for i, tier in enumerate(d.tiers):
        problems += _tier_problems(f"tiers[{i}]", tier)
    if d.router is not None:
        if d.router.default_tier not in tier_names:
            problems.append(_unknown_tier("router.default_tier", d.router.default_tier, tier_names))
        for j, rule in enumerate(d.router.rules):
            if rule.tier not in tier_names:
                problems.append(_unknown_tier(f"router.rules[{j}].tier", rule.tier, tier_names))
            if rule.when == RuleCondition():
                problems.append(
                    f"router.rules[{j}].when: needs at least one of max_tokens_at_least, "
                    "prompt_chars_at_least, prompt_matches"
                )
                continue
            before = [k for k in range(j) if d.router.rules[k].when != RuleCondition()]
            earlier = next((k for k in before if d.router.rules[k].when.covers(rule.when)), None)
            if earlier is not None:
                problems.append(
                    f"router.rules[{j}].when: never matches: every request it matches, rules[{earlier}] "
                    "matches first (rules apply in order; put the narrower rule first)"
                )
    for key, traffic in d.traffic.items():
        if key not in tier_names:
            problems.append(_unknown_tier(_path(("traffic", key)), key, tier_names))
        problems += _length_problems(_path(("traffic", key)), traffic)
    keep = d.retention
    if keep.archive_after_days >= keep.expire_after_days:
        problems.append(
            f"retention.archive_after_days: must be before expire_after_days ({keep.expire_after_days}); "
            f"S3 cannot archive what it has expired (got {keep.archive_after_days})"
        )
    return problems


def _length_problems(at: str, traffic: TrafficProfile) -> list[str]:
    """A p90 output below the average output. Possible in principle: fewer than one answer in
    ten, long enough to lift the mean above the other nine (a bimodal mix). Refused all the
    same: the plan draws output lengths from a log-normal (planning.traces), whose p90 is
    below its mean only past sigma 2.56 (exp(1.28 s) < exp(s^2 / 2)), a p99 some 390 times the
    median that no measured LLM trace shows (Azure's: p90 about 2x the mean), so the
    simulation would flatten it to one length; and a swapped pair is the likelier cause. A
    mix that really looks so is two request classes: give each its tier."""
    p90, average = traffic.p90_output_tokens, traffic.avg_output_tokens
    if p90 is None or p90 >= average:
        return []
    given = "avg_output_tokens" in traffic.model_fields_set
    return [
        f"{at}.p90_output_tokens: below avg_output_tokens ({average}{'' if given else ', the default'}); "
        "the 90th-percentile answer is the longer one in every length distribution the plan models: "
        f"check that the two are not swapped (got {p90})"
    ]


def _unknown_tier(path: str, name: str, tier_names: list[str]) -> str:
    return f"{path}: no tier is named {_shown(name)}; tiers: {', '.join(tier_names)}"


def _tier_problems(at: str, tier: Tier) -> list[str]:
    problems: list[str] = []
    model = MODELS[tier.model]
    if tier.max_context_tokens is not None and tier.max_context_tokens > model.max_context:
        problems.append(
            f"{at}.max_context_tokens: {tier.model} supports at most {model.max_context} tokens "
            f"(got {tier.max_context_tokens})"
        )
    w = tier.weights
    if w.source == "s3" and w.uri is None:
        problems.append(f"{at}.weights.uri: source s3 needs an S3 prefix like s3://bucket/prefix/")
    elif w.source == "s3" and (problem := s3_prefix_problem(w.uri or "")):
        problems.append(f"{at}.weights.uri: {problem} (got {_shown(w.uri)})")
    if w.source == "hub" and w.uri is not None:
        problems.append(f"{at}.weights.uri: only allowed with source: s3 (got {_shown(w.uri)})")
    if tier.measured is not None and tier.measured.concurrency > tier.max_concurrency:
        problems.append(
            f"{at}.measured.concurrency: measured at {tier.measured.concurrency} concurrent requests, more "
            f"than the tier's max_concurrency ({tier.max_concurrency}) admits; measure within it"
        )
    measured = tier.measured
    for low, high in (("ttft_p50_seconds", "ttft_p90_seconds"), ("tpot_p50_ms", "tpot_p90_ms")):
        p50, p90 = (getattr(measured, k) if measured else None for k in (low, high))
        if p50 is not None and p90 is not None and p50 > p90:
            problems.append(f"{at}.measured.{low}: a median above the 90th percentile ({p50:g} > {p90:g})")
    problems += _slo_problems(f"{at}.slo", tier)
    problems += _scaling_problems(f"{at}.scaling", tier)
    problems += _version_problems(at, tier)
    return problems


def _slo_problems(at: str, tier: Tier) -> list[str]:
    """Streamed tiers take TTFT and TPOT objectives, async tiers a completion objective."""
    if tier.slo is None:
        return []
    if tier.endpoint.queued:
        wrong = [k for k in ("ttft_p90_seconds", "tpot_p90_ms") if getattr(tier.slo, k) is not None]
        allowed = "completion_p90_seconds"
    else:
        wrong = ["completion_p90_seconds"] if tier.slo.completion_p90_seconds is not None else []
        allowed = "ttft_p90_seconds and tpot_p90_ms"
    return [f"{at}.{key}: not an objective of {tier.endpoint} tiers; they take {allowed}" for key in wrong]


def _scaling_problems(at: str, tier: Tier) -> list[str]:
    s = tier.scaling
    problems: list[str] = []
    if s.max is not None and s.min > s.max:
        problems.append(f"{at}.min: must be <= max ({s.max}) (got {s.min})")
    if s.min == 0 and not tier.endpoint.scales_to_zero:
        problems.append(f"{at}.min: {_no_zero(tier)} (got 0)")
    if s.backlog_per_instance is not None and not tier.endpoint.queued:
        problems.append(
            f"{at}.backlog_per_instance: only for endpoint: {EndpointKind.ASYNC} (tier is {tier.endpoint})"
        )
    if s.metric == "concurrency" and s.target != "auto" and s.target > tier.max_concurrency:
        problems.append(
            f"{at}.target: {s.target:g} concurrent requests per instance exceeds the engine's batch limit "
            f"of {tier.max_concurrency} (max_concurrency); queued requests count too, so stay below it"
        )
    if s.metric == "invocations" and s.target == "auto" and s.max_rps is None:
        problems.append(
            f"{at}.max_rps: metric invocations needs the requests/s one instance sustains within the "
            "SLO, measured with a load test (SageMaker Inference Recommender, or any client at rising "
            "concurrency); an estimate can be far off and a target too high never scales out. "
            "Give max_rps, give target, or use metric: concurrency"
        )
    if s.max_rps is not None and s.metric != "invocations":
        problems.append(f"{at}.max_rps: only used with metric: invocations (metric is {s.metric})")
    names = [sched.name for sched in s.schedules]
    for k, sched in enumerate(s.schedules):
        where = f"{at}.schedules[{k}]"
        if names.count(sched.name) > 1 and names.index(sched.name) < k:
            problems.append(f"{where}.name: schedule name {_shown(sched.name)} is used twice")
        if (sched.cron is None) == (sched.at is None):
            problems.append(f"{where}: give exactly one of cron or at")
        if sched.min is None and sched.max is None:
            problems.append(f"{where}: give min, max or both")
        if sched.min is not None and sched.max is not None and sched.min > sched.max:
            problems.append(f"{where}.min: must be <= the schedule's max ({sched.max}) (got {sched.min})")
        problems += _never_fires(where, sched)
        dated = sched.at is not None or (sched.cron is not None and not parse_cron(sched.cron).weekly)
        if dated and sched.min is not None and sched.min > (sched.max or s.max_capacity):
            problems.append(
                f"{where}.max: a one-off or dated schedule whose min ({sched.min}) is above the tier's max "
                f"({s.max_capacity}) must set its own max, at least its min"
            )
        if sched.min == 0 and not tier.endpoint.scales_to_zero:
            problems.append(f"{where}.min: {_no_zero(tier)} (got 0)")
    return problems


# How far ahead a schedule's first firing may lie. A schedule sets capacity for a scenario
# someone knows of (a launch, a season); five years out, the plan's prices, instance types and
# model are not what will run, and a mistyped year (2199 for 2029, both valid to AWS) would
# otherwise pass as a schedule that never acts.
MAX_YEARS_AHEAD = 5


def _never_fires(where: str, sched: Schedule) -> list[str]:
    """A schedule that cannot fire as written: a one-off time in the past or at a local time
    its time zone skips, a cron whose dates do not exist (30 February) or lie in past years,
    or a first firing more than MAX_YEARS_AHEAD years from today."""
    zone = ZoneInfo(sched.timezone)
    now = datetime.now(zone)
    horizon = _years_later(now.date(), MAX_YEARS_AHEAD)
    far = f"more than {MAX_YEARS_AHEAD} years ahead (after {horizon}); a schedule plans a scenario"
    if sched.at is not None:
        local = parse_at(sched.at)
        if (jump := _skipped(local, zone)) is not None:
            return [
                f"{where}.at: {sched.at} does not exist in {sched.timezone}: the clocks jump forward "
                f"{jump.seconds // 60} minutes over it that night (daylight saving time), and AWS does "
                "not document when such an action fires; give a time outside the jump"
            ]
        if local.replace(tzinfo=zone) <= now:
            return [f"{where}.at: {sched.at} in {sched.timezone} is in the past, so it would never fire"]
        if local.date() > horizon:
            return [f"{where}.at: {sched.at} is {far} you know of; check the year"]
    if sched.cron is not None:
        first = parse_cron(sched.cron).first_day_from(now.date())
        if first is None:
            return [
                f"{where}.cron: never fires from today on: its days, months and years name no date "
                f"ahead (got {_shown(sched.cron)})"
            ]
        if first > horizon:
            return [f"{where}.cron: first fires on {first.isoformat()}, {far} you know of; check the year"]
    return []


def _years_later(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29th that year lacks)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _skipped(local: datetime, zone: ZoneInfo) -> timedelta | None:
    """How far the clocks jump forward over `local` (naive) in `zone` when that wall-clock
    time does not exist there (daylight saving time starting), else None. A time that
    exists comes back unchanged from a round trip through UTC; one in the jump does not."""
    back = local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return None if back == local else back - local


def _no_zero(tier: Tier) -> str:
    can = " and ".join(k.value for k in EndpointKind if k.scales_to_zero)
    return f"a {tier.endpoint} endpoint cannot scale to 0 instances; only {can} tiers can"


def _same_without_dashes(names: list[str]) -> list[str]:
    """Names that differ only by '-' (v1-2 and v12): their resources would share an id."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        key = name.replace("-", "")
        if key in seen and seen[key] != name:
            clashes.append(f"{seen[key]} and {name}")
        seen.setdefault(key, name)
    return clashes


def _version_problems(at: str, tier: Tier) -> list[str]:
    problems: list[str] = []
    names = [v.name for v in tier.versions]
    if len(set(names)) != len(names):
        problems.append(f"{at}.versions: version names must be unique (got {', '.join(names)})")
    for clash in _same_without_dashes(names):
        problems.append(f"{at}.versions: {clash} differ only by '-'; their resources would share a name")
    if tier.versions:
        total = sum(v.weight for v in tier.versions)
        if abs(total - 100) > 1e-6:
            problems.append(f"{at}.versions: weights must sum to 100 (got {total:g})")
    if len(tier.versions) > tier.endpoint.versions_at_once:
        problems.append(
            f"{at}.versions: {tier.endpoint.label} tiers serve at most {tier.endpoint.versions_at_once} "
            f"version(s) at a time (got {len(names)})"
        )
    problems += _shadow_problems(at, tier)
    for j, version in enumerate(tier.versions):
        serving = version.weight > 0 or (tier.shadow is not None and tier.shadow.version == version.name)
        if serving and version.approval != "approved":
            problems.append(
                f"{at}.versions[{j}].approval: a {version.approval} version cannot take traffic; approve it "
                "(approval: approved) or give it weight 0 to stage it"
            )
        if version.revision is not None and tier.weights.source != "hub":
            problems.append(f"{at}.versions[{j}].revision: only for weights from the Hub; give uri instead")
        if version.uri is not None and tier.weights.source != "s3":
            problems.append(f"{at}.versions[{j}].uri: only with weights.source: s3; give revision instead")
        elif version.uri is not None and (problem := s3_prefix_problem(version.uri)):
            problems.append(
                f"{at}.versions[{j}].uri: {problem}, e.g. s3://bucket/models/<tier>/<version>/ "
                f"(got {_shown(version.uri)})"
            )
    problems += _rollout_problems(f"{at}.rollout", tier)
    if tier.data_capture is not None and tier.endpoint is not EndpointKind.REALTIME:
        problems.append(
            f"{at}.data_capture: deepseek-cdk captures {EndpointKind.REALTIME.label} tiers only "
            f"(tier is {tier.endpoint.label}); remove the key"
        )
    return problems


def _rollout_problems(at: str, tier: Tier) -> list[str]:
    """Every rollout key must act: refuse the ones the strategy or the endpoint kind ignores."""
    rollout = tier.rollout
    if rollout is None:
        return []
    problems = []
    if tier.endpoint.per_component and rollout.strategy != "linear":
        problems.append(
            f"{at}.strategy: inference components update in equal batches of at most half their "
            f"copies (a rolling update); use strategy: linear (got {rollout.strategy})"
        )
    if rollout.canary_percent is not None and rollout.strategy != "canary":
        problems.append(f"{at}.canary_percent: only with strategy: canary (strategy is {rollout.strategy})")
    if rollout.linear_step_percent is not None and rollout.strategy != "linear":
        problems.append(
            f"{at}.linear_step_percent: only with strategy: linear (strategy is {rollout.strategy})"
        )
    if rollout.termination_wait_minutes is not None and tier.endpoint.per_component:
        problems.append(
            f"{at}.termination_wait_minutes: inference components roll back copy by copy; there is no "
            "old fleet to keep (tier is inference-components)"
        )
    return problems


def _shadow_problems(at: str, tier: Tier) -> list[str]:
    shadow = tier.shadow
    if shadow is None:
        return []
    if not tier.endpoint.shadows:
        return [
            f"{at}.shadow: SageMaker runs shadow variants on {EndpointKind.REALTIME.label} endpoints only "
            f"(tier is {tier.endpoint.label})"
        ]
    names = [v.name for v in tier.versions]
    if shadow.version not in names:
        return [
            f"{at}.shadow.version: no version is named {_shown(shadow.version)}; "
            f"versions: {', '.join(names) or 'none'}"
        ]
    live = [v.name for v in tier.versions if v.weight > 0]
    if len(live) != 1:
        return [
            f"{at}.shadow: SageMaker runs a shadow beside exactly one production variant; give one version "
            f"a weight above 0 (live: {', '.join(live)})"
        ]
    version = tier.versions[names.index(shadow.version)]
    if version.weight > 0:
        return [
            f"{at}.shadow.version: {shadow.version} has weight {version.weight:g}; a shadow answers nobody, "
            "so give it weight 0"
        ]
    return []
