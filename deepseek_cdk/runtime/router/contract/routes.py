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


# What an async job may take, as InvokeEndpointAsync is sent it (SageMaker Runtime API reference,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpointAsync.html,
# and botocore's sagemaker-runtime model): RequestTTLSeconds, "maximum age in seconds a request
# can be in the queue before it is marked as expired" (60-21,600; default 21,600), then
# InvocationTimeoutSeconds, how long it may run (1-3,600; default 900). Both at their maximum:
# a queue that scales from zero, and a 32K-token reasoning run that can take 20+ minutes.
ASYNC_REQUEST_TTL_S = 21_600
ASYNC_INVOCATION_TIMEOUT_S = 3600
# Past this age (from submission) a job with neither result nor failure never gets one: the
# queue's limit, the run's, and a margin for writing the result to S3.
ASYNC_JOB_LIFETIME_S = ASYNC_REQUEST_TTL_S + ASYNC_INVOCATION_TIMEOUT_S + 900


# The `status` of GET /jobs/{id} (each answered with HTTP 200): pending (queued or running),
# unconfirmed (SageMaker did not answer the submission: it may be queued, or not), done (with
# `result`), failed (with `error`: the failure SageMaker wrote) and expired (with `error`:
# neither result nor failure after ASYNC_JOB_LIFETIME_S; the request expired in the queue, was
# never queued, or its objects were deleted by the bucket's retention). The last three are
# final. POST /invoke answers an async request 202 with pending or unconfirmed.
JOB_PENDING = "pending"
JOB_UNCONFIRMED = "unconfirmed"
JOB_DONE = "done"
JOB_FAILED = "failed"
JOB_EXPIRED = "expired"
JOB_FINAL = (JOB_DONE, JOB_FAILED, JOB_EXPIRED)


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
