"""How long a request takes on one of a tier's instances (estimates, planning.throughput)."""

from __future__ import annotations

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.planning.throughput import decode_step_seconds, prefill_seconds
from deepseek_cdk.planning.traces import Request


class Service:
    """How long a request takes on one of the tier's instances (estimates). An instance that
    runs several model copies (the plan's layout) serves `copies` batches side by side, each on
    its own `tensor_parallel_degree` GPUs: its batch is the copies' together, and a request
    steps at the pace of its copy's share of it."""

    def __init__(self, tier: TierPlan) -> None:
        model, instance = MODELS[tier.model], INSTANCES[tier.instance_type]
        copies, gpus = tier.copies, tier.tensor_parallel_degree
        self.batch = tier.max_concurrency * copies
        self.context = tier.max_context_tokens

        # The same scales the plan planned with: the slow end of the calibration band, or a
        # loadtest's measurement.
        ttft_scale, tpot_scale = tier.service.ttft_scale, tier.service.tpot_scale

        def step(batch: int, context_tokens: int) -> float:
            return tpot_scale * decode_step_seconds(
                model,
                instance.gpu,
                gpus,
                batch=-(-batch // copies),
                context_tokens=context_tokens,
                kv_replicas=tier.memory.kv_replicas,
            )

        def prefill(tokens: int) -> float:
            return ttft_scale * prefill_seconds(
                model, instance.gpu, gpus, tokens, batched_tokens=tier.memory.batched_tokens
            )

        # Looked up once per request: plain dicts, filled on first use.
        self._step, self._prefill = step, prefill
        self._steps: dict[int, float] = {}
        self._prefills: dict[int, float] = {}

    def refuses(self, tokens_in: int) -> bool:
        """The router refuses a prompt that leaves no room for an answer in the context."""
        return tokens_in + 1 > self.context

    def times(self, request: Request, batch: int) -> tuple[float, float, float]:
        """(time to first token, total time, time per output token) for `request` joining a
        batch of `batch`; the output is cut at the context, as the engine would."""
        return self.times_of(request.input_tokens, request.output_tokens, batch)

    def times_of(self, tokens_in: int, tokens_out: int, batch: int) -> tuple[float, float, float]:
        # The replay's hottest path: conditionals instead of min/max, one dict lookup each.
        room = self.context - tokens_in
        if tokens_out > room:
            tokens_out = room if room > 1 else 1
        context = tokens_in + tokens_out // 2
        if context > self.context:
            context = self.context
        if batch > self.batch:
            batch = self.batch
        elif batch < 1:
            batch = 1
        bucket = -(-context // 256)  # the step time of contexts rounded up to 256 tokens
        key = batch << 20 | bucket
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = self._step(batch, bucket * 256)
        prefill = self._prefills.get(tokens_in)
        if prefill is None:
            prefill = self._prefills[tokens_in] = self._prefill(tokens_in)
        first = prefill + step
        return first, first + (tokens_out - 1) * step, step
