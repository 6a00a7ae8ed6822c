"""Time to first token and time per output token at a concurrency, and the concurrency
target that holds a tier's objectives (deepseek_cdk.objectives). Estimates throughout.

The step model (planning.throughput) gives both figures:
- TPOT at a batch of `b`: one decoding step for `b` sequences half-way through their average
  answer, plus the prefills that interrupt decoding: each of the `b` sequences is replaced by
  a new request once per answer, and its prefill's busy time runs in the batch's steps, so
  every answer token carries b x prefill busy time / (average output) of them.
- TTFT at `c` requests in flight per instance: the prefill of an average prompt (its passes of
  the engine's token budget, each with its fixed cost, planning.throughput) and one step,
  plus the wait for one of the engine's `max_concurrency` slots. Requests arrive at random
  (Poisson) and hold a slot for the whole answer, so the wait is an M/M/k queue's: k slots,
  the offered load at which c requests are in the system (SageMaker's concurrency metric
  counts the waiting ones too), Erlang C's probability of waiting, and its exponential tail
  for the 90th percentile (planning.queueing). A single instance's queue: SageMaker's
  least-outstanding-requests routing across several instances only shortens the wait, so the
  bound is pessimistic.

The concurrency target is the smallest of three bounds, times the spec's target utilization:
- memory: max_concurrency, the batch the KV cache is sized for (planning.sizing);
- TPOT: the largest batch whose estimated TPOT meets the objective;
- TTFT: the largest load whose estimated p90 TTFT meets the objective.
A loadtest measurement (the spec's `measured` TTFT and TPOT) scales the estimate's curve to
pass through what was measured.

An instance that runs several model copies (planning.sizing: data parallelism) is that many
independent engines, each with its own batch of `max_concurrency` and its own queue: DJL
Serving hands each request to the next worker that takes one (wlm WorkerThread over the
model's one job queue), so each copy sees its share of the arrivals. The bounds are one
copy's times the copies, and the estimates at a target are one copy's at target / copies:
the concurrency target is per instance, since SageMaker's ConcurrentRequestsPerModel counts
the requests in the instance's one container.

A tier's objectives come from here too (objectives_of: the spec's `slo`, each absent value its
default), and where they are measured once deployed (measured_by).
"""

from __future__ import annotations

from dataclasses import dataclass

from deepseek_cdk.catalog import InstanceSpec, ModelSpec
from deepseek_cdk.objectives import (
    DEFAULT_COMPLETION_P90_S,
    DEFAULT_TPOT_P90_MS,
    DEFAULT_TTFT_P90_S,
    OBJECTIVES_SOURCE,
    Objectives,
)
from deepseek_cdk.planning.container_env import LMI_BATCHED_TOKENS
from deepseek_cdk.planning.queueing import WAIT_QUANTILE, largest_within, offered_load, slot_wait_s
from deepseek_cdk.planning.sizing import MemoryFit
from deepseek_cdk.planning.throughput import (
    decode_step_seconds,
    prefill_busy_seconds,
    prefill_seconds,
    within_context,
)
from deepseek_cdk.spec import Measured, Tier

TTFT_STEP = 0.1  # the TTFT bound's resolution, in requests in flight


@dataclass(frozen=True)
class StepModel:
    """One model copy on one instance, serving requests of the tier's lengths; the instance
    runs `copies` of them, each on `gpus` GPUs (None: all of the instance's)."""

    model: ModelSpec
    instance: InstanceSpec
    kv_replicas: int
    context_tokens: int
    batch: int  # the engine's max_concurrency
    tokens_in: int  # the average prompt
    tokens_out: int  # the average answer
    p90_tokens_out: int  # the answer at the 90th percentile
    # Measured / estimated: the slow end of the calibration band (planning.uncertainty), or
    # what a loadtest measured at its concurrency; `low_*`, the band's fast end, for the range.
    ttft_scale: float = 1.0
    tpot_scale: float = 1.0
    low_ttft_scale: float = 1.0
    low_tpot_scale: float = 1.0
    batched_tokens: int = LMI_BATCHED_TOKENS  # the engine's token budget per pass
    gpus: int | None = None  # GPUs one copy runs on (its tensor-parallel degree); None: all
    copies: int = 1  # copies on the instance, each its own engine and batch

    @property
    def gpu_count(self) -> int:
        """The GPUs one copy's tensor parallelism spans."""
        return self.gpus or self.instance.gpu_count

    @classmethod
    def of(
        cls,
        model: ModelSpec,
        instance: InstanceSpec,
        fit: MemoryFit,
        *,
        batch: int,
        context_tokens: int,
        tokens_in: int,
        tokens_out: int,
        p90_tokens_out: int,
        ttft_band: tuple[float, float] = (1.0, 1.0),
        tpot_band: tuple[float, float] = (1.0, 1.0),
    ) -> StepModel:
        """The step model planned at the slow end of each band (low, high: measured /
        estimated), with the fast end kept for the printed range."""
        return cls(
            model=model,
            instance=instance,
            kv_replicas=fit.kv_replicas,
            context_tokens=context_tokens,
            batch=batch,
            tokens_in=min(tokens_in, context_tokens - 1),
            tokens_out=within_context(tokens_out, tokens_in, context_tokens),
            p90_tokens_out=p90_tokens_out,
            batched_tokens=fit.batched_tokens,
            gpus=fit.tensor_parallel_degree,
            copies=fit.copies,
            low_ttft_scale=ttft_band[0],
            ttft_scale=ttft_band[1],
            low_tpot_scale=tpot_band[0],
            tpot_scale=tpot_band[1],
        )

    def prefill_s(self) -> float:
        """From an average prompt's admission to its first token."""
        return prefill_seconds(
            self.model,
            self.instance.gpu,
            self.gpu_count,
            self.tokens_in,
            batched_tokens=self.batched_tokens,
        )

    def prefill_busy_s(self) -> float:
        """The GPUs' time on an average prompt: what interrupts the batch's decoding."""
        return prefill_busy_seconds(
            self.model,
            self.instance.gpu,
            self.gpu_count,
            self.tokens_in,
            batched_tokens=self.batched_tokens,
        )

    def step_s(self, batch: float) -> float:
        return decode_step_seconds(
            self.model,
            self.instance.gpu,
            self.gpu_count,
            batch=max(1, round(batch)),
            context_tokens=min(self.context_tokens, self.tokens_in + self.tokens_out // 2),
            kv_replicas=self.kv_replicas,
        )

    def tpot_s(self, batch: float) -> float:
        """Time per output token of a sequence in a batch of `batch`."""
        interruptions = max(1.0, batch) * self.prefill_busy_s() / self.tokens_out
        return (self.step_s(batch) + interruptions) * self.tpot_scale

    def first_token_s(self, concurrency: float) -> float:
        """Prefill and one step, once a slot is free."""
        return (self.prefill_s() + self.step_s(concurrency)) * self.ttft_scale

    def request_s(self, concurrency: float, tokens_out: int | None = None) -> float:
        """A request writing `tokens_out` (default: the average) among `concurrency`."""
        out = self.tokens_out if tokens_out is None else tokens_out
        return self.first_token_s(concurrency) + out * self.tpot_s(concurrency)

    def ttft_p90_s(self, concurrency: float) -> float:
        """The 90th percentile of time to first token with `concurrency` requests in the
        container, waiting ones included (what SageMaker's concurrency metric counts)."""
        load = offered_load(self.batch, concurrency)
        return self.first_token_s(concurrency) + slot_wait_s(
            self.batch, load, self.request_s(concurrency), WAIT_QUANTILE
        )

    def tokens_per_second(self, concurrency: float) -> float:
        """Output tokens/s of one copy with `concurrency` requests in flight."""
        return min(concurrency, self.batch) / self.tpot_s(concurrency)

    def instance_tokens_per_second(self, concurrency: float) -> float:
        """Output tokens/s of the instance with `concurrency` requests in flight on it, shared
        evenly by its copies."""
        return self.copies * self.tokens_per_second(concurrency / self.copies)

    def measured(self, measured: Measured | None) -> StepModel:
        """This model scaled to pass through a loadtest's p90 TTFT and TPOT. A closed-loop
        load test keeps its requests in flight, so its TTFT has no slot wait; they are shared
        by the instance's copies."""
        if measured is None:
            return self
        c = measured.concurrency / self.copies
        ttft = self.ttft_scale
        tpot = self.tpot_scale
        if measured.ttft_p90_seconds is not None:
            ttft = measured.ttft_p90_seconds / (self.first_token_s(c) / self.ttft_scale)
        if measured.tpot_p90_ms is not None:
            tpot = measured.tpot_p90_ms / 1000 / (self.tpot_s(c) / self.tpot_scale)
        # A measurement is one figure, not a band: the range closes on it.
        return StepModel(
            **{
                **self.__dict__,
                "ttft_scale": ttft,
                "tpot_scale": tpot,
                "low_ttft_scale": ttft,
                "low_tpot_scale": tpot,
            }
        )


@dataclass(frozen=True)
class ServiceLevels:
    """A tier's concurrency target and its estimated p90 TTFT and TPOT there.

    Streamed tiers: the three bounds, the one that binds, and the target (the smallest bound
    x target utilization, or the spec's own target). Async tiers: a full batch, and the p90
    request's completion time behind the backlog the target allows."""

    memory_bound: float  # requests in flight per instance (copy); TTFT's in tenths
    tpot_bound: float
    ttft_bound: float
    binding: str  # memory | TPOT | TTFT | the spec (a given target) | the backlog (async)
    concurrency: float  # requests in flight per instance (copy) at the target
    ttft_p90_s: float
    tpot_p90_ms: float
    tokens_per_second: float  # output tokens/s of one instance (copy) at the target
    completion_p90_s: float | None  # async: the p90 request, from acceptance to result
    basis: str  # estimate, or measured by loadtest
    ttft_low_s: float = 0.0  # the range's fast end (the estimates above are its slow end)
    tpot_low_ms: float = 0.0
    ttft_scale: float = 1.0  # what the simulator's service takes the step model times
    tpot_scale: float = 1.0
    copies: int = 1  # model copies per instance; the figures above are the instance's (all copies)

    def misses(self, objectives: Objectives) -> list[str]:
        """Each objective the estimate at the target misses, as `name: estimate > objective`."""
        found = []
        if objectives.ttft_p90_s is not None and self.ttft_p90_s > objectives.ttft_p90_s:
            found.append(f"ttft_p90_seconds: estimate {self.ttft_p90_s:.2f} s > {objectives.ttft_p90_s:g} s")
        if objectives.tpot_p90_ms is not None and self.tpot_p90_ms > objectives.tpot_p90_ms:
            found.append(f"tpot_p90_ms: estimate {self.tpot_p90_ms:.0f} ms > {objectives.tpot_p90_ms:g} ms")
        if (
            objectives.completion_p90_s is not None
            and self.completion_p90_s is not None
            and self.completion_p90_s > objectives.completion_p90_s
        ):
            found.append(
                f"completion_p90_seconds: estimate {self.completion_p90_s:.0f} s > "
                f"{objectives.completion_p90_s:g} s"
            )
        return found


def streamed_levels(
    step: StepModel, objectives: Objectives, *, utilization: float, given_target: float | None, basis: str
) -> ServiceLevels:
    """The bounds and the target of a streamed tier (see the module's docstring); bounds,
    target and throughput per instance (all its copies), TTFT and TPOT one copy's there."""
    assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
    tpot_limit_s = objectives.tpot_p90_ms / 1000
    copies = step.copies
    bounds = {
        "memory": step.batch * copies,
        "TPOT": largest_within(tpot_limit_s, step.tpot_s, step.batch) * copies,
        # The wait for a slot depends on the load, not only on whole requests: tenths.
        "TTFT": round(
            largest_within(objectives.ttft_p90_s, step.ttft_p90_s, step.batch, step=TTFT_STEP) * copies, 6
        ),
    }
    binding = min(bounds, key=lambda name: bounds[name])
    concurrency = max(0.1, round(bounds[binding] * utilization, 1))
    if given_target is not None:
        binding, concurrency = "the spec", given_target
    each = concurrency / copies
    return ServiceLevels(
        memory_bound=bounds["memory"],
        tpot_bound=bounds["TPOT"],
        ttft_bound=bounds["TTFT"],
        binding=binding,
        concurrency=concurrency,
        ttft_p90_s=step.ttft_p90_s(each),
        tpot_p90_ms=1000 * step.tpot_s(each),
        tokens_per_second=step.instance_tokens_per_second(concurrency),
        completion_p90_s=None,
        basis=basis,
        copies=copies,
        **_ranges(step, each),
    )


def queued_levels(step: StepModel, *, backlog_per_instance: float | None, basis: str) -> ServiceLevels:
    """An async tier keeps the backlog target's requests per instance (None: one full batch per
    copy), up to a full batch in flight on each copy; the p90 request waits behind those beyond
    the batches, served a batch per average request time, then writes its answer."""
    batch, copies = step.batch, step.copies
    backlog = float(batch) if backlog_per_instance is None else backlog_per_instance / copies
    in_flight = max(1.0, min(float(batch), backlog))
    waiting = max(0.0, backlog - batch)
    completion = waiting / batch * step.request_s(batch) + step.request_s(in_flight, step.p90_tokens_out)
    return ServiceLevels(
        memory_bound=batch * copies,
        tpot_bound=batch * copies,
        ttft_bound=batch * copies,
        binding="the backlog",
        concurrency=in_flight * copies,
        ttft_p90_s=step.first_token_s(in_flight),
        tpot_p90_ms=1000 * step.tpot_s(in_flight),
        tokens_per_second=step.tokens_per_second(in_flight) * copies,
        completion_p90_s=completion,
        basis=basis,
        copies=copies,
        **_ranges(step, in_flight),
    )


def _ranges(step: StepModel, concurrency: float) -> dict[str, float]:
    """The fast end of the TTFT and TPOT ranges, and the scales planned on."""
    return {
        "ttft_low_s": step.first_token_s(concurrency) * step.low_ttft_scale / step.ttft_scale,
        "tpot_low_ms": 1000 * step.tpot_s(concurrency) * step.low_tpot_scale / step.tpot_scale,
        "ttft_scale": step.ttft_scale,
        "tpot_scale": step.tpot_scale,
    }


def usd_per_million_tokens(usd_per_hour: float | None, tokens_per_second: float) -> float | None:
    """What one instance's output tokens cost at `tokens_per_second`, per million."""
    if usd_per_hour is None or tokens_per_second <= 0:
        return None
    return usd_per_hour / (tokens_per_second * 3600) * 1e6


def objectives_of(tier: Tier) -> Objectives:
    """The tier's objectives: the spec's `slo`, each absent value its default."""
    slo = tier.slo
    if tier.endpoint.queued:
        given = slo.completion_p90_seconds if slo else None
        return Objectives(
            ttft_p90_s=None,
            tpot_p90_ms=None,
            completion_p90_s=given or DEFAULT_COMPLETION_P90_S,
            source="the spec" if given else "the default (30 minutes)",
        )
    ttft = slo.ttft_p90_seconds if slo else None
    tpot = slo.tpot_p90_ms if slo else None
    from_spec = [x for x in (ttft, tpot) if x is not None]
    return Objectives(
        ttft_p90_s=ttft or DEFAULT_TTFT_P90_S,
        tpot_p90_ms=tpot or DEFAULT_TPOT_P90_MS,
        source=(
            "the spec"
            if len(from_spec) == 2
            else ("the spec, the rest defaults: " if from_spec else "defaults: ") + OBJECTIVES_SOURCE
        ),
    )


def measured_by(objectives: Objectives, *, routed: bool) -> str:
    if routed and objectives.streamed:
        return "the router, per tier and version: TimeToFirstToken, TimePerOutputToken (DeepSeekCdk/Router)"
    if routed:
        return "the router, per tier: JobCompletionTime (DeepSeekCdk/Router)"
    if objectives.streamed:
        return (
            "not measured: no router in front; SageMaker's ModelLatency (whole requests, not per token) "
            "stands in"
        )
    return "not measured: no router in front; the oldest queued request's age stands in"
