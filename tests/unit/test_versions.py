"""What versions cost and how they roll out, in the plan (planning.versions, planning.rollout)."""

from __future__ import annotations

from typing import Any

import pytest

from deepseek_cdk.catalog.storage import GLACIER_IR_PER_GB_MONTH, STANDARD_PER_GB_MONTH
from deepseek_cdk.planning import HOURS_PER_MONTH, PlanError, build_plan
from deepseek_cdk.spec import parse_deployment

V1 = "6602cadec947dbb53e64f3d8d6425320b2197247"
V2 = "916b56a44061fd5cd7d6a8fb632557ed4f724f60"


def tier_plan(**tier: Any) -> Any:
    data = {
        "name": "test",
        "tiers": [{"name": "t", "model": "deepseek-r1-distill-qwen-7b", "max_context_tokens": 8192, **tier}],
    }
    return build_plan(parse_deployment(data)).tiers[0]


def test_the_versions_costs_add_up_to_the_tiers_cost() -> None:
    t = tier_plan(
        scaling={
            "min": 2,
            "max": 5,
            "schedules": [
                {"name": "day", "cron": "0 8 ? * MON-FRI *", "min": 4},
                {"name": "night", "cron": "0 20 ? * MON-FRI *", "min": 2},
            ],
        },
        versions=[{"name": "v1", "weight": 70}, {"name": "v2", "weight": 30}, {"name": "v3", "weight": 0}],
    )
    assert t.cost is not None
    assert sum(v.monthly_at_min for v in t.versions) == pytest.approx(t.cost.monthly_at_min)
    assert sum(v.monthly_at_max for v in t.versions) == pytest.approx(t.cost.monthly_at_max)
    staged = t.versions[2]
    assert (staged.monthly_at_min, staged.monthly_at_max) == (0.0, 0.0)
    # Two live versions share the tier: no extra instances, and from the Hub no extra storage.
    assert (t.versioning.extra_monthly_at_min, t.versioning.extra_monthly_at_max) == (0.0, 0.0)


def test_a_shadow_adds_its_own_instances_to_the_tier_cost() -> None:
    base = tier_plan(scaling={"min": 2, "max": 6}, versions=[{"name": "v1", "revision": V1}])
    shadowed = tier_plan(
        scaling={"min": 2, "max": 6},
        versions=[{"name": "v1", "revision": V1}, {"name": "v2", "revision": V2, "weight": 0}],
        shadow={"version": "v2", "sample_percent": 20},
    )
    per_instance = shadowed.cost.price_per_hour * HOURS_PER_MONTH
    shadow = shadowed.capacity.shadow
    # A fixed count: 20% of max 6, rounded up; no autoscaling moves a shadow.
    assert (shadow.role, shadow.slot, shadow.min, shadow.max) == ("shadow", "shadow", 2, 2)
    assert shadowed.cost.monthly_at_min == pytest.approx(base.cost.monthly_at_min + 2 * per_instance)
    assert shadowed.cost.monthly_at_max == pytest.approx(base.cost.monthly_at_max + 2 * per_instance)
    assert shadowed.versioning.extra_monthly_at_min == pytest.approx(2 * per_instance)
    assert shadowed.shadow_percent == 20


def test_weights_in_s3_cost_storage_for_every_version_beyond_the_first() -> None:
    bucket = "s3://test-artifacts-111111111111-us-east-1/models/t"
    t = tier_plan(
        weights={"source": "s3", "uri": f"{bucket}/v1/"},
        versions=[{"name": "v1", "weight": 100}, {"name": "v2", "weight": 0, "uri": f"{bucket}/v2/"}],
    )
    gb = t.memory.weights_gb
    assert t.versioning.stored_gb == pytest.approx(2 * gb)
    assert t.versioning.extra_monthly_at_min == pytest.approx(gb * STANDARD_PER_GB_MONTH)
    assert t.versioning.retired_standard_monthly == pytest.approx(gb * STANDARD_PER_GB_MONTH)
    assert t.versioning.retired_archived_monthly == pytest.approx(gb * GLACIER_IR_PER_GB_MONTH)
    assert t.versioning.retention_applies  # the deployment's own artifacts bucket


def test_weights_in_another_bucket_are_outside_the_retention_rules() -> None:
    t = tier_plan(weights={"source": "s3", "uri": "s3://my-models/models/t/v1/"})
    assert not t.versioning.retention_applies


def test_the_settings_hash_changes_with_what_a_version_runs() -> None:
    t = tier_plan(
        versions=[{"name": "v1", "revision": V1, "weight": 50}, {"name": "v2", "revision": V2, "weight": 50}],
        scaling={"min": 2, "max": 2},
    )
    v1, v2 = t.versions
    assert v1.settings_hash != v2.settings_hash
    again = tier_plan(versions=[{"name": "v1", "revision": V1}])
    assert again.versions[0].settings_hash == v1.settings_hash


def test_a_revision_that_is_not_a_commit_is_a_warning() -> None:
    t = tier_plan(
        scaling={"min": 3, "max": 3},
        versions=[
            {"name": "v1", "revision": V1, "weight": 40},
            {"name": "v2", "revision": "main", "weight": 30},
            {"name": "v3", "weight": 30},
        ],
    )
    assert len(t.warnings) == 2
    assert t.warnings[0].startswith("version v2 revision 'main' is a branch or tag, not a commit")
    assert t.warnings[1].startswith("version v3 has no revision")
    s3 = tier_plan(weights={"source": "s3", "uri": "s3://bucket/models/t/v1/"})
    assert s3.warnings == ()


def test_a_canary_rollout_prices_the_second_fleet() -> None:
    t = tier_plan(scaling={"min": 2, "max": 4}, rollout={"strategy": "canary", "bake_minutes": 10})
    r = t.rollout
    assert (r.method, r.strategy, r.step_percent, r.shifts) == ("blue/green", "canary", 10, 2)
    assert r.duration_s == t.cold_start_s + 2 * 600 + 300  # termination wait: the default 5 min
    assert r.max_execution_s >= r.duration_s
    assert r.extra_instances == 2  # the green fleet, at the tier's min
    assert r.cost_per_rollout == pytest.approx(2 * r.duration_s / 3600 * t.cost.price_per_hour)


def test_a_canary_needs_two_instances_per_live_version() -> None:
    with pytest.raises(PlanError) as err:
        tier_plan(scaling={"min": 1, "max": 4}, rollout={"strategy": "canary"})
    (line,) = err.value.problems
    assert line.startswith("tiers[0].rollout.strategy: a canary of 10% needs at least 2 instances")
    assert "raise tiers[0].scaling.min" in line
    assert tier_plan(scaling={"min": 1, "max": 4}, rollout={"strategy": "all-at-once"}).rollout


def test_a_rollout_longer_than_sagemaker_allows_is_refused() -> None:
    with pytest.raises(PlanError) as err:
        tier_plan(
            scaling={"min": 2, "max": 4},
            rollout={"strategy": "linear", "linear_step_percent": 10, "bake_minutes": 60},
        )
    (line,) = err.value.problems
    assert line.startswith("tiers[0].rollout.bake_minutes: 10 shift(s) of 60 min each")


def test_a_rollout_watches_at_most_ten_alarms() -> None:
    versions = [{"name": f"v{i}", "weight": 100 / 6} for i in range(6)]
    versions[0]["weight"] = 100 - 5 * (100 / 6)
    with pytest.raises(PlanError) as err:
        tier_plan(scaling={"min": 12, "max": 12}, versions=versions, rollout={"strategy": "all-at-once"})
    (line,) = err.value.problems
    assert "at most 5 live versions (got 6)" in line


def test_inference_components_roll_out_linear_batches() -> None:
    t = tier_plan(
        endpoint="inference-components",
        scaling={"min": 0, "max": 4},
        rollout={"strategy": "linear", "linear_step_percent": 25, "bake_minutes": 5},
    )
    r = t.rollout
    assert (r.method, r.step_percent, r.shifts, r.termination_wait_s) == ("rolling", 25, 4, 0)
    assert r.duration_s == 4 * (t.cold_start_s + 300)


def test_behind_a_router_a_rollout_also_watches_each_versions_ttft_and_tpot() -> None:
    versions = [{"name": f"v{i}", "weight": 100 / 3} for i in range(3)]
    versions[0]["weight"] = 100 - 2 * (100 / 3)
    tier = {
        "name": "t",
        "model": "deepseek-r1-distill-qwen-7b",
        "max_context_tokens": 8192,
        "scaling": {"min": 6, "max": 6},
        "versions": versions,
        "rollout": {"strategy": "all-at-once"},
    }
    alone = {"name": "test", "tiers": [tier]}
    assert build_plan(parse_deployment(alone)).tiers[0].rollout is not None  # 3 x 2 alarms
    routed = {**alone, "router": {"default_tier": "t"}}
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(routed))  # 3 x 4 alarms
    (line,) = err.value.problems
    assert "and the router's p90 TTFT and TPOT, of each live version" in line
    assert "at most 2 live versions (got 3)" in line


def test_a_shadow_data_capture_and_a_canary_together_are_one_plan_error_naming_data_capture() -> None:
    from deepseek_cdk.planning import PlanError

    tier = {
        "scaling": {"min": 2, "max": 6},
        "versions": [{"name": "v1", "revision": V1}, {"name": "v2", "revision": V2, "weight": 0}],
        "shadow": {"version": "v2", "sample_percent": 20},
        "rollout": {"strategy": "canary", "canary_percent": 20},
        "data_capture": {"sample_percent": 5},
    }
    with pytest.raises(PlanError) as err:
        tier_plan(**tier)
    (line,) = err.value.problems
    assert line.startswith("tiers[0].data_capture: not with a shadow and a canary rollout on one endpoint")
    # Any two of the three plan.
    for dropped in ("shadow", "rollout", "data_capture"):
        assert tier_plan(**{k: v for k, v in tier.items() if k != dropped}) is not None
