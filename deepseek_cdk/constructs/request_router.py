"""RequestRouter: an API in front of the tiers that sends each request to the right one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deepseek_cdk.constructs.endpoint_base import invoke_statement
from deepseek_cdk.constructs.nag import (
    acknowledge,
    acknowledge_in_compliance_packs,
    nag_reference,
    skip_checkov,
)
from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.router_api import add_router_api
from deepseek_cdk.constructs.router_props import RoutedTier, RouterOptions
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.runtime.router import contract

# The asset is the runtime folder, so the router is the package `router` in the function.
RUNTIME_CODE = Path(__file__).resolve().parent.parent / "runtime"
STREAM_WRAPPER = "/var/task/router/stream-bootstrap"
NO_DLQ = (
    "API Gateway invokes the function synchronously; a dead-letter queue applies only to "
    "asynchronous invocations"
)
NO_VPC = (
    "the function calls only AWS APIs (SageMaker Runtime, S3, Secrets Manager) with IAM; it "
    "reaches no private "
    "network resource"
)
NO_ROTATION = (
    "the secret only signs async job ids; rotating it would make every id issued before it "
    "unreadable while its result is still kept"
)
NO_RESERVED_CONCURRENCY = (
    "the API stage's throttling bounds concurrency; reserved concurrency is opt-in "
    "(RouterOptions.reserved_concurrency) because accounts with the default limit reject it"
)


class RequestRouter(Construct):
    """API Gateway REST API + two Python Lambda functions that classify and forward requests.

    Routes (request body and answers: deepseek_cdk.runtime.router.contract):
    - `POST /chat/completions`: OpenAI's chat completions, so that any OpenAI client works
      with the stage URL as its base_url: `stream: true` answers with server-sent chunks,
      `stream: false` with one `chat.completion`, both from the stream function (up to 15
      minutes, real-time tiers); `model` names a tier or `auto`.
    - `GET /models`: the tiers chat completions serve, in OpenAI's list shape.
    - `POST /invoke`: a real-time answer in one piece, for answers the tier writes within
      25 s (API Gateway's integration limit is 29 s); an async tier answers 202 + a job id.
    - `POST /stream`: a real-time answer as server-sent events while the model writes it, up
      to 15 minutes (API Gateway response streaming, integration response transfer mode
      STREAM). Lambda's managed Python runtime cannot stream, so this function's exec
      wrapper runs the router's own Lambda Runtime API client instead (runtime.router.
      lambda_runtime); it is the same code package and the same role.
    - `GET /jobs/{id}`: the status and result of an async request.

    Bodies are validated against a JSON schema at the gateway and again in the functions
    (chat completions: a JSON object at the gateway, each field in the function, so that every
    refusal names its field). Every method needs SigV4 (IAM) authorization; with
    `api_key_required`, also an API key, metered by a usage plan. The answers API Gateway
    writes itself (4XX, 5XX, throttling) carry OpenAI's error object beside their `message`
    (three gateway responses). The stage throttles, writes JSON access logs and execution
    errors to KMS-encrypted log groups, and traces with X-Ray. The functions' role may
    invoke only the given endpoints and touch only the given S3 prefixes.

    Measuring: every answer served is written to the functions' logs as CloudWatch Embedded
    Metric Format lines (runtime.router.metrics) in the contract's namespace, with the
    dimensions `deployment` (this prop), the tier, and the version (by each tier's
    `versions`): TTFT, TPOT, output tokens and failures of streams, latency of buffered
    answers, completion time of async jobs. RouterMonitoring alarms on them.

    Choosing a tier: the `tier` field, then the X-Request-Type header, then `rules` in order
    (dicts with `tier` and any of max_tokens_at_least, prompt_chars_at_least,
    prompt_matches), then `default_tier`. Then the prompt (estimated at 4 characters per
    token) plus max_tokens must fit the tier's context, and max_tokens the route's limit.

    Cost: API Gateway per request (streamed responses per 10 MB), Lambda per request and
    duration (about 0.1 s plus the model's time for real-time tiers: a streamed answer keeps
    its function running while it streams), CloudWatch Logs ingestion; nothing while idle.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tiers: Sequence[RoutedTier],
        default_tier: str,
        kms_key: kms.IKey,
        deployment: str,
        rules: Sequence[Mapping[str, Any]] = (),
        options: RouterOptions | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        opts = options or RouterOptions()
        names = [t.name for t in tiers]
        require(bool(tiers), "tiers", "give at least one tier")
        require(len(set(names)) == len(names), "tiers", f"tier names must be unique (got {names})")
        require(default_tier in names, "default_tier", f"must be one of {names} (got {default_tier!r})")
        require(
            1 <= len(deployment) <= 255,
            "deployment",
            f"the deployment's name, 1-255 characters, a dimension of its metrics (got {deployment!r})",
        )
        for tier in tiers:
            require(tier.context_tokens >= 2, "tiers", f"{tier.name!r}: context_tokens must be >= 2")
            require(
                tier.kind.queued
                or (
                    1 <= tier.buffered_max_tokens < tier.context_tokens
                    and 1 <= tier.stream_max_tokens < tier.context_tokens
                ),
                "tiers",
                f"{tier.name!r}: a real-time tier needs buffered_max_tokens and stream_max_tokens, "
                f"each 1-{tier.context_tokens - 1} (below context_tokens)",
            )
            require(
                not tier.kind.queued or None not in (tier.requests, tier.responses, tier.failures),
                "tiers",
                f"{tier.name!r}: an {EndpointKind.ASYNC} tier needs requests, responses and failures "
                "prefixes",
            )
            require(
                not tier.kind.per_component or bool(tier.components),
                "tiers",
                f"{tier.name!r}: an {EndpointKind.INFERENCE_COMPONENTS} tier needs its components",
            )
        for i, rule in enumerate(rules):
            require(
                rule.get("tier") in names,
                f"rules[{i}].tier",
                f"must be one of {names} (got {rule.get('tier')!r})",
            )
        require(1024 <= opts.max_body_bytes <= 6 * 1024 * 1024, "max_body_bytes", "must be 1 KiB-6 MiB")

        self.role = self._role(tiers, kms_key)
        self.job_key = self._job_key(kms_key) if any(t.kind.queued for t in tiers) else None
        config = cdk.Stack.of(self).to_json_string(
            contract.RouterConfig(
                default_tier=default_tier,
                tiers={t.name: t.config() for t in tiers},
                rules=tuple(dict(r) for r in rules),
                max_body_bytes=opts.max_body_bytes,
                time_budget_seconds=contract.BUFFERED_SECONDS,
                job_key_secret=self.job_key.secret_arn if self.job_key else "",
                deployment=deployment,
            ).to_json()
        )
        self.function = self._function(
            "Function",
            kms_key=kms_key,
            opts=opts,
            handler="router.handler.handler",
            timeout=cdk.Duration.seconds(29),  # API Gateway's buffered integration limit
            environment={"ROUTER_CONFIG": config},
            description="deepseek-cdk request router",
        )
        self.stream_function = self._function(
            "StreamFunction",
            kms_key=kms_key,
            opts=opts,
            handler="router.streaming.lambda_handler",  # never called: the wrapper runs instead
            timeout=cdk.Duration.seconds(contract.STREAM_SECONDS),
            environment={"ROUTER_CONFIG": config, "AWS_LAMBDA_EXEC_WRAPPER": STREAM_WRAPPER},
            description="deepseek-cdk request router, streamed answers",
        )
        self.api = add_router_api(
            self, function=self.function, stream_function=self.stream_function, opts=opts, kms_key=kms_key
        )
        self._acknowledge(opts)

    def _function(
        self,
        construct_id: str,
        *,
        kms_key: kms.IKey,
        opts: RouterOptions,
        handler: str,
        timeout: cdk.Duration,
        environment: dict[str, str],
        description: str,
    ) -> lambda_.Function:
        """A router function on the shared code, role and settings, with its own log group."""
        log_group = logs.LogGroup(
            self, f"{construct_id}Logs", encryption_key=kms_key, retention=opts.log_retention
        )
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        function = lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler=handler,
            code=lambda_.Code.from_asset(str(RUNTIME_CODE), exclude=["__pycache__", "*.pyc"]),
            # Its managed policy already grants all it needs (X-Ray included). Imported, the role
            # takes no inline policy from CDK; the ARN still orders the function after it.
            role=iam.Role.from_role_arn(self, f"{construct_id}Role", self.role.role_arn, mutable=False),
            environment_encryption=kms_key,
            timeout=timeout,
            memory_size=256,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            reserved_concurrent_executions=opts.reserved_concurrency,
            environment=environment,
            description=description,
        )
        return function

    def _role(self, tiers: Sequence[RoutedTier], kms_key: kms.IKey) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="deepseek-cdk request router: invoke this deployment's endpoints only",
        )
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[role], description="What the router may do")
        for tier in tiers:
            self.policy.add_statements(
                invoke_statement(
                    tier.endpoint_name,
                    queued=tier.kind.queued,
                    components=[name for name, _ in tier.components],
                )
            )
        queued = [tier for tier in tiers if tier.kind.queued]
        for tier in queued:
            assert tier.requests and tier.responses and tier.failures
            self._objects(tier.requests, ["s3:PutObject"], "stores async requests under")
            self._objects(tier.responses, ["s3:GetObject"], "reads async results under")
            self._objects(tier.failures, ["s3:GetObject"], "reads async errors under")
            # Without ListBucket, S3 answers 403 rather than 404 for a result not written yet.
            self.policy.add_statements(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[tier.responses.bucket_arn],
                    conditions={
                        "StringLike": {"s3:prefix": [tier.responses.prefix + "*", tier.failures.prefix + "*"]}
                    },
                )
            )
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="UseDeploymentKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[kms_key.key_arn],
            ),
            iam.PolicyStatement(
                sid="Tracing", actions=["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources=["*"]
            ),
        )
        return role

    def _job_key(self, kms_key: kms.IKey) -> secretsmanager.Secret:
        """A random 64-character secret, readable by the router alone, that signs the job ids
        of async requests (HMAC-SHA256): an id cannot be forged or altered to read another
        object. Replacing it makes the ids issued before unreadable, so it is not rotated."""
        secret = secretsmanager.Secret(
            self,
            "JobIdKey",
            description="deepseek-cdk request router: signs async job ids",
            encryption_key=kms_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        self.policy.add_statements(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn])
        )
        acknowledge(secret, "AwsSolutions-SMG4", NO_ROTATION)
        acknowledge_in_compliance_packs(secret, "SecretsManagerRotationEnabled", NO_ROTATION)
        cfn = secret.node.default_child
        assert isinstance(cfn, secretsmanager.CfnSecret)
        skip_checkov(cfn, "CKV2_AWS_57", NO_ROTATION)
        return secret

    def _objects(self, prefix: S3Prefix, actions: list[str], use: str) -> None:
        self.policy.add_statements(iam.PolicyStatement(actions=actions, resources=[prefix.objects_arn]))
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{nag_reference(self, prefix.objects_arn)}]",
            f"the router {use} this one prefix, not the whole bucket",
        )

    def _acknowledge(self, opts: RouterOptions) -> None:
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource ARN",
        )
        for function in (self.function, self.stream_function):
            acknowledge_in_compliance_packs(function, "LambdaDLQ", NO_DLQ)
            acknowledge_in_compliance_packs(function, "LambdaInsideVPC", NO_VPC)
            if opts.reserved_concurrency is None:
                acknowledge_in_compliance_packs(function, "LambdaConcurrency", NO_RESERVED_CONCURRENCY)
        for function in (self.function, self.stream_function):
            cfn = function.node.default_child
            assert isinstance(cfn, lambda_.CfnFunction)
            skip_checkov(cfn, "CKV_AWS_116", NO_DLQ)
            skip_checkov(cfn, "CKV_AWS_117", NO_VPC)
            if opts.reserved_concurrency is None:
                skip_checkov(cfn, "CKV_AWS_115", NO_RESERVED_CONCURRENCY)
