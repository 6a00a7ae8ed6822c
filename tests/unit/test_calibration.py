"""The throughput model against published measurements: every point within 30%, and the
README's table is this table."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepseek_cdk.catalog.calibration import MEASUREMENTS, Measurement
from deepseek_cdk.planning.throughput import calibration_table, estimated_tpot_ms

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.30


def ratio(point: Measurement) -> float:
    return estimated_tpot_ms(point) / point.tpot_ms


@pytest.mark.parametrize("point", MEASUREMENTS, ids=[m.name for m in MEASUREMENTS])
def test_each_measurement_within_30_percent(point: Measurement) -> None:
    assert 1 - TOLERANCE <= ratio(point) <= 1 + TOLERANCE


def test_the_worst_point_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    worst = max(MEASUREMENTS, key=lambda point: abs(ratio(point) - 1))
    print(f"worst calibration point: {worst.name}, estimate / measurement {ratio(worst):.2f}")
    assert worst.name in capsys.readouterr().out


def test_the_readme_shows_the_calibration_table() -> None:
    assert calibration_table() in (ROOT / "README.md").read_text()
