"""The Plan: instance choice, errors for what cannot fit, env, timeouts and cost."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.catalog.prices import PRICES
from deepseek_cdk.planning import HOURS_PER_MONTH, PlanError, build_plan
from deepseek_cdk.spec import SpecError, Tier, parse_deployment


def plan_of(**tier: Any) -> Any:
    data = {"name": "test", "tiers": [{"name": "t", "model": "deepseek-r1-distill-qwen-7b", **tier}]}
    return build_plan(parse_deployment(data)).tiers[0]


def test_auto_picks_the_cheapest_per_token_among_instances_that_fit() -> None:
    t = plan_of(max_context_tokens=4096, max_concurrency=4)
    assert t.instance_chosen == "auto"
    # Not ml.g6.2xlarge, the cheapest an hour ($1.222) of the 24 GB GPUs whose host (32 GiB)
    # can load 15 GB of weights (the xlarge sizes have 16 GiB): its L4 reads memory at half the
    # A10G's rate, so ml.g5.2xlarge ($1.515) writes a token for less.
    assert t.instance_type == "ml.g5.2xlarge"
    assert t.memory.free_gb >= 0
    g6 = plan_of(max_context_tokens=4096, max_concurrency=4, instance_type="ml.g6.2xlarge")
    assert g6.price.usd_per_hour < t.price.usd_per_hour
    assert g6.usd_per_million_tokens > t.usd_per_million_tokens


def test_full_r1_lands_on_p5e_with_unknown_price() -> None:
    t = plan_of(model="deepseek-r1", max_context_tokens=32768, max_concurrency=8)
    assert t.instance_type in {"ml.p5e.48xlarge", "ml.p5en.48xlarge"}
    assert t.tensor_parallel_degree == 8
    assert t.cost is None
    assert t.startup_health_check_timeout_s == 3600


def test_explicit_instance_that_cannot_fit_says_what_is_missing_and_what_fits() -> None:
    with pytest.raises(PlanError) as err:
        plan_of(model="deepseek-r1-distill-llama-70b", instance_type="ml.g5.12xlarge")
    (line,) = err.value.problems
    assert line.startswith("tiers[0].instance_type: ml.g5.12xlarge cannot hold deepseek-r1-distill-llama-70b")
    assert "GB missing" in line
    fits = line.split("cheapest per token first: ")[1]
    prices = [float(p.split("$")[2].split("/")[0]) for p in fits.split("), ") if "$" in p]
    assert prices == sorted(prices) and prices


def test_nothing_fits_points_at_the_knobs() -> None:
    with pytest.raises(PlanError) as err:
        plan_of(
            model="deepseek-r1",
            max_context_tokens=131072,
            max_concurrency=256,
            memory_reservation="worst-case",
        )
    assert "lower tiers[0].max_context_tokens or tiers[0].max_concurrency" in err.value.problems[0]


def test_problems_of_several_tiers_are_reported_together() -> None:
    tier = {"model": "deepseek-r1-distill-llama-70b", "instance_type": "ml.g5.xlarge"}
    data = {"name": "x", "tiers": [{"name": "a", **tier}, {"name": "b", **tier}]}
    with pytest.raises(PlanError) as err:
        build_plan(parse_deployment(data))
    assert [p.split(":")[0] for p in err.value.problems] == [
        "tiers[0].instance_type",
        "tiers[1].instance_type",
    ]


def test_lmi_env_comes_from_the_plan() -> None:
    t = plan_of(
        model="deepseek-r1-distill-llama-70b",
        instance_type="ml.g6e.48xlarge",
        max_context_tokens=16384,
        max_concurrency=12,
        versions=[{"name": "v1", "revision": "abc123", "weight": 100}],
    )
    env = t.versions[0].env
    assert env["HF_MODEL_ID"] == "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"
    assert env["HF_REVISION"] == "abc123"
    # Two copies of tensor parallel 4 write tokens cheaper than one over all 8 L40S.
    assert (t.tensor_parallel_degree, t.copies) == (4, 2)
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "4"
    assert env["OPTION_PARALLEL_LOADING"] == "true"
    assert env["OPTION_MAX_MODEL_LEN"] == "16384"
    assert env["OPTION_MAX_ROLLING_BATCH_SIZE"] == "12"
    assert env["OPTION_GPU_MEMORY_UTILIZATION"] == "0.9"
    assert int(env["OPTION_MODEL_LOADING_TIMEOUT"]) < t.startup_health_check_timeout_s
    # The engine's token budget per step is the one the plan sized activation memory for.
    assert env["OPTION_MAX_ROLLING_BATCH_PREFILL_TOKENS"] == str(t.memory.batched_tokens) == "8192"
    assert int(env["OPTION_MAX_ROLLING_BATCH_PREFILL_TOKENS"]) >= int(env["OPTION_MAX_ROLLING_BATCH_SIZE"])


def test_the_lmi_budget_covers_the_largest_batch_the_spec_allows() -> None:
    """vLLM refuses to start when max_num_batched_tokens is below max_num_seqs."""
    most = next(m.le for m in Tier.model_fields["max_concurrency"].metadata if hasattr(m, "le"))
    env = plan_of(max_context_tokens=8192, max_concurrency=most).versions[0].env
    assert int(env["OPTION_MAX_ROLLING_BATCH_PREFILL_TOKENS"]) >= most


def test_activation_memory_grows_with_the_token_budget() -> None:
    """A TGI tier at 32K context prefills whole prompts: it reserves more than LMI's budget."""
    lmi = plan_of(instance_type="ml.g6e.12xlarge", max_context_tokens=32768)
    tgi = plan_of(instance_type="ml.g6e.12xlarge", max_context_tokens=32768, container="tgi")
    assert (lmi.memory.batched_tokens, tgi.memory.batched_tokens) == (8192, 32768)
    assert tgi.memory.overhead_gb > lmi.memory.overhead_gb
    assert tgi.versions[0].env["MAX_BATCH_PREFILL_TOKENS"] == "32768"


def test_s3_weights_load_from_the_model_directory_without_a_revision() -> None:
    t = plan_of(weights={"source": "s3", "uri": "s3://bucket/qwen7b/"}, versions=[{"name": "v1"}])
    assert t.versions[0].env["HF_MODEL_ID"] == "/opt/ml/model"
    assert "HF_REVISION" not in t.versions[0].env
    assert t.versions[0].weights_uri == "s3://bucket/qwen7b/"


def test_tgi_env() -> None:
    env = plan_of(container="tgi", max_context_tokens=8192).versions[0].env
    assert env["SM_NUM_GPUS"] == "1"
    assert env["MAX_TOTAL_TOKENS"] == "8192"
    assert env["MAX_INPUT_TOKENS"] == "8191"
    assert int(env["MAX_BATCH_PREFILL_TOKENS"]) >= int(env["MAX_INPUT_TOKENS"])


def test_a_tier_without_versions_serves_one_implicit_version() -> None:
    (v,) = plan_of().versions
    assert (v.name, v.weight, v.revision) == ("v1", 100.0, None)


def test_default_context_is_deepseeks_32k_evaluation_length() -> None:
    assert plan_of().max_context_tokens == 32768


def test_monthly_cost_at_min_and_max() -> None:
    t = plan_of(instance_type="ml.g6e.2xlarge", max_context_tokens=8192, scaling={"min": 2, "max": 5})
    price = PRICES.price(None, "ml.g6e.2xlarge").usd_per_hour
    assert t.cost is not None and price is not None
    assert t.cost.monthly_at_min == pytest.approx(2 * price * HOURS_PER_MONTH)
    assert t.cost.monthly_at_max == pytest.approx(5 * price * HOURS_PER_MONTH)


def test_async_tier_at_zero_costs_nothing_at_min() -> None:
    t = plan_of(endpoint="async", max_context_tokens=8192, scaling={"min": 0, "max": 2})
    assert t.cost is not None and t.cost.monthly_at_min == 0


def test_plan_is_json_serialisable() -> None:
    data = {"name": "x", "tiers": [{"name": "a", "model": "deepseek-r1-distill-qwen-1.5b"}]}
    assert json.loads(json.dumps(build_plan(parse_deployment(data)).to_dict()))["tiers"][0]["name"] == "a"


tiers = st.fixed_dictionaries(
    {
        "name": st.just("t"),
        "model": st.sampled_from(sorted(MODELS)),
        "endpoint": st.sampled_from(["realtime", "async", "inference-components"]),
        "instance_type": st.sampled_from(["auto", *sorted(INSTANCES)]),
        "max_context_tokens": st.integers(min_value=512, max_value=131072),
        "max_concurrency": st.integers(min_value=1, max_value=256),
        "gpu_memory_utilization": st.floats(min_value=0.5, max_value=0.98),
        "scaling": st.fixed_dictionaries(
            {"min": st.integers(min_value=0, max_value=10), "max": st.integers(min_value=1, max_value=10)}
        ),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tier=tiers)
def test_every_valid_spec_plans_to_a_fitting_instance_or_a_clear_error(tier: dict[str, Any]) -> None:
    try:
        deployment = parse_deployment({"name": "prop", "tiers": [tier]})
    except SpecError as err:
        assert all(p.startswith("tiers[0].") for p in err.problems)
        return
    try:
        plan = build_plan(deployment)
    except PlanError as err:
        # Nothing holds the model, or nothing meets its objectives (the defaults here).
        assert err.problems and all(
            p.startswith(("tiers[0].instance_type: ", "tiers[0].slo")) for p in err.problems
        )
        return
    t = plan.tiers[0]
    assert t.memory.fits and t.memory.free_gb >= 0
    assert not t.service.misses(t.objectives)
    assert t.memory.required_gb <= t.memory.usable_gb
    assert t.capacity.min <= t.capacity.max
    assert all(v.min <= v.max for v in t.capacity.versions)
    # Every GPU serves: one copy over all of them, or several copies over an equal share each;
    # several copies only where LMI starts them (not TGI, not inference components).
    assert t.tensor_parallel_degree * t.copies == t.gpu_count
    assert t.copies == 1 or (t.container == "lmi" and not t.endpoint.per_component)
    assert t.memory.host_required_gb <= t.memory.host_gb
    assert 60 <= t.model_download_timeout_s <= 3600
    assert 60 <= t.startup_health_check_timeout_s <= 3600
