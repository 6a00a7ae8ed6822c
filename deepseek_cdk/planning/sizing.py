"""GPU memory fit: does a model, at a context length and concurrency, fit an instance?

required = weights + KV cache (max context x max concurrency, replicated where tensor
parallelism cannot shard it) + runtime overhead, compared with the memory the engine may use
(GPU memory x gpu_memory_utilization, the same fraction vLLM is given).

Tensor parallelism follows vLLM's rules: the degree must divide the attention heads, and the
KV heads must divide it or be divisible by it. Where the degree exceeds the KV heads vLLM
replicates each KV head degree/kv_heads times; an MLA latent cache has no heads to split, so
every GPU holds all of it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from deepseek_cdk.catalog import INSTANCES, InstanceSpec, ModelSpec

GB = 1e9
# Activations, CUDA graphs and sampler buffers per GPU, inside the engine's budget. An
# estimate: vLLM measures the real figure at start-up and gives the rest to the KV cache.
RUNTIME_OVERHEAD_GB_PER_GPU = 1.5


@dataclass(frozen=True)
class Workload:
    """What one model copy must hold at once: sequences of up to `context_tokens` each."""

    context_tokens: int
    concurrency: int
    gpu_memory_utilization: float = 0.9


@dataclass(frozen=True)
class MemoryFit:
    """How one model fills one instance. All figures in decimal GB for the whole instance."""

    instance_type: str
    tensor_parallel_degree: int
    total_gb: float
    usable_gb: float
    weights_gb: float
    kv_cache_gb: float
    overhead_gb: float
    kv_replicas: int
    problem: str | None  # why it does not fit; None when it fits

    @property
    def required_gb(self) -> float:
        return self.weights_gb + self.kv_cache_gb + self.overhead_gb

    @property
    def free_gb(self) -> float:
        return self.usable_gb - self.required_gb

    @property
    def fits(self) -> bool:
        return self.problem is None


def tensor_parallel_problem(model: ModelSpec, degree: int) -> str | None:
    """Why `degree` is not a valid tensor-parallel degree for `model`, or None."""
    if model.attention_heads % degree:
        return f"tensor-parallel degree {degree} does not divide {model.attention_heads} attention heads"
    if model.attention == "gqa" and model.kv_heads % degree and degree % model.kv_heads:
        return f"tensor-parallel degree {degree} and {model.kv_heads} KV heads do not divide one another"
    return None


def kv_replicas(model: ModelSpec, degree: int) -> int:
    if model.attention == "mla":
        return degree
    return max(1, degree // model.kv_heads)


def memory_fit(model: ModelSpec, instance: InstanceSpec, workload: Workload) -> MemoryFit:
    """Fit `model` on all GPUs of `instance` (one model copy, tensor parallel over the GPUs)."""
    degree = instance.gpu_count
    replicas = kv_replicas(model, degree)
    fit = MemoryFit(
        instance_type=instance.name,
        tensor_parallel_degree=degree,
        total_gb=instance.gpu_memory_gb,
        usable_gb=instance.gpu_memory_gb * workload.gpu_memory_utilization,
        weights_gb=model.weight_bytes / GB,
        kv_cache_gb=model.kv_bytes_per_token * workload.context_tokens * workload.concurrency * replicas / GB,
        overhead_gb=RUNTIME_OVERHEAD_GB_PER_GPU * degree,
        kv_replicas=replicas,
        problem=None,
    )
    problem = tensor_parallel_problem(model, degree)
    if problem is None and fit.free_gb < 0:
        problem = (
            f"needs {fit.required_gb:.1f} GB ({fit.weights_gb:.1f} weights + {fit.kv_cache_gb:.1f} KV cache "
            f"+ {fit.overhead_gb:.1f} overhead), has {fit.usable_gb:.1f} GB usable: "
            f"{-fit.free_gb:.1f} GB missing"
        )
    return dataclasses.replace(fit, problem=problem)


def price_order(fit: MemoryFit) -> tuple[bool, float, float, str]:
    """Sort key: priced instances cheapest first, then unpriced ones by size."""
    price = INSTANCES[fit.instance_type].price_per_hour
    return (price is None, price or 0.0, fit.total_gb, fit.instance_type)


def fitting_instances(model: ModelSpec, workload: Workload) -> list[MemoryFit]:
    """Every catalog instance that holds the model, cheapest first."""
    fits = [memory_fit(model, instance, workload) for instance in INSTANCES.values()]
    return sorted((f for f in fits if f.fits), key=price_order)
