"""A tier's model versions: what each one runs (the settings the registry records, and their
hash), what it costs, and what keeping several versions costs.

Capacity comes from planning.capacity: live versions share the tier's instances, so a second
live version costs more only where its floor raises the tier's min; the shadow runs its own
instances; a staged version has a model and a registry entry, which cost nothing. Storage
is S3's: weights a tier loads from S3 stay there while any version uses them, and the
retention rules decide how long replaced ones stay (catalog.storage has the prices).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deepseek_cdk.catalog.storage import GLACIER_IR_PER_GB_MONTH, STANDARD_PER_GB_MONTH
from deepseek_cdk.planning.capacity import CapacityPlan, VersionCapacity
from deepseek_cdk.planning.schedules import capacity_calendar
from deepseek_cdk.planning.units import HOURS_PER_MONTH
from deepseek_cdk.spec import COMMIT, Schedule, Tier

MODELS_PREFIX = "models/"  # models/<tier>/<version>/: weights, versioned, under the retention rules
CAPTURE_PREFIX = "capture/"  # capture/<tier>/: data capture of requests and answers


@dataclass(frozen=True)
class VersionPlan:
    """One model version of a tier: what it runs and what it costs a month (its share of the
    tier's instances over the week, at the scheduled min and at the max; None: no price),
    and at the tier's traffic: live versions split the expected instances by weight, the
    shadow serves its sampled share within its bounds (None: no traffic or no price)."""

    name: str
    weight: float
    approval: str  # approved | pending | rejected (the registry's status)
    revision: str | None  # Hub revision; None: the Hub's default branch
    weights_uri: str | None
    env: Mapping[str, str]
    settings_hash: str  # sha256 of image, env, weights and instance type: what exactly ran
    monthly_at_min: float | None
    monthly_at_max: float | None
    monthly_expected: float | None = None


@dataclass(frozen=True)
class RetentionPlan:
    """The artifacts bucket's lifecycle rules: replaced weights under `models/` (noncurrent
    object versions) and captured data under `capture/` move to Glacier Instant Retrieval
    after `archive_after_days` and expire after `expire_after_days`; the newest
    `keep_noncurrent_versions` replaced versions of each object are kept past expiry. Under
    each of `async_prefixes` (an async tier's requests, responses, failures) objects expire
    `async_days` after they were written."""

    keep_noncurrent_versions: int
    archive_after_days: int
    expire_after_days: int
    async_days: int
    models_prefix: str = MODELS_PREFIX
    capture_prefix: str = CAPTURE_PREFIX
    async_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersioningCost:
    """What a tier's versions add to one version's cost, a month (None: no instance price).

    `extra_monthly_*` = the shadow's instances + S3 storage of the weights of every version
    but the first; a rollout's second fleet is per rollout."""

    live: int
    staged: int
    shadow_monthly_at_min: float | None
    shadow_monthly_at_max: float | None
    stored_gb: float  # weights this tier keeps in S3 (distinct prefixes)
    storage_monthly: float
    # A retired version's weights (its prefix deleted): S3 Standard until archived, then Glacier
    # Instant Retrieval for as long as they are among the newest replaced versions of their
    # files, which a deleted prefix's files stay until deleted by hand.
    retired_standard_monthly: float
    retired_archived_monthly: float
    retention_applies: bool  # every S3 weights prefix is in this deployment's artifacts bucket
    rollout_cost: float | None  # one rollout's second fleet
    extra_monthly_at_min: float | None
    extra_monthly_at_max: float | None


def settings_hash(*, image: str, env: Mapping[str, str], weights_uri: str | None, instance_type: str) -> str:
    """A short, stable digest of everything that decides what a version serves."""
    settings = {"image": image, "env": dict(env), "weights": weights_uri, "instance": instance_type}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def unproven_combination(at: str, tier: Tier) -> list[str]:
    """A shadow, data capture and a traffic-shifting (canary or linear) rollout on one endpoint
    are refused: no AWS page shows the three together. Deployment guardrails' exclusions
    (deployment-guardrails-exclusions) name neither shadows nor capture, but the shadow
    page (model-shadow-deployment) shows no rollout and the capture page
    (model-monitor-data-capture) no shadow, so what SageMaker captures from a shadow while
    traffic shifts between two fleets is undocumented. Any two of them are fine."""
    rollout = tier.rollout
    if tier.shadow is None or tier.data_capture is None or rollout is None or rollout.step_percent is None:
        return []
    return [
        f"{at}.data_capture: not with a shadow and a {rollout.strategy} rollout on one endpoint; no AWS page "
        "shows the three together: drop data_capture while the shadow and the rollout run"
    ]


def revision_warnings(versions: Sequence[VersionPlan], *, from_hub: bool) -> list[str]:
    """Hub revisions that are not a commit: a branch (or a moved tag) loads other weights on
    a later cold start than the ones tested and recorded."""
    if not from_hub:
        return []
    warnings = []
    for v in versions:
        if v.revision is None:
            warnings.append(
                f"version {v.name} has no revision: it loads whatever the Hub's main branch holds at each "
                "cold start; pin the commit (40 hex characters) it was tested with"
            )
        elif not COMMIT.match(v.revision):
            warnings.append(
                f"version {v.name} revision {v.revision!r} is a branch or tag, not a commit: it may load "
                "other weights on a later cold start than the ones tested; pin the commit"
            )
    return warnings


def version_monthly(
    share: VersionCapacity, schedules: Sequence[Schedule], price_per_hour: float | None, *, at: str
) -> tuple[float | None, float | None]:
    """One version's instance cost a month at the scheduled min and max (weekly schedules)."""
    if price_per_hour is None:
        return None, None
    if share.role == "staged":
        return 0.0, 0.0
    own = [
        schedule.model_copy(update={"min": part.min, "max": part.max})
        for schedule, part in zip(schedules, share.schedules, strict=True)
    ]
    calendar = capacity_calendar(share.min, share.max, own, at=at)
    per_month = price_per_hour * HOURS_PER_MONTH
    return per_month * calendar.average_min, per_month * calendar.average_max


def versioning_cost(
    versions: Sequence[VersionPlan],
    capacity: CapacityPlan,
    *,
    weights_gb: float,
    artifacts_bucket_prefix: str,
    rollout_cost: float | None,
) -> VersioningCost:
    shadow = capacity.shadow
    shadow_cost = next((v for v in versions if shadow and v.name == shadow.version), None)
    stored = len({v.weights_uri for v in versions if v.weights_uri}) * weights_gb
    storage = stored * STANDARD_PER_GB_MONTH
    beyond_first = max(0, len({v.weights_uri for v in versions if v.weights_uri}) - 1) * weights_gb
    extra_storage = beyond_first * STANDARD_PER_GB_MONTH
    low = shadow_cost.monthly_at_min if shadow_cost else 0.0
    high = shadow_cost.monthly_at_max if shadow_cost else 0.0
    uris = [v.weights_uri for v in versions if v.weights_uri]
    in_bucket = all(uri.removeprefix("s3://").startswith(artifacts_bucket_prefix) for uri in uris)
    return VersioningCost(
        live=len(capacity.live),
        staged=sum(1 for v in capacity.versions if v.role == "staged"),
        shadow_monthly_at_min=shadow_cost.monthly_at_min if shadow_cost else None,
        shadow_monthly_at_max=shadow_cost.monthly_at_max if shadow_cost else None,
        stored_gb=stored,
        storage_monthly=storage,
        retired_standard_monthly=weights_gb * STANDARD_PER_GB_MONTH if uris else 0.0,
        retired_archived_monthly=weights_gb * GLACIER_IR_PER_GB_MONTH if uris else 0.0,
        retention_applies=bool(uris) and in_bucket,
        rollout_cost=rollout_cost,
        extra_monthly_at_min=None if low is None else low + extra_storage,
        extra_monthly_at_max=None if high is None else high + extra_storage,
    )
