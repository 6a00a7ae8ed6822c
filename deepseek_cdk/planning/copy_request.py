"""What a tier asks of a model copy: its model, the workload its KV cache holds, the request
lengths and objectives its estimates are judged by, and its scaling target's inputs, from its
spec and its traffic. planning.instance_choice judges an instance by it, planning.fleet_choice
a seat on a shared fleet's."""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import MODELS, ModelSpec
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.planning.capacity import most_capacity
from deepseek_cdk.planning.container_env import batched_tokens
from deepseek_cdk.planning.scaling import backlog_target
from deepseek_cdk.planning.service_levels import objectives_of
from deepseek_cdk.planning.sizing import Workload
from deepseek_cdk.planning.throughput import lengths, p90_output_tokens
from deepseek_cdk.spec import Tier, TrafficProfile

DEFAULT_CONTEXT_TOKENS = 32_768  # DeepSeek's own evaluation cap on generation length


@dataclass(frozen=True)
class Lengths:
    """The request lengths the estimates serve: the traffic's, else the defaults."""

    context_tokens: int
    tokens_in: int
    tokens_out: int
    p90_tokens_out: int


@dataclass(frozen=True)
class CopyRequest:
    """What a tier asks of a copy: its model, the workload its KV cache holds, the request
    lengths and objectives it is judged by, its scaling target's inputs, and the most copies
    its max and schedules allow."""

    tier: str
    model: ModelSpec
    workload: Workload
    lengths: Lengths
    objectives: Objectives
    utilization: float
    given_target: float | None
    backlog_per_instance: float | None
    most_copies: int


def copy_request(tier: Tier, traffic: TrafficProfile | None) -> CopyRequest:
    """What the tier asks of a model copy, from its spec and its `traffic`."""
    model = MODELS[tier.model]
    context = tier.max_context_tokens or min(DEFAULT_CONTEXT_TOKENS, model.max_context)
    tokens_in, tokens_out = lengths(traffic)
    scaling = tier.scaling
    return CopyRequest(
        tier=tier.name,
        model=model,
        workload=workload_of(tier, context, traffic),
        lengths=Lengths(context, tokens_in, tokens_out, p90_output_tokens(traffic, context)),
        objectives=objectives_of(tier),
        utilization=scaling.target_utilization,
        given_target=scaling.target if scaling.metric == "concurrency" and scaling.target != "auto" else None,
        backlog_per_instance=backlog_target(tier),
        most_copies=most_capacity(scaling.max_capacity, scaling.schedules),
    )


def workload_of(tier: Tier, context: int, traffic: TrafficProfile | None) -> Workload:
    """What the tier's KV cache must hold: its typical sequence is the traffic's average
    input + output when given, else the throughput estimate's default."""
    tokens_in, tokens_out = lengths(traffic)
    typical = tokens_in + tokens_out
    return Workload(
        context_tokens=context,
        concurrency=tier.max_concurrency,
        gpu_memory_utilization=tier.gpu_memory_utilization,
        typical_tokens=typical,
        reservation=tier.memory_reservation,
        batched_tokens=batched_tokens(tier.container, context),
    )
