"""How far the step model's figures can be trusted, from the calibration points themselves.

For a model family (Llama, Qwen, DeepSeek-V3 for full R1) on a GPU, the band is the range of
measured / estimated over the calibration points of that family and GPU (catalog.calibration),
one band for TPOT and one for TTFT. Where that family has fewer than MIN_POINTS points on the
GPU, the band is the whole set's spread for the architecture (dense or MoE): the model has
not been checked there, so it is as uncertain as it is anywhere. Points from different
engines widen a band (full R1 on 8 x H200: SGLang about twice as fast as vLLM at batch 4-8).
The plan prints each band as a range of TTFT and TPOT, plans capacity at its slow end
(planning.instance_choice), and `cost` prints the cost per token over the same range; the
calibration test holds every point to its band.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from deepseek_cdk.catalog import MODELS, ModelSpec
from deepseek_cdk.catalog.calibration import FIRST_TOKENS, MEASUREMENTS
from deepseek_cdk.planning.throughput import estimated_tpot_ms, estimated_ttft_ms

MIN_POINTS = 3


@dataclass(frozen=True)
class Band:
    """Measured / estimated: `low` the fastest the points were, `high` the slowest."""

    low: float
    high: float
    points: int
    basis: str  # which points it rests on

    @property
    def midpoint(self) -> float:
        return (self.low + self.high) / 2


def family(model: ModelSpec) -> str:
    """The architecture a distill inherits (its base), or DeepSeek-V3's for full R1."""
    if model.routed_experts:
        return "DeepSeek-V3"
    return "Llama" if "llama" in model.key else "Qwen"


def _band(kind: str, ratios: list[tuple[ModelSpec, str, float]], model: ModelSpec, gpu: str) -> Band:
    own = [r for m, g, r in ratios if family(m) == family(model) and g == gpu]
    if len(own) >= MIN_POINTS:
        return Band(min(own), max(own), len(own), f"{len(own)} {kind} points of {family(model)} on {gpu}")
    moe = bool(model.routed_experts)
    spread = [r for m, _, r in ratios if bool(m.routed_experts) == moe]
    what = "MoE" if moe else "dense"
    return Band(
        min(spread),
        max(spread),
        len(own),
        f"{len(own)} {kind} point(s) of {family(model)} on {gpu}: the spread of all {len(spread)} "
        f"{what} points",
    )


@cache  # the points are constants: each band is worked out once a process
def tpot_band(model: ModelSpec, gpu: str) -> Band:
    ratios = [(MODELS[p.model], p.gpu, p.tpot_ms / estimated_tpot_ms(p)) for p in MEASUREMENTS]
    return _band("TPOT", ratios, model, gpu)


@cache
def ttft_band(model: ModelSpec, gpu: str) -> Band:
    ratios = [(MODELS[p.model], p.gpu, p.ttft_ms / estimated_ttft_ms(p)) for p in FIRST_TOKENS]
    return _band("TTFT", ratios, model, gpu)
