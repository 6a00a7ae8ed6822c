"""The router's routes, its time limits, and the names and units of the metrics it publishes
(CloudWatch Embedded Metric Format): what the construct, the handlers and the alarms all spell
the same way.
"""

from __future__ import annotations

INVOKE_ROUTE = "/invoke"  # answers in one piece (real-time tiers), or 202 + job id (async)


STREAM_ROUTE = "/stream"  # server-sent events as the model writes them (real-time tiers)


JOB_ROUTE = "/jobs/{id}"


# OpenAI's API, for any OpenAI client given the stage URL as its base_url (real-time tiers):
CHAT_ROUTE = "/chat/completions"  # streamed (stream: true) or one JSON completion, up to 15 min


MODELS_ROUTE = "/models"  # the tiers, in OpenAI's list shape


AUTO_MODEL = "auto"  # `model` for the router's own choice (header, rules, default tier)


# API Gateway ends a buffered integration at 29 s; the router answers by 25 s itself.
BUFFERED_SECONDS = 25


# API Gateway's longest streamed response (response transfer mode STREAM): 15 minutes.
STREAM_SECONDS = 900


# What the router measures of every request it serves, written as CloudWatch Embedded Metric
# Format lines to its log (CloudWatch Logs turns them into metrics: no PutMetricData call on
# the request path). Each value is published twice: per tier, and per tier and version (the
# version whose variant or component SageMaker reports as invoked). The alarms and the
# dashboard read these names; a test holds the two to the same spelling.
METRICS_NAMESPACE = "DeepSeekCdk/Router"


TIER_DIMENSIONS = ("Deployment", "Tier")


VERSION_DIMENSIONS = ("Deployment", "Tier", "Version")


TTFT_METRIC = "TimeToFirstToken"  # Milliseconds, streams: request received to first token sent


TPOT_METRIC = "TimePerOutputToken"  # Milliseconds, streams: (last - first token) / (tokens - 1)


ANSWER_LATENCY_METRIC = "AnswerLatency"  # Milliseconds, buffered answers (POST /invoke)


OUTPUT_TOKENS_METRIC = "OutputTokens"  # Count, streamed and buffered answers


COMPLETION_METRIC = "JobCompletionTime"  # Milliseconds, async: accepted to result written


STREAM_FAILURES_METRIC = "StreamFailures"  # Count, streams that ended with an error event


# The CloudWatch unit each is written with (a MetricDatum unit name).
METRIC_UNITS = {
    TTFT_METRIC: "Milliseconds",
    TPOT_METRIC: "Milliseconds",
    ANSWER_LATENCY_METRIC: "Milliseconds",
    OUTPUT_TOKENS_METRIC: "Count",
    COMPLETION_METRIC: "Milliseconds",
    STREAM_FAILURES_METRIC: "Count",
}


MAX_DETAIL_CHARS = 500  # characters of a model's own error text passed on or logged
