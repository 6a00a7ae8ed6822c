"""The Plan's records: a deployment resolved, tier by tier, into the frozen dataclasses both
renderers read (the CDK stacks synthesize them, the CLI prints them). Plain values only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from deepseek_cdk.catalog.prices import HOME_REGION, Price
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.names import component_name
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.alarms import AlarmPlan
from deepseek_cdk.planning.answers import AnswerLimits
from deepseek_cdk.planning.audit_bill import AuditBill, CaptureBill
from deepseek_cdk.planning.capacity import CapacityPlan
from deepseek_cdk.planning.cost import CostRange
from deepseek_cdk.planning.demand import DemandPlan
from deepseek_cdk.planning.economics import TokenEconomics
from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.instance_choice import Alternative
from deepseek_cdk.planning.rollout import RolloutPlan
from deepseek_cdk.planning.scaling import ScalingPlan
from deepseek_cdk.planning.service_levels import ServiceLevels
from deepseek_cdk.planning.sizing import MemoryFit, Workload
from deepseek_cdk.planning.throughput import Throughput
from deepseek_cdk.planning.versions import RetentionPlan, VersioningCost, VersionPlan
from deepseek_cdk.spec import ApiPrice


@dataclass(frozen=True)
class QueuePrefixes:
    """Where an async tier's requests, results and errors live in the deployment's bucket."""

    requests: str
    responses: str
    failures: str


def queue_prefixes(tier: str) -> QueuePrefixes:
    """`async/<tier>/requests/`, `.../responses/`, `.../failures/`: one prefix per use, so each
    role is granted exactly the one it needs."""
    return QueuePrefixes(*(f"async/{tier}/{part}/" for part in ("requests", "responses", "failures")))


@dataclass(frozen=True)
class DataCapturePlan:
    """Requests and answers (the shadow's too) sampled to the artifacts bucket."""

    sample_percent: int
    prefix: str  # capture/<tier>/


@dataclass(frozen=True)
class TierPlan:
    """One tier resolved: its model, instance, service levels, scaling, versions, alarms and cost."""

    name: str
    endpoint: EndpointKind
    endpoint_name: str
    model: str
    hf_id: str
    container: str
    image_repository: str
    image_tag: str
    instance_type: str
    instance_chosen: str  # "auto" (cheapest per output token at the objectives) or "explicit"
    alternatives: tuple[Alternative, ...]  # auto: the next instances, and why each lost
    gpu: str
    gpu_count: int
    tensor_parallel_degree: int
    copies: int  # model copies per instance (data parallel), each on tensor_parallel_degree GPUs
    copy_memory_mb: int  # host memory one model copy reserves (inference components)
    max_context_tokens: int
    max_concurrency: int
    gpu_memory_utilization: float
    memory: MemoryFit
    workload: Workload  # what the KV cache was sized for
    p90_output_tokens: int  # the answer at the 90th percentile (traffic, else twice the average)
    weights_source: str
    local_nvme: bool
    volume_size_gb: int | None
    model_download_timeout_s: int
    startup_health_check_timeout_s: int
    cold_start_s: int  # provisioning + download + start-up health check (planning.startup)
    typical_start_s: int  # a typical scale-out start-up (planning.startup, AWS's measurement)
    capacity: CapacityPlan  # the tier's bounds and every version's share: what the stacks render
    queue: QueuePrefixes | None  # async tiers: their S3 prefixes
    throughput: Throughput
    demand: DemandPlan | None  # what the tier's `traffic` keeps busy, when given
    rate_at_target: float  # requests/s one instance (copy) serves where target tracking holds it
    answers: AnswerLimits  # the longest answer each router route carries (real-time kinds)
    scaling: ScalingPlan
    alarms: AlarmPlan
    objectives: Objectives  # the tier's p90 service levels: every reader takes them from here
    service: ServiceLevels  # the concurrency target's bounds and the estimates there
    measured_by: str  # where the objectives are measured once deployed
    usd_per_million_tokens: float | None  # one instance (copy) at the target, from its price
    price: Price  # the instance's, in the deployment's region where the catalog lists it
    cost: CostRange | None  # None: the catalog has no price for this instance; shadow included
    economics: TokenEconomics  # $ per million output tokens, against hosted APIs
    versions: tuple[VersionPlan, ...]
    rollout: RolloutPlan | None  # how an update reaches the instances (None: SageMaker's default)
    shadow_percent: float | None  # the share of requests copied to the shadow version
    data_capture: DataCapturePlan | None
    capture_bill: CaptureBill | None  # the captured data a month at the traffic (None: no capture or traffic)
    versioning: VersioningCost
    registry_group: str  # the model package group that records every version
    warnings: tuple[str, ...]
    # The shared fleet whose endpoint hosts this inference-components tier's copies: then
    # `endpoint_name` is the fleet's, `price` a copy's GPU share of an instance, `cost` what
    # its copies' shares come to, and `capacity`'s instances are the fleet's.
    fleet: str | None = None

    def component(self, slot: str) -> str:
        """The key of the inference component serving the version in `slot`: the slot, or on a
        fleet `<tier>-<slot>`, unique among every member's components."""
        return slot if self.fleet is None else f"{self.name}-{slot}"

    def component_name(self, slot: str) -> str:
        """The InferenceComponentName of the component serving the version in `slot`."""
        return component_name(self.endpoint_name, self.component(slot))


@dataclass(frozen=True)
class MonitoringPlan:
    """Where alarms go and what the deployment may cost."""

    alarm_email: str | None
    budget_usd_per_month: float | None


@dataclass(frozen=True)
class RouterPlan:
    """The router's choice of tier: the default, then rules in order (each a dict with `tier`
    and any of max_tokens_at_least, prompt_chars_at_least, prompt_matches)."""

    default_tier: str
    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class MonthlyTotals:
    """The deployment's instances a month: each tier on an endpoint of its own, and each fleet
    whole (its members' GPU shares and its idle GPUs), at the scheduled min, expected, at max."""

    at_min: float
    expected: float | None  # None when a priced tier or fleet has no expected figure
    at_max: float
    unpriced: tuple[str, ...]  # tiers and fleets without a price, left out of the sums


@dataclass(frozen=True)
class Plan:
    """A whole deployment resolved: what the CLI prints and the stacks build."""

    deployment: str
    region: str | None
    account: str | None
    price_regions: tuple[str, ...]  # whose prices the tiers' costs use
    price_date: str
    offerings_known: bool  # whether the price file says which types the region offers
    tiers: tuple[TierPlan, ...]
    router: RouterPlan | None
    monitoring: MonitoringPlan
    retention: RetentionPlan
    api_prices: Mapping[str, ApiPrice]  # what the cost report compares the tiers with
    audit: AuditBill  # the router's logs, the metrics and alarms: what runs beside the instances
    fleets: tuple[FleetPlan, ...] = ()  # shared endpoints of inference-components tiers

    def tier(self, name: str) -> TierPlan:
        return next(t for t in self.tiers if t.name == name)

    def fleet(self, name: str) -> FleetPlan:
        return next(f for f in self.fleets if f.name == name)

    def monthly_totals(self) -> MonthlyTotals:
        """What the deployment's instances cost a month: the tiers on endpoints of their own,
        plus every fleet's instances (not its members' shares, which leave out idle GPUs)."""
        own = [t for t in self.tiers if t.fleet is None]
        parts = [
            (t.cost.monthly_at_min, t.cost.monthly_expected, t.cost.monthly_at_max) for t in own if t.cost
        ]
        parts += [(f.monthly.at_min, f.monthly.expected, f.monthly.at_max) for f in self.fleets if f.monthly]
        unpriced = [f"{t.name} ({t.instance_type})" for t in own if t.cost is None]
        unpriced += [f"fleet {f.name} ({f.instance_type})" for f in self.fleets if f.monthly is None]
        expected = [e for _, e, _ in parts]
        return MonthlyTotals(
            at_min=sum(low for low, _, _ in parts),
            expected=None if not parts or None in expected else sum(e or 0.0 for e in expected),
            at_max=sum(high for _, _, high in parts),
            unpriced=tuple(unpriced),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_prices"] = {name: price.model_dump() for name, price in self.api_prices.items()}
        return data

    @property
    def price_home(self) -> str:
        """The region whose prices the plan prefers: the deployment's, else HOME_REGION."""
        return self.region or HOME_REGION
