"""Pure-Python planning: resolves a deployment spec into a Plan. Never imports aws_cdk."""

from deepseek_cdk.planning.alarms import AlarmPlan
from deepseek_cdk.planning.cost import CostRange
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.plan import build_plan
from deepseek_cdk.planning.records import MonitoringPlan, Plan, RouterPlan, TierPlan
from deepseek_cdk.planning.scaling import ScalingPlan, SchedulePlan
from deepseek_cdk.planning.sizing import MemoryFit, Workload, fitting_instances, memory_fit
from deepseek_cdk.planning.units import HOURS_PER_MONTH
from deepseek_cdk.planning.versions import VersionPlan

__all__ = [
    "HOURS_PER_MONTH",
    "AlarmPlan",
    "CostRange",
    "MemoryFit",
    "MonitoringPlan",
    "Plan",
    "PlanError",
    "RouterPlan",
    "ScalingPlan",
    "SchedulePlan",
    "TierPlan",
    "VersionPlan",
    "Workload",
    "build_plan",
    "fitting_instances",
    "memory_fit",
]
