"""The props of every SageMaker endpoint kind, as frozen dataclasses of plain values: the variants, the
hosting (instance type, start-up timeouts, storage) and the blue/green update, each with its
validation (ValueError names the prop). The constructs in endpoint_base.py and beside it read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from deepseek_cdk.constructs.naming import require
from deepseek_cdk.names import SAGEMAKER

TIMEOUT_RANGE = (60, 3600)


@dataclass(frozen=True)
class Variant:
    """One production variant: a model, its share of the traffic, and the instances it starts
    with (None: the endpoint's `Hosting.initial_instance_count`)."""

    name: str
    model_name: str
    weight: float = 1.0
    initial_instance_count: int | None = None


@dataclass(frozen=True)
class Hosting:
    """Where and how variants run: instance type and count, start-up timeouts, storage.

    `local_nvme` (keyword, required) says whether the instance type has local NVMe storage:
    then SageMaker takes neither a volume size nor a KMS key for it (the NVMe is encrypted by
    the hardware). The construct knows no instance catalog: the plan passes what the catalog
    says (every GPU type of deepseek_cdk.catalog.INSTANCES has NVMe), another caller its own.
    """

    instance_type: str
    initial_instance_count: int = 1
    model_download_timeout_s: int = 600
    startup_health_check_timeout_s: int = 600
    volume_size_gb: int | None = None
    local_nvme: bool = field(kw_only=True)

    def validated(self) -> Hosting:
        """Check every field; ValueError names the field."""
        require(
            self.instance_type.startswith("ml."),
            "instance_type",
            f"must be a SageMaker type like ml.g6e.xlarge (got {self.instance_type!r})",
        )
        require(
            self.initial_instance_count >= 1,
            "initial_instance_count",
            f"must be >= 1 (got {self.initial_instance_count})",
        )
        for prop, seconds in (
            ("model_download_timeout_s", self.model_download_timeout_s),
            ("startup_health_check_timeout_s", self.startup_health_check_timeout_s),
        ):
            require(TIMEOUT_RANGE[0] <= seconds <= TIMEOUT_RANGE[1], prop, f"must be 60-3600 (got {seconds})")
        require(
            self.volume_size_gb is None or (not self.local_nvme and 1 <= self.volume_size_gb <= 512),
            "volume_size_gb",
            f"only for instances without local NVMe, 1-512 GB "
            f"(got {self.volume_size_gb} on {self.instance_type})",
        )
        return self


@dataclass(frozen=True)
class BlueGreen:
    """How an endpoint update shifts traffic to a new fleet (SageMaker deployment guardrails):
    `strategy` all-at-once, canary (`step_percent` of each variant first, at most 50) or
    linear (steps of `step_percent`, 10-50); `bake_s` watching the rollback alarms after each
    shift; the old fleet kept `termination_wait_s` after the last; the whole update ended and
    rolled back after `max_execution_s` (600-28800, longer than all the waits)."""

    strategy: str = "all-at-once"
    step_percent: int | None = None
    bake_s: int = 600
    termination_wait_s: int = 0
    max_execution_s: int = 3600

    def validated(self, alarms: int) -> BlueGreen:
        """Check every field against SageMaker's limits; ValueError names the field."""
        steps = {"all-at-once": None, "canary": (1, 50), "linear": (10, 50)}
        require(self.strategy in steps, "strategy", f"all-at-once, canary or linear (got {self.strategy!r})")
        limits = steps[self.strategy]
        if limits is None:
            require(self.step_percent is None, "step_percent", "only for canary and linear")
        else:
            require(
                self.step_percent is not None and limits[0] <= self.step_percent <= limits[1],
                "step_percent",
                f"a {self.strategy} step must be {limits[0]}-{limits[1]}% (got {self.step_percent})",
            )
        for prop, seconds in (("bake_s", self.bake_s), ("termination_wait_s", self.termination_wait_s)):
            require(0 <= seconds <= 3600, prop, f"must be 0-3600 (got {seconds})")
        shifts = {"all-at-once": 1, "canary": 2, "linear": -(-100 // (self.step_percent or 100))}[
            self.strategy
        ]
        waits = self.bake_s * shifts + self.termination_wait_s
        require(
            600 <= self.max_execution_s <= 28_800 and self.max_execution_s > waits,
            "max_execution_s",
            f"must be 600-28800 and longer than the waits ({waits} s) (got {self.max_execution_s})",
        )
        require(1 <= alarms <= 10, "rollback_alarms", f"give 1-10 alarms (got {alarms})")
        return self


def validate_variants(variants: Sequence[Variant], *, most: int = 10) -> None:
    require(1 <= len(variants) <= most, "variants", f"give 1-{most} variants (got {len(variants)})")
    names = [v.name for v in variants]
    require(len(set(names)) == len(names), "variants", f"variant names must be unique (got {names})")
    for v in variants:
        require(SAGEMAKER.fits(v.name), "variants", f"variant name {v.name!r}: letters, digits, '-'; <= 63")
        require(v.weight >= 0, "variants", f"variant {v.name!r}: weight must be >= 0 (got {v.weight})")
        require(
            v.initial_instance_count is None or v.initial_instance_count >= 1,
            "variants",
            f"variant {v.name!r}: initial_instance_count must be >= 1 (got {v.initial_instance_count})",
        )
    require(sum(v.weight for v in variants) > 0, "variants", "at least one variant needs a weight above 0")


def validate_endpoint_name(endpoint_name: str | None) -> None:
    require(
        endpoint_name is None or SAGEMAKER.fits(endpoint_name),
        "endpoint_name",
        f"letters, digits and '-', at most 63 characters (got {endpoint_name!r})",
    )
