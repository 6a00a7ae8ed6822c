"""Memory fit: does a model, at a context length and concurrency, fit an instance's GPUs and
its host?

GPU: required = weights + KV cache + runtime overhead + a safety margin, against the memory the
engine may use: the total the driver reports (nvidia-smi memory.total, catalog.instances) x
gpu_memory_utilization, the same fraction of the same total vLLM takes. The margin is explicit
and separate (SAFETY_MARGIN_GB_PER_GPU), not hidden in a rounded-down memory size: what the
overhead estimate may miss (NCCL buffers, fragmentation). vLLM allocates KV
blocks as sequences grow, so the KV cache is sized for the tokens really in flight
(reservation "typical"): `concurrency` sequences of the tier's typical length, and never
less than one sequence at the full context, which vLLM refuses to start without. The
"worst-case" reservation holds every sequence at the full context at once.

Tensor parallelism follows vLLM's rules: the degree must divide the attention heads, and the
KV heads must divide it or be divisible by it. Where the degree exceeds the KV heads vLLM
replicates each KV head degree/kv_heads times; an MLA latent cache has no heads to split, so
every GPU holds all of it.

Copies (data parallelism): an instance may run several model copies, each tensor parallel
over `degree` of its GPUs, where `degree` divides the GPU count (layouts()). LMI does it by
itself when option.tensor_parallel_degree is a number below the GPU count: "LMI will attempt
to maximize the number of model workers based on available GPUs ... an instance with 4 gpus
and a tensor parallel degree of 2 will result in 2 model copies, each using 2 gpus"
(djl-serving serving/docs/lmi/deployment_guide/configurations.md, "Tensor Parallelism
Configuration", unchanged from v0.36.0, the LMI v20 image's DJL Serving, to d21927c4 of
2026-06-24; wlm ModelInfo.getLoadOnDevices starts one worker every `degree` GPUs for the
Python engine that runs vLLM). A fit's GPU figures are one copy's, on its `degree` GPUs;
with one copy that is the whole instance.

Host: while loading, the weights pass through host memory; LMI asks for "at least N * model
size" of CPU memory to load N copies in parallel (djl-serving configurations.md,
option.parallel_loading, which the plan sets when an instance runs several copies). Every
copy's weights plus room for the OS, the container and SageMaker's agents must fit the
instance's RAM.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from deepseek_cdk.catalog import INSTANCES, InstanceSpec, ModelSpec
from deepseek_cdk.planning.container_env import LMI_BATCHED_TOKENS

GB = 1e9
GIB = 2**30
# Per GPU, inside the engine's budget: the CUDA context, CUDA graphs and the sampler. An
# estimate; vLLM measures the real figure at start-up and gives the rest to the KV cache.
BASE_OVERHEAD_GB_PER_GPU = 0.5
# Activations of one forward pass over the batched-token budget (Workload.batched_tokens, the
# same figure the container is given), which grow with the model's width: tokens x hidden x
# bytes per token per hidden unit (the residual stream, attention and MLP intermediates in
# bf16). The full-width ones sit on every tensor-parallel GPU, so they are counted per GPU.
# Estimates.
ACTIVATION_BYTES_PER_HIDDEN = 20
HOST_RESERVE_GB = 8.0  # the OS, the serving container and SageMaker's agents; an estimate
# Per GPU, beside the overhead estimate: room for what that estimate may miss (NCCL buffers,
# allocator fragmentation). An estimate, printed as its own term of the plan's memory line.
SAFETY_MARGIN_GB_PER_GPU = 0.25

Reservation = Literal["typical", "worst-case"]


@dataclass(frozen=True)
class Workload:
    """What one model copy must hold: up to `concurrency` sequences of `typical_tokens` (and
    one of `context_tokens`), or, worst case, all of them at `context_tokens`; and the
    activations of a forward pass over `batched_tokens` (the engine's token budget per step,
    planning.container_env.batched_tokens)."""

    context_tokens: int
    concurrency: int
    gpu_memory_utilization: float = 0.9
    typical_tokens: int = 2000
    reservation: Reservation = "typical"
    batched_tokens: int = LMI_BATCHED_TOKENS

    @property
    def kv_tokens(self) -> int:
        """Tokens the KV cache must hold at once."""
        if self.reservation == "worst-case":
            return self.concurrency * self.context_tokens
        return max(self.concurrency * min(self.typical_tokens, self.context_tokens), self.context_tokens)


@dataclass(frozen=True)
class MemoryFit:
    """How one model fills one instance: `copies` model copies, each on
    `tensor_parallel_degree` GPUs. GPU figures in decimal GB for one copy (with one copy, the
    whole instance); host figures for the whole instance."""

    instance_type: str
    tensor_parallel_degree: int
    total_gb: float  # what the driver reports for one copy's GPUs (the engine's share is taken of it)
    usable_gb: float
    weights_gb: float
    kv_cache_gb: float
    overhead_gb: float
    margin_gb: float  # the safety margin, kept free
    kv_replicas: int
    kv_tokens: int  # what the KV cache was sized for
    kv_gb_per_token: float  # on the whole instance, replicas included
    batched_tokens: int  # the token budget per step the activations were sized for
    host_gb: float
    host_required_gb: float
    problem: str | None  # why it does not fit; None when it fits
    copies: int = 1  # model copies on the instance (data parallel), each its own engine and batch

    @property
    def required_gb(self) -> float:
        return self.weights_gb + self.kv_cache_gb + self.overhead_gb

    @property
    def free_gb(self) -> float:
        """What is left once the safety margin is kept free too."""
        return self.usable_gb - self.required_gb - self.margin_gb

    @property
    def fits(self) -> bool:
        return self.problem is None

    @property
    def layout(self) -> str:
        """How the instance runs the model: "tensor parallel 4", or "tensor parallel 1, 4 copies"."""
        copies = f", {self.copies} copies" if self.copies > 1 else ""
        return f"tensor parallel {self.tensor_parallel_degree}{copies}"

    def sequences(self, tokens_each: int) -> int:
        """How many sequences of `tokens_each` the memory left after weights and overhead
        holds at once (what the engine will really admit, up to its batch limit)."""
        room = self.usable_gb - self.weights_gb - self.overhead_gb - self.margin_gb
        return max(0, math.floor(room / (self.kv_gb_per_token * tokens_each)))


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


def overhead_gb(model: ModelSpec, degree: int, batched_tokens: int) -> float:
    """Runtime memory beside weights and KV cache, for the whole instance, with forward
    passes of up to `batched_tokens` tokens."""
    activations_per_gpu = batched_tokens * model.hidden * ACTIVATION_BYTES_PER_HIDDEN / GB
    return (BASE_OVERHEAD_GB_PER_GPU + activations_per_gpu) * degree


def layouts(model: ModelSpec, instance: InstanceSpec) -> list[int]:
    """The tensor-parallel degrees an instance may run copies at: every divisor of its GPU
    count that is a valid degree for the model, largest first (one copy over every GPU)."""
    return [
        degree
        for degree in range(instance.gpu_count, 0, -1)
        if instance.gpu_count % degree == 0
        and (degree == instance.gpu_count or tensor_parallel_problem(model, degree) is None)
    ]


def memory_fit(
    model: ModelSpec, instance: InstanceSpec, workload: Workload, *, degree: int | None = None
) -> MemoryFit:
    """Fit `model` on `instance` as copies tensor parallel over `degree` GPUs each (default:
    one copy over all of them)."""
    degree = degree or instance.gpu_count
    if instance.gpu_count % degree:
        raise ValueError(
            f"degree: must divide the {instance.gpu_count} GPUs of {instance.name} (got {degree})"
        )
    copies = instance.gpu_count // degree
    replicas = kv_replicas(model, degree)
    per_token = model.kv_bytes_per_token * replicas / GB
    weights = model.weight_bytes / GB
    fit = MemoryFit(
        instance_type=instance.name,
        tensor_parallel_degree=degree,
        total_gb=instance.gpu.driver_gb * degree,
        usable_gb=instance.gpu.driver_gb * degree * workload.gpu_memory_utilization,
        weights_gb=weights,
        kv_cache_gb=per_token * workload.kv_tokens,
        overhead_gb=overhead_gb(model, degree, workload.batched_tokens),
        margin_gb=SAFETY_MARGIN_GB_PER_GPU * degree,
        kv_replicas=replicas,
        kv_tokens=workload.kv_tokens,
        kv_gb_per_token=per_token,
        batched_tokens=workload.batched_tokens,
        host_gb=instance.host_memory_gib * GIB / GB,
        host_required_gb=copies * weights + HOST_RESERVE_GB,
        problem=None,
        copies=copies,
    )
    problem = tensor_parallel_problem(model, degree)
    if problem is None and fit.free_gb < 0:
        problem = (
            (f"each of {copies} copies on {degree} GPUs " if copies > 1 else "")
            + f"needs {fit.required_gb + fit.margin_gb:.1f} GB of GPU memory ({fit.weights_gb:.1f} weights + "
            f"{fit.kv_cache_gb:.1f} KV cache + {fit.overhead_gb:.1f} overhead + {fit.margin_gb:.1f} safety "
            f"margin), has {fit.usable_gb:.1f} GB usable: {-fit.free_gb:.1f} GB missing"
        )
    if problem is None and fit.host_gb < fit.host_required_gb:
        problem = (
            f"needs about {fit.host_required_gb:.1f} GB of host memory to load "
            + (f"{copies} copies of " if copies > 1 else "")
            + f"{fit.weights_gb:.1f} GB of weights (an estimate), has {fit.host_gb:.1f} GB: "
            f"{fit.host_required_gb - fit.host_gb:.1f} GB missing"
        )
    return dataclasses.replace(fit, problem=problem)


def fitting_instances(
    model: ModelSpec, workload: Workload, price: Callable[[str], float | None]
) -> list[MemoryFit]:
    """Every catalog instance that holds one copy of the model over all its GPUs, cheapest
    first by `price` (USD an hour of an instance type, None when unknown), then unpriced ones
    by size."""

    def price_order(fit: MemoryFit) -> tuple[bool, float, float, str]:
        usd = price(fit.instance_type)
        return (usd is None, usd or 0.0, fit.total_gb, fit.instance_type)

    fits = [memory_fit(model, instance, workload) for instance in INSTANCES.values()]
    return sorted((f for f in fits if f.fits), key=price_order)
