"""The deployment spec: what a user writes in deployments/*.yaml, typed and validated.

Pydantic checks the shape (types, ranges, unknown keys: spec.models and its parts on spec.base); spec.rules
checks what spans fields (min <= max, weights summing to 100, references between tiers).
Every problem becomes one line `path: what is wrong (got value)` (spec.wording), and all of
them are reported together; spec.loading reads a file within its bounds. No AWS or CDK
import here. Every public name is re-exported below, so `from deepseek_cdk.spec import X`
works as it did when this was one module.
"""

from deepseek_cdk.spec.base import COMMIT, EMAIL
from deepseek_cdk.spec.fleet import Fleet
from deepseek_cdk.spec.loading import (
    DEFAULT_DEPLOYMENT,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_CHARS,
    MAX_VALUES,
    load_deployment,
    parse_deployment,
    read_yaml,
)
from deepseek_cdk.spec.models import (
    MAX_FIRINGS_PER_DAY,
    AlarmThresholds,
    DataCapture,
    Deployment,
    Measured,
    Retention,
    Rollout,
    Scaling,
    Schedule,
    Shadow,
    Slo,
    Tier,
    TrafficProfile,
    Version,
    Weights,
)
from deepseek_cdk.spec.prices import DEFAULT_API_PRICES, ApiPrice, InstancePrice
from deepseek_cdk.spec.router import Router, RouterRule, RuleCondition
from deepseek_cdk.spec.schedule_rules import MAX_YEARS_AHEAD
from deepseek_cdk.spec.wording import MAX_SHOWN, MAX_WHOLE_NUMBER, NAME_PATTERN, SpecError, unshowable

__all__ = [
    "COMMIT",
    "DEFAULT_API_PRICES",
    "DEFAULT_DEPLOYMENT",
    "EMAIL",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FIRINGS_PER_DAY",
    "MAX_INT_CHARS",
    "MAX_SHOWN",
    "MAX_VALUES",
    "MAX_WHOLE_NUMBER",
    "MAX_YEARS_AHEAD",
    "NAME_PATTERN",
    "AlarmThresholds",
    "ApiPrice",
    "DataCapture",
    "Deployment",
    "Fleet",
    "InstancePrice",
    "Measured",
    "Retention",
    "Rollout",
    "Router",
    "RouterRule",
    "RuleCondition",
    "Scaling",
    "Schedule",
    "Shadow",
    "Slo",
    "SpecError",
    "Tier",
    "TrafficProfile",
    "Version",
    "Weights",
    "load_deployment",
    "parse_deployment",
    "read_yaml",
    "unshowable",
]
