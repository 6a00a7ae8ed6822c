"""The step model against published measurements: every distill point within 30%, every
full-R1 point within 50% of its band's midpoint (the engines disagree on R1), the held-out
points too, and docs/sizing.md's table is this table."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepseek_cdk.catalog import MODELS
from deepseek_cdk.catalog.calibration import FIRST_TOKENS, HELD_OUT, MEASUREMENTS, FirstToken, Measurement
from deepseek_cdk.catalog.instances import GPUS
from deepseek_cdk.planning.throughput import (
    MEMORY_EFFICIENCY,
    arithmetic_bound,
    calibration_table,
    decode_step_seconds,
    estimated_tpot_ms,
    estimated_ttft_ms,
)
from deepseek_cdk.planning.uncertainty import tpot_band, ttft_band

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.30
FULL_R1_TOLERANCE = 0.50
Point = Measurement | FirstToken


def measured_over_estimate(point: Point) -> float:
    if isinstance(point, Measurement):
        return point.tpot_ms / estimated_tpot_ms(point)
    return point.ttft_ms / estimated_ttft_ms(point)


def error(point: Point) -> float:
    """How far the estimate is from the measurement (for full R1: the estimate scaled to its
    band's midpoint), as a fraction of the measurement."""
    model = MODELS[point.model]
    if not model.routed_experts:
        return abs(1 / measured_over_estimate(point) - 1)
    band = (tpot_band if isinstance(point, Measurement) else ttft_band)(model, point.gpu)
    print(f"{point.name}: band {band.low:.2f}-{band.high:.2f} (measured / estimate; {band.basis})")
    return abs(measured_over_estimate(point) / band.midpoint - 1)


def tolerance(point: Point) -> float:
    return FULL_R1_TOLERANCE if MODELS[point.model].routed_experts else TOLERANCE


ALL = (*MEASUREMENTS, *FIRST_TOKENS)


def test_the_set_has_at_least_thirty_points() -> None:
    assert len(ALL) >= 30


@pytest.mark.parametrize(
    "point", ALL, ids=[p.name + (" TTFT" if isinstance(p, FirstToken) else "") for p in ALL]
)
def test_each_measurement_within_its_tolerance(point: Point) -> None:
    assert error(point) <= tolerance(point)


@pytest.mark.parametrize("point", HELD_OUT, ids=[p.name for p in HELD_OUT])
def test_each_held_out_measurement_within_its_tolerance(point: Point) -> None:
    assert error(point) <= tolerance(point)


def test_the_worst_points_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    worst = max(ALL, key=lambda point: error(point) / tolerance(point))
    print(
        f"worst calibration point: {worst.name}, error {error(worst):.2f} of {tolerance(worst):.2f} allowed"
    )
    assert worst.name in capsys.readouterr().out


def test_the_set_holds_batches_the_arithmetic_bounds() -> None:
    """COMPUTE_EFFICIENCY is tested: the set has points whose multiplications wait on the tensor
    cores, up to an engine's full batch of 256, and they are held like every other."""
    bound = [
        p for p in MEASUREMENTS if arithmetic_bound(MODELS[p.model], GPUS[p.gpu], p.gpu_count, p.concurrency)
    ]
    assert len(bound) >= 3 and max(p.concurrency for p in bound) >= 256
    assert all(error(p) <= tolerance(p) for p in bound)


def test_attention_is_not_hidden_behind_the_arithmetic() -> None:
    """At a batch the arithmetic bounds, a longer context still costs its KV cache's reading."""
    model, gpu = MODELS["deepseek-r1-distill-llama-8b"], GPUS["NVIDIA A100 80GB"]
    assert arithmetic_bound(model, gpu, 1, 256)

    def step(context: int) -> float:
        return decode_step_seconds(model, gpu, 1, batch=256, context_tokens=context, kv_replicas=1)

    kv_read_s = 256 * 1000 * model.kv_bytes_per_token / (gpu.bandwidth_gb_s * 1e9 * MEMORY_EFFICIENCY)
    assert abs(step(1300) - step(300) - kv_read_s) < 1e-9


def test_full_r1_on_h200_has_a_band_wider_than_one_engine() -> None:
    band = tpot_band(MODELS["deepseek-r1"], "NVIDIA H200")
    assert band.points >= 3 and band.high / band.low > 2  # vLLM at batch 4 vs SGLang


def test_a_gpu_without_points_takes_the_whole_sets_spread() -> None:
    band = tpot_band(MODELS["deepseek-r1-distill-qwen-7b"], "NVIDIA A10G")
    assert band.points == 0 and band.low < 1 < band.high


def test_the_sizing_page_shows_the_calibration_table() -> None:
    assert calibration_table() in (ROOT / "docs" / "sizing.md").read_text()
