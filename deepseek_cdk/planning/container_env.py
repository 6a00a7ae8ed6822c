"""Container environment derived from the plan, for LMI (vLLM) and TGI.

LMI: every `option.x` of serving.properties is the env var OPTION_X (djl-serving
deployment_guide/configurations.md). TGI: SageMaker entrypoint maps HF_MODEL_ID, SM_NUM_GPUS,
and the launcher reads MAX_* (text-generation-inference sagemaker-entrypoint.sh, launcher.md).
"""

from __future__ import annotations

S3_MODEL_DIR = "/opt/ml/model"  # where SageMaker puts uncompressed ModelDataSource files
# vLLM's parser for the DeepSeek-R1 family (every catalog model writes its chain of thought
# in <think>...</think>): chat answers carry it in `reasoning`, apart from `content`. LMI reads
# option.reasoning_parser (djl-serving v0.36.0 vllm_rb_properties.py; its R1-distill
# integration test and AWS's HyperPod LMI example set both keys below).
REASONING_PARSER = "deepseek_r1"
# Tokens one forward pass may carry (every decoding sequence's next token plus prompt
# chunks). The plan sizes activation memory for it, so the container is given it too:
# left unset, vLLM's default depends on its version, the GPU and how it was started (2048
# to 16384). LMI's option.max_rolling_batch_prefill_tokens is vLLM's max_num_batched_tokens
# (djl-serving v0.36.0 vllm_rb_properties.py). vLLM's V1 engine always splits prompts
# longer than the budget into chunks (engine/arg_utils.py, "V1 always uses chunked
# prefills"), so the budget need not cover max_model_len; vLLM requires it to be at least
# max_num_seqs, which the spec's limit of 1024 sequences keeps below it.
LMI_BATCHED_TOKENS = 8192


def batched_tokens(container: str, max_context_tokens: int) -> int:
    """The engine's token budget per forward pass: LMI_BATCHED_TOKENS for LMI; for TGI at
    least a whole prompt: its launcher refuses a max_batch_prefill_tokens below
    max_input_tokens, and left unset takes max_input_tokens + 50 (text-generation-inference
    launcher/src/main.rs), so a long-context TGI tier prefills, and reserves activations for,
    the whole context at once."""
    if container == "tgi":
        return max(LMI_BATCHED_TOKENS, max_context_tokens)
    return LMI_BATCHED_TOKENS


def container_env(
    container: str,
    *,
    model_id: str,
    revision: str | None,
    tensor_parallel_degree: int,
    max_context_tokens: int,
    max_concurrency: int,
    batched_tokens: int,
    gpu_memory_utilization: float,
    startup_timeout_s: int,
    copies: int = 1,
) -> dict[str, str]:
    """The env for `container` ("lmi" or "tgi"); `model_id` is a Hub id or S3_MODEL_DIR;
    `batched_tokens` is the budget the plan sized the activations for. `copies` model copies
    per instance (LMI only): a tensor-parallel degree below the GPU count is all LMI needs to
    start one worker per `tensor_parallel_degree` GPUs (planning.sizing); the workers load in
    parallel, which the plan's host-memory check allows for."""
    if copies > 1 and container != "lmi":
        raise ValueError(
            f"copies: only the LMI container runs several model copies (got {copies} for {container})"
        )
    if container == "lmi":
        env = {
            "HF_MODEL_ID": model_id,
            "OPTION_TENSOR_PARALLEL_DEGREE": str(tensor_parallel_degree),
            "OPTION_MAX_MODEL_LEN": str(max_context_tokens),
            "OPTION_MAX_ROLLING_BATCH_SIZE": str(max_concurrency),
            "OPTION_MAX_ROLLING_BATCH_PREFILL_TOKENS": str(batched_tokens),
            "OPTION_GPU_MEMORY_UTILIZATION": f"{gpu_memory_utilization:g}",
            "OPTION_DTYPE": "bf16",
            "OPTION_ENABLE_REASONING": "true",
            "OPTION_REASONING_PARSER": REASONING_PARSER,
            # The engine must give up before SageMaker's health check does, so the log says why.
            "OPTION_MODEL_LOADING_TIMEOUT": str(max(60, startup_timeout_s - 60)),
            "SERVING_FAIL_FAST": "true",
        }
        if copies > 1:
            # djl-serving configurations.md: load the model workers in parallel "if using
            # multiple model copies, and there is sufficient CPU memory to load N copies".
            env["OPTION_PARALLEL_LOADING"] = "true"
        if revision:
            env["HF_REVISION"] = revision
        return env
    if container == "tgi":
        env = {
            "HF_MODEL_ID": model_id,
            "SM_NUM_GPUS": str(tensor_parallel_degree),
            "MAX_TOTAL_TOKENS": str(max_context_tokens),
            "MAX_INPUT_TOKENS": str(max_context_tokens - 1),
            "MAX_BATCH_SIZE": str(max_concurrency),
            "MAX_BATCH_PREFILL_TOKENS": str(batched_tokens),
            "DTYPE": "bfloat16",
            "MESSAGES_API_ENABLED": "true",
        }
        if revision:
            env["HF_MODEL_REVISION"] = revision
        return env
    raise ValueError(f"container: must be 'lmi' or 'tgi' (got {container!r})")
