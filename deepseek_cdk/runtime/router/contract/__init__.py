"""The router's contract: what clients send, what the model is sent, and the limits both
routes hold requests to. Shared by the Lambda handlers, the RequestRouter construct (its
request schema) and the planner (the buffered answer limit). Standard library only.

POST /invoke and POST /stream take this project's body: either `prompt` (one user turn) or
`messages` (a conversation), with `parameters` and `tier` (parse_body). POST /chat/completions
takes OpenAI's chat-completion request instead (parse_chat_completion): `model` names the tier
(or `auto`), sampling settings are top-level, `stream` chooses the answer's form. The model
is always sent the chat form, `{"messages": [...], "max_tokens": N, ...}`: LMI applies the
model's chat template (for the R1 distills: the User and Assistant markers, then `<think>`)
only to a request with `messages`, and reads any `inputs` request as a raw completion
(djl-serving vllm_async_service.preprocess_request, LMI v20). Answers come back in the same
OpenAI chat-completion schema; with the `deepseek_r1` reasoning parser the chain of thought
is in `message.reasoning` (`reasoning_content` in vLLM 0.15.1 too), apart from `content`.

The package: routes (routes, limits, metric names), requests (what clients send), json_text
(bounded JSON), config (ROUTER_CONFIG), stream (the model's event stream). Every public name
is re-exported here, so `from .contract import X` works as it did when this was one module.
"""

from .config import UNKNOWN_VERSION, RouterConfig, Tier
from .errors import BadRequest
from .json_text import MAX_NUMBER_DIGITS, ModelOutputError, decode_json, decode_model_json
from .requests import (
    CHARS_PER_TOKEN,
    CHAT_FIELDS,
    DEFAULT_MAX_TOKENS,
    DEVELOPER_ROLE,
    FIELDS,
    MAX_MESSAGES,
    MAX_STOP_CHARS,
    MAX_STOP_SEQUENCES,
    MESSAGE_FIELDS,
    PARAMETERS,
    ROLES,
    SETTINGS,
    TOKENS_PER_MESSAGE,
    ChatOptions,
    ChatRequest,
    Setting,
    estimated_prompt_tokens,
    fits_context,
    parse_body,
    parse_chat_completion,
    within_limit,
)
from .routes import (
    ANSWER_LATENCY_METRIC,
    ASYNC_INVOCATION_TIMEOUT_S,
    ASYNC_JOB_LIFETIME_S,
    ASYNC_REQUEST_TTL_S,
    AUTO_MODEL,
    BUFFERED_SECONDS,
    CHAT_ROUTE,
    COMPLETION_METRIC,
    INVOKE_ROUTE,
    JOB_DONE,
    JOB_EXPIRED,
    JOB_FAILED,
    JOB_FINAL,
    JOB_PENDING,
    JOB_ROUTE,
    JOB_UNCONFIRMED,
    MAX_DETAIL_CHARS,
    METRIC_UNITS,
    METRICS_NAMESPACE,
    MODELS_ROUTE,
    OUTPUT_TOKENS_METRIC,
    STREAM_FAILURES_METRIC,
    STREAM_ROUTE,
    STREAM_SECONDS,
    TIER_DIMENSIONS,
    TPOT_METRIC,
    TTFT_METRIC,
    VERSION_DIMENSIONS,
)
from .stream import Chunk, StreamStop, model_chunks, stream_error_said

__all__ = [
    "ANSWER_LATENCY_METRIC",
    "ASYNC_INVOCATION_TIMEOUT_S",
    "ASYNC_JOB_LIFETIME_S",
    "ASYNC_REQUEST_TTL_S",
    "AUTO_MODEL",
    "BUFFERED_SECONDS",
    "CHARS_PER_TOKEN",
    "CHAT_FIELDS",
    "CHAT_ROUTE",
    "COMPLETION_METRIC",
    "DEFAULT_MAX_TOKENS",
    "DEVELOPER_ROLE",
    "FIELDS",
    "INVOKE_ROUTE",
    "JOB_DONE",
    "JOB_EXPIRED",
    "JOB_FAILED",
    "JOB_FINAL",
    "JOB_PENDING",
    "JOB_ROUTE",
    "JOB_UNCONFIRMED",
    "MAX_DETAIL_CHARS",
    "MAX_MESSAGES",
    "MAX_NUMBER_DIGITS",
    "MAX_STOP_CHARS",
    "MAX_STOP_SEQUENCES",
    "MESSAGE_FIELDS",
    "METRICS_NAMESPACE",
    "METRIC_UNITS",
    "MODELS_ROUTE",
    "OUTPUT_TOKENS_METRIC",
    "PARAMETERS",
    "ROLES",
    "SETTINGS",
    "STREAM_FAILURES_METRIC",
    "STREAM_ROUTE",
    "STREAM_SECONDS",
    "TIER_DIMENSIONS",
    "TOKENS_PER_MESSAGE",
    "TPOT_METRIC",
    "TTFT_METRIC",
    "UNKNOWN_VERSION",
    "VERSION_DIMENSIONS",
    "BadRequest",
    "ChatOptions",
    "ChatRequest",
    "Chunk",
    "ModelOutputError",
    "RouterConfig",
    "Setting",
    "StreamStop",
    "Tier",
    "decode_json",
    "decode_model_json",
    "estimated_prompt_tokens",
    "fits_context",
    "model_chunks",
    "parse_body",
    "parse_chat_completion",
    "stream_error_said",
    "within_limit",
]
