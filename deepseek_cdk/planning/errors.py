"""PlanError: a spec that validates but cannot be planned. Every planning stage raises it, and
build_plan reports all tiers' problems together in one."""

from __future__ import annotations

from deepseek_cdk.spec import SpecError


class PlanError(SpecError):
    """A spec that validates but cannot be planned (e.g. the model does not fit)."""
