"""DeepSeek-R1 and its distilled models: the architecture numbers that sizing needs.

Sources (commit dates in brackets; full list in the README's "Catalog sources"):
- DS-R1: deepseek-ai/DeepSeek-R1 README.md (0cf78561, 2025-04-09): model list, bases, licence.
- DS-V3: deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json and README_WEIGHTS.md
  (9b4e9788, 2025-08-28): R1 layers, heads, MLA ranks, FP8 weights, 685B parameters incl. MTP.
- HF configs of the base models (Qwen2.5-Math-1.5B/7B, Qwen2.5-14B/32B, Llama-3.1-8B,
  Llama-3.3-70B, Qwen3-8B), copied in citsjtu2020/LLM-Prof sglang/Model_Config.md; parameter
  counts computed from those dimensions (read 2026-11-22).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Attention = Literal["gqa", "mla"]
DType = Literal["bf16", "fp8"]

BYTES_PER_PARAMETER: dict[DType, float] = {"bf16": 2.0, "fp8": 1.0}
KV_CACHE_BYTES_PER_VALUE = 2  # the engines keep the KV cache in bf16 unless told otherwise


@dataclass(frozen=True)
class ModelSpec:
    """One model: identity, architecture and the numbers the memory fit uses."""

    key: str
    hf_id: str
    parameters: int
    dtype: DType
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    max_context: int
    license: str
    attention: Attention = "gqa"
    kv_lora_rank: int = 0  # MLA only: width of the compressed latent KV
    rope_head_dim: int = 0  # MLA only: decoupled RoPE key width, cached beside the latent
    active_parameters: int | None = None  # MoE only: parameters used per token (dense: all)
    hidden_size: int = 0  # 0: attention_heads x head_dim, which holds for every GQA model here
    # MoE only: routed experts per MoE layer, experts each token uses, MoE layers, parameters
    # of one routed expert. A decoding step reads every expert its batch's tokens touch.
    routed_experts: int = 0
    experts_per_token: int = 0
    moe_layers: int = 0
    expert_parameters: int = 0
    source: str = ""

    @property
    def dense_weight_bytes(self) -> int:
        """Weight bytes every step reads whatever the batch: all of a dense model; the
        attention, shared experts and embeddings of an MoE model."""
        routed_active = self.experts_per_token * self.moe_layers * self.expert_parameters
        return int(
            ((self.active_parameters or self.parameters) - routed_active) * BYTES_PER_PARAMETER[self.dtype]
        )

    def weight_bytes_per_step(self, batch: int) -> int:
        """Weight bytes one decoding step reads for `batch` tokens: the dense part, plus for
        MoE the experts the batch touches (each token picks `experts_per_token` of
        `routed_experts`; the expected number of distinct experts grows with the batch)."""
        if not self.routed_experts:
            return self.dense_weight_bytes
        untouched = (1 - self.experts_per_token / self.routed_experts) ** batch
        touched = self.routed_experts * (1 - untouched)
        routed = self.moe_layers * touched * self.expert_parameters * BYTES_PER_PARAMETER[self.dtype]
        return int(self.dense_weight_bytes + routed)

    @property
    def hidden(self) -> int:
        """The model's width (hidden_size in its config)."""
        return self.hidden_size or self.attention_heads * self.head_dim

    @property
    def weight_bytes(self) -> int:
        return int(self.parameters * BYTES_PER_PARAMETER[self.dtype])

    @property
    def active_weight_bytes(self) -> int:
        """Weight bytes one decoding step reads for one token (all of them for a dense model)."""
        return int((self.active_parameters or self.parameters) * BYTES_PER_PARAMETER[self.dtype])

    @property
    def kv_bytes_per_token(self) -> int:
        """KV-cache bytes one token needs on one copy of the cache (not yet replicated by TP).

        GQA: K and V, per layer, per KV head, head_dim values each.
        MLA: one latent of kv_lora_rank plus the RoPE key, per layer (no per-head K/V).
        """
        if self.attention == "mla":
            per_layer = self.kv_lora_rank + self.rope_head_dim
            return per_layer * self.layers * KV_CACHE_BYTES_PER_VALUE
        return 2 * self.layers * self.kv_heads * self.head_dim * KV_CACHE_BYTES_PER_VALUE


_MIT = "MIT"
_DISTILL_QWEN = "DS-R1 (base Qwen2.5 config); parameters computed from the config"
_DISTILL_LLAMA = "DS-R1 (base Llama config); parameters computed from the config"

MODELS: dict[str, ModelSpec] = {
    m.key: m
    for m in (
        ModelSpec(
            key="deepseek-r1",
            hf_id="deepseek-ai/DeepSeek-R1",
            parameters=685_000_000_000,  # 671B main model + 14B MTP module, as shipped
            dtype="fp8",
            layers=61,
            attention_heads=128,
            kv_heads=128,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            attention="mla",
            kv_lora_rank=512,
            rope_head_dim=64,
            active_parameters=37_000_000_000,  # DS-R1: 37B activated of 671B
            hidden_size=7168,  # DS-V3 config_671B.json "dim"
            # DS-V3 config_671B.json: n_routed_experts 256, n_activated_experts 8, 61 layers of
            # which n_dense_layers 3, moe_inter_dim 2048 (an expert: 3 x 7168 x 2048 weights).
            routed_experts=256,
            experts_per_token=8,
            moe_layers=58,
            expert_parameters=3 * 7168 * 2048,
            source="DS-R1, DS-V3 config_671B.json and README_WEIGHTS.md",
        ),
        ModelSpec(
            key="deepseek-r1-0528",
            hf_id="deepseek-ai/DeepSeek-R1-0528",
            parameters=685_000_000_000,
            dtype="fp8",
            layers=61,
            attention_heads=128,
            kv_heads=128,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            attention="mla",
            kv_lora_rank=512,
            rope_head_dim=64,
            active_parameters=37_000_000_000,
            hidden_size=7168,
            routed_experts=256,
            experts_per_token=8,
            moe_layers=58,
            expert_parameters=3 * 7168 * 2048,
            source="same architecture as DeepSeek-R1 (DS-V3); AWS sample DeepSeek-R1-0528-LMI-CFN",
        ),
        ModelSpec(
            key="deepseek-r1-distill-qwen-1.5b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
            parameters=1_777_000_000,
            dtype="bf16",
            layers=28,
            attention_heads=12,
            kv_heads=2,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            source=_DISTILL_QWEN,
        ),
        ModelSpec(
            key="deepseek-r1-distill-qwen-7b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
            parameters=7_616_000_000,
            dtype="bf16",
            layers=28,
            attention_heads=28,
            kv_heads=4,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            source=_DISTILL_QWEN,
        ),
        ModelSpec(
            key="deepseek-r1-distill-llama-8b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
            parameters=8_030_000_000,
            dtype="bf16",
            layers=32,
            attention_heads=32,
            kv_heads=8,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            source=_DISTILL_LLAMA,
        ),
        ModelSpec(
            key="deepseek-r1-distill-qwen-14b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
            parameters=14_770_000_000,
            dtype="bf16",
            layers=48,
            attention_heads=40,
            kv_heads=8,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            source=_DISTILL_QWEN,
        ),
        ModelSpec(
            key="deepseek-r1-distill-qwen-32b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
            parameters=32_764_000_000,
            dtype="bf16",
            layers=64,
            attention_heads=40,
            kv_heads=8,
            head_dim=128,
            max_context=131_072,
            license=_MIT,
            source=_DISTILL_QWEN,
        ),
        ModelSpec(
            key="deepseek-r1-distill-llama-70b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            parameters=70_554_000_000,
            dtype="bf16",
            layers=80,
            attention_heads=64,
            kv_heads=8,
            head_dim=128,
            max_context=131_072,
            license="Llama 3.3 Community License (weights MIT)",
            source=_DISTILL_LLAMA,
        ),
        ModelSpec(
            key="deepseek-r1-0528-qwen3-8b",
            hf_id="deepseek-ai/DeepSeek-R1-0528-Qwen3-8B",
            parameters=8_190_000_000,
            dtype="bf16",
            layers=36,
            attention_heads=32,
            kv_heads=8,
            head_dim=128,
            max_context=40_960,
            license=_MIT,
            source="base Qwen3-8B config (max_position_embeddings 40960); parameters approximate",
        ),
    )
}
