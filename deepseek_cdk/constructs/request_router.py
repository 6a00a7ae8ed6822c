"""RequestRouter: an API in front of the tiers that sends each request to the right one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from deepseek_cdk.constructs.common import acknowledge, nag_reference, require, skip_checkov
from deepseek_cdk.constructs.execution_role import S3Prefix

ROUTER_CODE = Path(__file__).resolve().parent.parent / "runtime" / "router"
KINDS = ("realtime", "inference-components", "async")
INVOKE_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    type=apigw.JsonSchemaType.OBJECT,
    required=["prompt"],
    additional_properties=False,
    properties={
        "prompt": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1),
        "max_tokens": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=1),
        "tier": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1),
        "parameters": apigw.JsonSchema(type=apigw.JsonSchemaType.OBJECT),
    },
)
PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
NO_CACHE = "no cache: every generation is unique, and a cache would store prompts and answers"
NO_DLQ = (
    "API Gateway invokes the function synchronously; a dead-letter queue applies only to "
    "asynchronous invocations"
)
NO_VPC = (
    "the function calls only AWS APIs (SageMaker Runtime, S3) with IAM; it reaches no private "
    "network resource"
)
NO_RESERVED_CONCURRENCY = (
    "the API stage's throttling bounds concurrency; reserved concurrency is opt-in "
    "(RouterOptions.reserved_concurrency) because accounts with the default limit reject it"
)


@dataclass(frozen=True)
class RoutedTier:
    """A tier as the router sees it: where to send requests and how much output it allows."""

    name: str
    kind: str  # realtime | inference-components | async
    endpoint_name: str
    max_tokens: int
    components: tuple[tuple[str, float], ...] = ()  # inference components and their weights
    requests: S3Prefix | None = None  # async only
    responses: S3Prefix | None = None
    failures: S3Prefix | None = None


@dataclass(frozen=True)
class Throttling:
    rate_limit: float = 20  # requests per second, steady
    burst_limit: int = 40


@dataclass(frozen=True)
class RouterOptions:
    api_key_required: bool = False  # on top of IAM: an API key and a usage plan
    throttling: Throttling = field(default_factory=Throttling)
    reserved_concurrency: int | None = None
    max_body_bytes: int = 256 * 1024
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR


class RequestRouter(Construct):
    """API Gateway REST API + a Python Lambda that classifies and forwards each request.

    Routes: `POST /invoke` (JSON body validated against a schema at the gateway and again in
    the function) and `GET /jobs/{id}` for async results. Every method needs SigV4 (IAM)
    authorization; with `api_key_required`, also an API key, metered by a usage plan. The
    stage throttles, writes JSON access logs and execution errors to KMS-encrypted log
    groups, and traces with X-Ray. The function's role may invoke only the given endpoints
    and touch only the given S3 prefixes.

    Choosing a tier: the `tier` field, then the X-Request-Type header, then `rules` in order
    (dicts with `tier` and any of max_tokens_at_least, prompt_chars_at_least,
    prompt_matches), then `default_tier`. InvokeEndpoint waits at most 60 s and API Gateway
    29 s: long generations belong on an async tier.

    Cost: API Gateway per request, Lambda per request and duration (about 0.1 s plus the
    model's time for real-time tiers), CloudWatch Logs ingestion; nothing while idle.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tiers: Sequence[RoutedTier],
        default_tier: str,
        kms_key: kms.IKey,
        rules: Sequence[Mapping[str, Any]] = (),
        options: RouterOptions | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        opts = options or RouterOptions()
        names = [t.name for t in tiers]
        require(bool(tiers), "tiers", "give at least one tier")
        require(len(set(names)) == len(names), "tiers", f"tier names must be unique (got {names})")
        require(default_tier in names, "default_tier", f"must be one of {names} (got {default_tier!r})")
        for t in tiers:
            require(t.kind in KINDS, "tiers", f"{t.name!r}: kind must be one of {KINDS} (got {t.kind!r})")
            require(t.max_tokens >= 1, "tiers", f"{t.name!r}: max_tokens must be >= 1")
            require(
                t.kind != "async" or None not in (t.requests, t.responses, t.failures),
                "tiers",
                f"{t.name!r}: an async tier needs requests, responses and failures prefixes",
            )
            require(
                t.kind != "inference-components" or bool(t.components),
                "tiers",
                f"{t.name!r}: an inference-components tier needs its components",
            )
        for i, rule in enumerate(rules):
            require(
                rule.get("tier") in names,
                f"rules[{i}].tier",
                f"must be one of {names} (got {rule.get('tier')!r})",
            )
        require(1024 <= opts.max_body_bytes <= 6 * 1024 * 1024, "max_body_bytes", "must be 1 KiB-6 MiB")

        self.log_group = logs.LogGroup(
            self, "FunctionLogs", encryption_key=kms_key, retention=opts.log_retention
        )
        self.role = self._role(tiers, kms_key)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(ROUTER_CODE), exclude=["__pycache__", "*.pyc"]),
            # Its managed policy already grants all it needs (X-Ray included). Imported, the role
            # takes no inline policy from CDK; the ARN still orders the function after it.
            role=iam.Role.from_role_arn(self, "FunctionRole", self.role.role_arn, mutable=False),
            environment_encryption=kms_key,
            timeout=cdk.Duration.seconds(29),  # API Gateway's integration limit
            memory_size=256,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            reserved_concurrent_executions=opts.reserved_concurrency,
            environment={
                "ROUTER_CONFIG": cdk.Stack.of(self).to_json_string(
                    {
                        "default_tier": default_tier,
                        "tiers": {t.name: _tier_config(t) for t in tiers},
                        "rules": [dict(r) for r in rules],
                        "max_body_bytes": opts.max_body_bytes,
                        "time_budget_seconds": 25,
                    }
                )
            },
            description="deepseek-cdk request router",
        )
        self.api = self._api(opts, kms_key)
        self._acknowledge(opts)

    def _role(self, tiers: Sequence[RoutedTier], kms_key: kms.IKey) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="deepseek-cdk request router: invoke this deployment's endpoints only",
        )
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[role], description="What the router may do")
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        arn = f"arn:{cdk.Aws.PARTITION}:sagemaker:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
        realtime = [t for t in tiers if t.kind != "async"]
        queued = [t for t in tiers if t.kind == "async"]
        if realtime:
            self.policy.add_statements(
                iam.PolicyStatement(
                    sid="InvokeRealtimeTiers",
                    actions=["sagemaker:InvokeEndpoint"],
                    resources=[f"{arn}:endpoint/{t.endpoint_name}" for t in realtime]
                    + [f"{arn}:inference-component/{name}" for t in realtime for name, _ in t.components],
                )
            )
        if queued:
            self.policy.add_statements(
                iam.PolicyStatement(
                    sid="InvokeAsyncTiers",
                    actions=["sagemaker:InvokeEndpointAsync"],
                    resources=[f"{arn}:endpoint/{t.endpoint_name}" for t in queued],
                )
            )
        for t in queued:
            assert t.requests and t.responses and t.failures
            self._objects(t.requests, ["s3:PutObject"], "stores async requests under")
            self._objects(t.responses, ["s3:GetObject"], "reads async results under")
            self._objects(t.failures, ["s3:GetObject"], "reads async errors under")
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

    def _objects(self, prefix: S3Prefix, actions: list[str], use: str) -> None:
        self.policy.add_statements(iam.PolicyStatement(actions=actions, resources=[prefix.objects_arn]))
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{nag_reference(self, prefix.objects_arn)}]",
            f"the router {use} this one prefix, not the whole bucket",
        )

    def _api(self, opts: RouterOptions, kms_key: kms.IKey) -> apigw.RestApi:
        access_logs = logs.LogGroup(self, "AccessLogs", encryption_key=kms_key, retention=opts.log_retention)
        api = apigw.RestApi(
            self,
            "Api",
            description="deepseek-cdk request router",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,  # execution logging needs the account's API Gateway log role
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # would log prompts and answers
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=opts.throttling.rate_limit,
                throttling_burst_limit=opts.throttling.burst_limit,
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM, api_key_required=opts.api_key_required
            ),
        )
        integration = apigw.LambdaIntegration(self.function)
        body_validator = apigw.RequestValidator(
            self, "BodyValidator", rest_api=api, validate_request_body=True, validate_request_parameters=True
        )
        params_validator = apigw.RequestValidator(
            self, "ParamsValidator", rest_api=api, validate_request_parameters=True
        )
        model = api.add_model(
            "InvokeRequest", content_type="application/json", model_name="InvokeRequest", schema=INVOKE_SCHEMA
        )
        api.root.add_resource("invoke").add_method(
            "POST",
            integration,
            request_validator=body_validator,
            request_models={"application/json": model},
            request_parameters={"method.request.header.X-Request-Type": False},
        )
        api.root.add_resource("jobs").add_resource("{id}").add_method(
            "GET",
            integration,
            request_validator=params_validator,
            request_parameters={"method.request.path.id": True},
        )
        if opts.api_key_required:
            plan = api.add_usage_plan(
                "UsagePlan",
                throttle=apigw.ThrottleSettings(
                    rate_limit=opts.throttling.rate_limit, burst_limit=opts.throttling.burst_limit
                ),
            )
            plan.add_api_stage(stage=api.deployment_stage)
            plan.add_api_key(api.add_api_key("ApiKey"))
        return api

    def _acknowledge(self, opts: RouterOptions) -> None:
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource ARN",
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "the AWS-managed policy API Gateway's account-level log role needs to write execution logs",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "requests need SigV4 (IAM) signatures; attach a WAF web "
            "ACL to the stage if the API is exposed beyond your organisation",
        )
        acknowledge(self.api, "AwsSolutions-COG4", "authorization is IAM (SigV4), not a Cognito user pool")
        for pack in PACKS:
            acknowledge(self.api, f"{pack}-APIGWCacheEnabledAndEncrypted", NO_CACHE)
            acknowledge(
                self.api,
                f"{pack}-APIGWSSLEnabled",
                "the backend is a Lambda function, not an HTTP endpoint that checks a client certificate",
            )
            acknowledge(
                self.api,
                f"{pack}-APIGWAssociatedWithWAF",
                "requests need SigV4 (IAM) signatures; attach a WAF web ACL if the API is exposed widely",
            )
            acknowledge(self.function, f"{pack}-LambdaDLQ", NO_DLQ)
            acknowledge(self.function, f"{pack}-LambdaInsideVPC", NO_VPC)
            if opts.reserved_concurrency is None:
                acknowledge(self.function, f"{pack}-LambdaConcurrency", NO_RESERVED_CONCURRENCY)
        function = self.function.node.default_child
        assert isinstance(function, lambda_.CfnFunction)
        skip_checkov(function, "CKV_AWS_116", NO_DLQ)
        skip_checkov(function, "CKV_AWS_117", NO_VPC)
        if opts.reserved_concurrency is None:
            skip_checkov(function, "CKV_AWS_115", NO_RESERVED_CONCURRENCY)
        stage = self.api.deployment_stage.node.default_child
        assert isinstance(stage, apigw.CfnStage)
        skip_checkov(stage, "CKV_AWS_120", NO_CACHE)


def _tier_config(t: RoutedTier) -> dict[str, Any]:
    config: dict[str, Any] = {"kind": t.kind, "endpoint": t.endpoint_name, "max_tokens": t.max_tokens}
    if t.components:
        config["components"] = [[name, weight] for name, weight in t.components]
    if t.kind == "async":
        assert t.requests and t.responses and t.failures
        config |= {
            "bucket": t.requests.bucket_name,
            "requests_prefix": t.requests.prefix,
            "responses_prefix": t.responses.prefix,
            "failures_prefix": t.failures.prefix,
        }
    return config
