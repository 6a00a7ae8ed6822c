"""A shared fleet: one inference-components endpoint whose instances several tiers' copies
share, packed by GPUs and host memory (planning.packing)."""

from __future__ import annotations

from pydantic import Field, field_validator

from deepseek_cdk.spec.base import Strict, instance_type_or_auto


class Fleet(Strict):
    """The fleet's instance type (`auto`: the lowest cost per output token across its members
    at their objectives), its instances, and whether SageMaker manages their count.

    With managed instance scaling (the default) the endpoint runs between `min` and `max`
    instances, adding one when a copy finds no room and releasing those that hold no copy;
    absent, `min` is what the members' min copies need and `max` what every member at its max
    needs (the plan prints both packings). Without it the fleet keeps a fixed count, `min`
    (absent: what every member at its max needs), and `max` may only repeat it."""

    instance_type: str = "auto"
    min: int | None = Field(default=None, ge=0, le=100)
    max: int | None = Field(default=None, ge=1, le=100)
    managed_instance_scaling: bool = True

    @field_validator("instance_type")
    @classmethod
    def _known_instance(cls, value: str) -> str:
        return instance_type_or_auto(value)
