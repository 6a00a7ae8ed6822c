"""Data-parallel model copies: an instance runs several copies of the model, each tensor
parallel over an equal share of its GPUs, where that writes tokens cheaper."""

from typing import Any

import pytest

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.cli.plan import render_plan
from deepseek_cdk.planning import PlanError, Workload, build_plan, memory_fit
from deepseek_cdk.planning.sizing import layouts
from deepseek_cdk.spec import parse_deployment

QWEN_14B = MODELS["deepseek-r1-distill-qwen-14b"]
G6E_12 = INSTANCES["ml.g6e.12xlarge"]  # 4 x L40S 48 GB, PCIe between them
WORKLOAD = Workload(context_tokens=16_384, concurrency=16)


def plan(**tier: Any) -> Any:
    data = {"name": "x", "tiers": [{"name": "t", "model": "deepseek-r1-distill-qwen-14b", **tier}]}
    return build_plan(parse_deployment(data))


def test_an_instance_is_laid_out_at_every_degree_that_divides_its_gpus() -> None:
    assert layouts(QWEN_14B, G6E_12) == [4, 2, 1]
    assert layouts(QWEN_14B, INSTANCES["ml.p4d.24xlarge"]) == [8, 4, 2, 1]
    # Qwen-7B's 28 attention heads refuse degree 8, which the one-copy layout still reports.
    assert layouts(MODELS["deepseek-r1-distill-qwen-7b"], INSTANCES["ml.p4d.24xlarge"]) == [8, 4, 2, 1]
    assert layouts(MODELS["deepseek-r1-distill-qwen-7b"], INSTANCES["ml.g6e.48xlarge"])[0] == 8


def test_a_copy_holds_its_own_weights_and_kv_cache_on_its_own_gpus() -> None:
    whole = memory_fit(QWEN_14B, G6E_12, WORKLOAD)
    each = memory_fit(QWEN_14B, G6E_12, WORKLOAD, degree=1)
    assert (whole.copies, each.copies) == (1, 4)
    assert each.total_gb == pytest.approx(whole.total_gb / 4)
    assert each.weights_gb == whole.weights_gb  # every copy loads all the weights
    assert each.overhead_gb == pytest.approx(whole.overhead_gb / 4)
    # LMI loads the copies in parallel: the host holds every copy's weights at once.
    assert each.host_required_gb - whole.host_required_gb == pytest.approx(3 * whole.weights_gb)
    assert each.fits and each.layout == "tensor parallel 1, 4 copies"


def test_copies_that_do_not_fit_say_so_and_leave_one_copy_over_every_gpu() -> None:
    qwen32 = MODELS["deepseek-r1-distill-qwen-32b"]  # 65.5 GB of weights
    g5_12 = INSTANCES["ml.g5.12xlarge"]  # 4 x A10G 24 GB
    for degree in (1, 2):
        fit = memory_fit(qwen32, g5_12, WORKLOAD, degree=degree)
        assert not fit.fits
        assert fit.problem is not None and fit.problem.startswith(
            f"each of {4 // degree} copies on {degree} GPUs"
        )
    t = plan(model="deepseek-r1-distill-qwen-32b", instance_type="ml.g5.12xlarge").tiers[0]
    assert (t.tensor_parallel_degree, t.copies) == (4, 1)
    assert "OPTION_PARALLEL_LOADING" not in t.versions[0].env
    with pytest.raises(ValueError, match="degree: must divide the 4 GPUs"):
        memory_fit(qwen32, g5_12, WORKLOAD, degree=3)


def test_four_copies_of_a_14b_on_four_l40s_write_tokens_cheaper_than_one_over_all_four() -> None:
    """The worked case: Qwen-14B on ml.g6e.12xlarge. Tensor parallel 4 reads each GPU's quarter
    of the weights per step but pays two all-reduces per layer over PCIe; four copies each read
    all the weights from their own GPU, with no all-reduce, and serve four batches at once."""
    p = plan(instance_type="ml.g6e.12xlarge", max_context_tokens=16384, max_concurrency=16)
    t = p.tiers[0]
    assert (t.tensor_parallel_degree, t.copies) == (1, 4)
    assert t.memory.copies == 4 and t.memory.total_gb == pytest.approx(G6E_12.driver_memory_gb / 4)
    one = next(a for a in t.alternatives if "tensor parallel 4:" in a.reason)
    assert t.usd_per_million_tokens is not None and one.usd_per_million_tokens is not None
    assert one.usd_per_million_tokens > 1.2 * t.usd_per_million_tokens
    # Every number per instance is the copies' sum: the concurrency target (SageMaker counts the
    # requests in the instance's one container) and the throughput.
    service = t.service
    assert service.copies == 4
    assert service.memory_bound == 4 * 16
    assert t.scaling.target.target == service.concurrency
    assert service.concurrency > 16  # more than one engine's batch: no copy alone could hold it
    # The container: LMI starts one worker per GPU from the degree alone, loading them in parallel.
    env = t.versions[0].env
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "1"
    assert env["OPTION_MAX_ROLLING_BATCH_SIZE"] == "16"  # per copy
    assert env["OPTION_PARALLEL_LOADING"] == "true"
    text = render_plan(p)
    assert "parallelism  tensor parallel 1, 4 copies, KV cache copies 1" in text
    assert "memory (GB)  each copy: " in text
    assert "4 copies, each on 1 x NVIDIA L40S" in text


def test_a_copy_serves_the_same_latency_as_an_instance_running_one_alone() -> None:
    """Four copies at 4x the requests see what one copy sees at 1x: independent engines."""
    four = plan(instance_type="ml.g6e.12xlarge", max_context_tokens=16384, max_concurrency=16).tiers[0]
    alone = plan(instance_type="ml.g6e.2xlarge", max_context_tokens=16384, max_concurrency=16).tiers[0]
    assert four.service.concurrency == pytest.approx(4 * alone.service.concurrency, abs=0.4)
    assert four.service.tokens_per_second == pytest.approx(4 * alone.service.tokens_per_second, rel=0.05)
    assert four.throughput.tokens_per_second == pytest.approx(4 * alone.throughput.tokens_per_second)


def test_an_async_tier_waits_one_full_batch_per_copy_by_default() -> None:
    t = plan(instance_type="ml.g6e.12xlarge", endpoint="async", max_concurrency=8).tiers[0]
    assert t.copies == 4
    assert t.scaling.target.target == 4 * 8
    assert (
        "one full batch waiting per model copy (4 copies x max_concurrency 8)" in t.scaling.target.derivation
    )


@pytest.mark.parametrize(
    "settings", [{"container": "tgi"}, {"endpoint": "inference-components", "scaling": {"min": 0, "max": 2}}]
)
def test_tgi_and_inference_components_run_one_copy_over_every_gpu(settings: dict[str, Any]) -> None:
    t = plan(instance_type="ml.g6e.12xlarge", **settings).tiers[0]
    assert (t.tensor_parallel_degree, t.copies) == (4, 1)


def test_auto_keeps_its_instance_type_and_lays_copies_out_on_it() -> None:
    """auto picks the type on one copy over all its GPUs, as without copies, then the layout:
    an 8-GPU instance whose copies write cheaper tokens is not preferred to a small instance
    the tier's instance counts were written for."""
    t = plan(model="deepseek-r1-distill-qwen-7b").tiers[0]
    assert t.instance_type == "ml.g5.2xlarge" and t.copies == 1
    reasoning = plan(model="deepseek-r1-distill-qwen-32b", instance_type="ml.p4d.24xlarge").tiers[0]
    assert (reasoning.tensor_parallel_degree, reasoning.copies) == (2, 4)


def test_an_explicit_instance_no_layout_of_which_holds_the_model_is_a_plan_error() -> None:
    with pytest.raises(PlanError) as err:
        plan(model="deepseek-r1-distill-llama-70b", instance_type="ml.g5.12xlarge")
    (problem,) = err.value.problems
    assert problem.startswith(
        "tiers[0].instance_type: ml.g5.12xlarge cannot hold deepseek-r1-distill-llama-70b"
    )
    assert "each of" not in problem  # the one-copy layout's shortfall, the smallest there is
