"""The throughput model against published measurements: every point within 30%, and the
README's table is this table."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepseek_cdk.catalog import MODELS
from deepseek_cdk.catalog.calibration import MEASUREMENTS, Measurement
from deepseek_cdk.catalog.instances import GPUS
from deepseek_cdk.planning.sizing import kv_replicas
from deepseek_cdk.planning.throughput import calibration_table, decode_step_seconds

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.30


def ratio(point: Measurement) -> float:
    model = MODELS[point.model]
    estimate = decode_step_seconds(
        model,
        GPUS[point.gpu],
        point.gpu_count,
        batch=point.concurrency,
        context_tokens=point.context_tokens,
        kv_replicas=kv_replicas(model, point.gpu_count),
    )
    return estimate * 1000 / point.tpot_ms


@pytest.mark.parametrize("point", MEASUREMENTS, ids=[m.name for m in MEASUREMENTS])
def test_each_measurement_within_30_percent(point: Measurement) -> None:
    assert 1 - TOLERANCE <= ratio(point) <= 1 + TOLERANCE


def test_the_worst_point_is_reported() -> None:
    worst = max(MEASUREMENTS, key=lambda point: abs(ratio(point) - 1))
    print(f"worst calibration point: {worst.name}, estimate / measurement {ratio(worst):.2f}")
    assert abs(ratio(worst) - 1) <= TOLERANCE


def test_the_readme_shows_the_calibration_table() -> None:
    assert calibration_table() in (ROOT / "README.md").read_text()
