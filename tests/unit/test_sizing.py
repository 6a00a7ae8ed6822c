"""Memory fit on the cases AWS's own samples deploy, and the arithmetic behind it."""

import dataclasses

import pytest

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.catalog.prices import PRICES
from deepseek_cdk.planning import Workload, fitting_instances, memory_fit
from deepseek_cdk.planning.sizing import kv_replicas, tensor_parallel_problem
from deepseek_cdk.planning.startup import (
    model_download_timeout,
    startup_health_check_timeout,
    volume_size_gb,
)

# DeepSeek's evaluation length, and a concurrency the AWS 70B sample ran (rolling batch 8-16).
TYPICAL = Workload(context_tokens=32_768, concurrency=8)
TINY = Workload(context_tokens=512, concurrency=1)


def home_price(instance_type: str) -> float | None:
    return PRICES.price(None, instance_type).usd_per_hour


ONE_24GB_GPU = [i for i in INSTANCES.values() if i.gpu_count == 1 and i.gpu.memory_gb == 24]


@pytest.mark.parametrize(
    ("model", "kv_bytes"),
    [
        # GQA: 2 x layers x kv_heads x head_dim x 2 bytes; MLA: (512 + 64) x layers x 2 bytes.
        ("deepseek-r1-distill-qwen-1.5b", 28_672),
        ("deepseek-r1-distill-qwen-7b", 57_344),
        ("deepseek-r1-distill-llama-8b", 131_072),
        ("deepseek-r1-distill-qwen-14b", 196_608),
        ("deepseek-r1-distill-qwen-32b", 262_144),
        ("deepseek-r1-distill-llama-70b", 327_680),
        ("deepseek-r1", 70_272),
    ],
)
def test_kv_bytes_per_token_match_the_reference_table(model: str, kv_bytes: int) -> None:
    assert MODELS[model].kv_bytes_per_token == kv_bytes


def test_weights_are_parameters_times_dtype_width() -> None:
    assert MODELS["deepseek-r1-distill-qwen-32b"].weight_bytes / 1e9 == pytest.approx(65.5, abs=0.1)
    assert MODELS["deepseek-r1-distill-llama-70b"].weight_bytes / 1e9 == pytest.approx(141.1, abs=0.1)
    assert MODELS["deepseek-r1"].weight_bytes / 1e9 == pytest.approx(685, abs=1)  # FP8: 1 byte each


@pytest.mark.parametrize("instance", ["ml.p4d.24xlarge", "ml.g6e.48xlarge"])
def test_llama_70b_fits_the_instances_aws_deploys_it_on(instance: str) -> None:
    fit = memory_fit(MODELS["deepseek-r1-distill-llama-70b"], INSTANCES[instance], TYPICAL)
    assert fit.fits, fit.problem
    assert fit.free_gb > 0


def test_llama_70b_bf16_fits_two_h100s_as_vllm_has_run_it() -> None:
    """LambdaLabsML/vllm-benchmark ran Llama-3-70B-Instruct (Distill-Llama-70B's architecture, bf16)
    on 2 x H100 80 GB with tensor parallelism 2 and a 2,048-token context (results/prompt_40/
    2xH100-80GB-SXM/Meta-Llama-3-70B-Instruct_tp2_len2048.json @ a4f9f437, 2024-09-07): the
    driver's 2 x 81,559 MiB at vLLM's default 0.9 hold it, the safety margin kept free."""
    two_h100 = dataclasses.replace(INSTANCES["ml.p5.48xlarge"], name="2 x H100", gpu_count=2)
    fit = memory_fit(
        MODELS["deepseek-r1-distill-llama-70b"], two_h100, Workload(context_tokens=2048, concurrency=8)
    )
    assert fit.fits, fit.problem
    assert fit.total_gb == pytest.approx(2 * 81_559 * 2**20 / 1e9)
    assert fit.margin_gb > 0 and fit.free_gb > 0


def test_llama_70b_does_not_fit_g5_12xlarge_and_says_how_much_is_missing() -> None:
    fit = memory_fit(MODELS["deepseek-r1-distill-llama-70b"], INSTANCES["ml.g5.12xlarge"], TINY)
    assert not fit.fits
    assert "GB missing" in (fit.problem or "")
    assert fit.free_gb < -50  # 141 GB of weights against 86.4 GB usable


@pytest.mark.parametrize("instance", [i.name for i in ONE_24GB_GPU])
def test_qwen_32b_fits_no_single_24gb_gpu(instance: str) -> None:
    assert not memory_fit(MODELS["deepseek-r1-distill-qwen-32b"], INSTANCES[instance], TINY).fits


def test_qwen_1_5b_fits_g5_xlarge() -> None:
    fit = memory_fit(MODELS["deepseek-r1-distill-qwen-1.5b"], INSTANCES["ml.g5.xlarge"], TYPICAL)
    assert fit.fits, fit.problem


def test_r1_fp8_fits_only_eight_h200_or_b200() -> None:
    names = [f.instance_type for f in fitting_instances(MODELS["deepseek-r1"], TINY, home_price)]
    assert set(names) == {"ml.p5e.48xlarge", "ml.p5en.48xlarge", "ml.p6-b200.48xlarge"}
    assert names[0] == "ml.p5e.48xlarge"  # all unpriced: the smallest that fits first
    for too_small in ("ml.p5.48xlarge", "ml.p4de.24xlarge"):
        assert not memory_fit(MODELS["deepseek-r1"], INSTANCES[too_small], TINY).fits


def test_fitting_instances_are_cheapest_first_and_unpriced_last() -> None:
    fits = fitting_instances(MODELS["deepseek-r1-distill-llama-70b"], TYPICAL, home_price)
    prices = [PRICES.price(None, f.instance_type).usd_per_hour for f in fits]
    priced = [p for p in prices if p is not None]
    assert priced == sorted(priced)
    assert prices[-1] is None and prices[0] is not None


def test_tensor_parallel_degree_must_divide_attention_heads() -> None:
    qwen7b = MODELS["deepseek-r1-distill-qwen-7b"]  # 28 heads, 4 KV heads
    assert "does not divide 28 attention heads" in (tensor_parallel_problem(qwen7b, 8) or "")
    assert tensor_parallel_problem(qwen7b, 4) is None
    assert not memory_fit(qwen7b, INSTANCES["ml.g6e.48xlarge"], TINY).fits


def test_kv_heads_are_replicated_when_the_degree_exceeds_them() -> None:
    qwen15 = MODELS["deepseek-r1-distill-qwen-1.5b"]  # 12 heads, 2 KV heads
    assert tensor_parallel_problem(qwen15, 4) is None
    assert kv_replicas(qwen15, 4) == 2
    one = memory_fit(qwen15, INSTANCES["ml.g6.2xlarge"], TYPICAL)
    four = memory_fit(qwen15, INSTANCES["ml.g6.12xlarge"], TYPICAL)
    assert four.kv_cache_gb == pytest.approx(2 * one.kv_cache_gb)


def test_mla_latent_cache_is_held_by_every_gpu() -> None:
    worst_case = dataclasses.replace(TYPICAL, reservation="worst-case")
    fit = memory_fit(MODELS["deepseek-r1"], INSTANCES["ml.p5e.48xlarge"], worst_case)
    per_copy = 70_272 * 32_768 * 8 / 1e9
    assert fit.kv_replicas == 8
    assert fit.kv_cache_gb == pytest.approx(8 * per_copy)


def test_start_up_timeouts_grow_with_the_model_within_sagemaker_bounds() -> None:
    small, large, huge = 3.5, 141.1, 685.0
    assert model_download_timeout(small) == 600
    assert 600 < model_download_timeout(large) < 3600
    assert model_download_timeout(huge) == 3600
    assert startup_health_check_timeout(large, from_hub=True) > startup_health_check_timeout(
        large, from_hub=False
    )
    for gb in (small, large, huge):
        for hub in (True, False):
            assert 60 <= startup_health_check_timeout(gb, from_hub=hub) <= 3600


def test_ebs_volume_only_without_local_nvme() -> None:
    nvme = INSTANCES["ml.g5.2xlarge"]
    assert volume_size_gb(nvme, 15.2) is None
    ebs_only = dataclasses.replace(nvme, local_nvme=False)
    assert volume_size_gb(ebs_only, 15.2) == 39  # 15.2 x 1.2 + 20, rounded up
    assert volume_size_gb(ebs_only, 685) == 512  # SageMaker's upper bound


# --- the engine's memory, as AWS's own samples deploy it ---------------------------------


@pytest.mark.parametrize(
    ("model", "instance", "workload", "worst_case_fits"),
    [
        # DeepSeek-R1-0528 sample: OPTION_MAX_MODEL_LEN 32768, rolling batch 16, utilization 0.87.
        # With the driver's 8 x 143,771 MiB even 16 full 32K sequences of its small MLA cache fit.
        ("deepseek-r1-0528", "ml.p5en.48xlarge", Workload(32_768, 16, gpu_memory_utilization=0.87), True),
        # DeepSeek-R1-0528-Qwen3-8B sample: 32K context on one L40S.
        ("deepseek-r1-0528-qwen3-8b", "ml.g6e.4xlarge", Workload(32_768, 16), False),
        # Distill-Llama-8B on one A10G at a 10K context.
        ("deepseek-r1-distill-llama-8b", "ml.g5.2xlarge", Workload(10_240, 16), False),
    ],
)
def test_the_configurations_aws_samples_deploy_fit(
    model: str, instance: str, workload: Workload, worst_case_fits: bool
) -> None:
    fit = memory_fit(MODELS[model], INSTANCES[instance], workload)
    assert fit.fits, fit.problem
    worst_case = memory_fit(
        MODELS[model], INSTANCES[instance], dataclasses.replace(workload, reservation="worst-case")
    )
    assert worst_case.fits is worst_case_fits  # what the worst-case reservation refuses


def test_typical_reservation_holds_the_batch_at_typical_length_and_one_full_sequence() -> None:
    workload = Workload(16_384, 16, typical_tokens=2000)
    assert workload.kv_tokens == 32_000
    assert Workload(16_384, 4, typical_tokens=2000).kv_tokens == 16_384  # one full sequence at least
    assert dataclasses.replace(workload, reservation="worst-case").kv_tokens == 16 * 16_384


def test_a_host_too_small_to_load_the_weights_is_not_a_fit() -> None:
    qwen7b = MODELS["deepseek-r1-distill-qwen-7b"]
    small_host = memory_fit(qwen7b, INSTANCES["ml.g6.xlarge"], TINY)  # 16 GiB RAM, 15.2 GB of weights
    assert not small_host.fits
    assert "GB of host memory" in (small_host.problem or "")
    assert memory_fit(qwen7b, INSTANCES["ml.g6.2xlarge"], TINY).fits  # 32 GiB


def test_overhead_grows_with_the_model_width() -> None:
    one_gpu = INSTANCES["ml.g6e.12xlarge"]
    small = memory_fit(MODELS["deepseek-r1-distill-qwen-1.5b"], one_gpu, TINY).overhead_gb
    large = memory_fit(MODELS["deepseek-r1-distill-qwen-32b"], one_gpu, TINY).overhead_gb
    assert small < large


def test_default_distill_qwen_7b_lands_on_a_single_gpu() -> None:
    fits = fitting_instances(MODELS["deepseek-r1-distill-qwen-7b"], Workload(16_384, 16), home_price)
    assert INSTANCES[fits[0].instance_type].gpu_count == 1


def test_fits_come_cheapest_first_by_the_price_given() -> None:
    qwen7b, workload = MODELS["deepseek-r1-distill-qwen-7b"], Workload(8192, 8)
    home = fitting_instances(qwen7b, workload, home_price)
    assert home[0].instance_type == "ml.g6.2xlarge"
    # A region where the L4 costs more than the A10G reorders them.
    dearer_l4 = fitting_instances(
        qwen7b, workload, lambda t: 9.0 if t == "ml.g6.2xlarge" else PRICES.price(None, t).usd_per_hour
    )
    assert dearer_l4[0].instance_type == "ml.g5.2xlarge"
    unpriced = fitting_instances(qwen7b, workload, lambda t: None if t == "ml.g6.2xlarge" else 1.0)
    assert unpriced[-1].instance_type == "ml.g6.2xlarge"  # unknown prices come last


def test_sequences_counts_what_the_memory_left_holds() -> None:
    llama8b = MODELS["deepseek-r1-distill-llama-8b"]
    worst = memory_fit(llama8b, INSTANCES["ml.g6e.xlarge"], Workload(8192, 4, reservation="worst-case"))
    room = worst.usable_gb - worst.weights_gb - worst.overhead_gb - worst.margin_gb
    assert worst.sequences(8192) == int(room / (131_072 / 1e9 * 8192))
    assert worst.sequences(8192) >= 4  # it fits four at full context, as reserved
    assert worst.sequences(100) > worst.sequences(8192)


def test_moe_steps_read_the_experts_their_batch_touches() -> None:
    r1 = MODELS["deepseek-r1"]
    assert r1.weight_bytes_per_step(1) == r1.active_weight_bytes  # 37B: one token's experts
    assert r1.weight_bytes_per_step(10_000) / 1e9 == pytest.approx(670, abs=2)  # every expert
    dense = MODELS["deepseek-r1-distill-qwen-7b"]
    assert dense.weight_bytes_per_step(64) == dense.weight_bytes


def test_fp8_runs_at_bf16_speed_without_fp8_units() -> None:
    assert INSTANCES["ml.p4de.24xlarge"].gpu.tflops("fp8") == 312
    assert INSTANCES["ml.p5e.48xlarge"].gpu.tflops("fp8") == 1979
