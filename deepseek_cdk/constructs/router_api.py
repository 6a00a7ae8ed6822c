"""The RequestRouter's API Gateway side: the request schemas its routes validate, the answers
the gateway writes itself (in OpenAI's error shape), and the REST API with its stage, routes,
validators and usage plan. The functions behind it are the router's (request_router.py)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from deepseek_cdk.constructs.nag import acknowledge, acknowledge_in_compliance_packs, skip_checkov
from deepseek_cdk.constructs.router_props import RouterOptions
from deepseek_cdk.runtime.router import contract

_STRING = apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1)


def _setting_schema(setting: contract.Setting) -> apigw.JsonSchema:
    return apigw.JsonSchema(
        type=apigw.JsonSchemaType.INTEGER if setting.integer else apigw.JsonSchemaType.NUMBER,
        minimum=setting.low,
        exclusive_minimum=setting.low_exclusive or None,
        maximum=setting.high,
    )


_STOP = apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1, max_length=contract.MAX_STOP_CHARS)
REQUEST_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    type=apigw.JsonSchemaType.OBJECT,
    additional_properties=False,
    one_of=[apigw.JsonSchema(required=["prompt"]), apigw.JsonSchema(required=["messages"])],
    properties={
        "prompt": _STRING,
        "messages": apigw.JsonSchema(
            type=apigw.JsonSchemaType.ARRAY,
            min_items=1,
            max_items=contract.MAX_MESSAGES,
            items=apigw.JsonSchema(
                type=apigw.JsonSchemaType.OBJECT,
                required=["role", "content"],
                additional_properties=False,
                properties={"role": apigw.JsonSchema(enum=list(contract.ROLES)), "content": _STRING},
            ),
        ),
        "max_tokens": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=1),
        "tier": _STRING,
        "parameters": apigw.JsonSchema(
            type=apigw.JsonSchemaType.OBJECT,
            additional_properties=False,
            properties={
                **{setting.name: _setting_schema(setting) for setting in contract.SETTINGS},
                "stop": apigw.JsonSchema(
                    one_of=[
                        _STOP,
                        apigw.JsonSchema(
                            type=apigw.JsonSchemaType.ARRAY,
                            items=_STOP,
                            min_items=1,
                            max_items=contract.MAX_STOP_SEQUENCES,
                        ),
                    ]
                ),
            },
        ),
    },
)
# POST /chat/completions: the gateway checks only that the body is a JSON object. Each field is
# checked by the function (contract.parse_chat_completion), whose refusals name it in OpenAI's
# `param`; a gateway refusal can name no field (a gateway response template substitutes
# variables only, and validationErrorString would break its JSON).
CHAT_REQUEST_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4, title="ChatCompletionRequest", type=apigw.JsonSchemaType.OBJECT
)


def gateway_error(kind: str) -> str:
    """The body of an answer API Gateway writes itself (denied signature, throttling, a body
    that is not a JSON object): OpenAI's error object, so that OpenAI clients parse it, and the
    gateway's own `message` beside it, as it was before. `$context.error.messageString` is
    already a quoted JSON string (API Gateway developer guide, gateway response templates)."""
    return (
        '{"message":$context.error.messageString,"error":{"message":$context.error.messageString,'
        f'"type":"{kind}","param":null,"code":"$context.error.responseType"}}}}'
    )


# (construct id, the gateway's answer, OpenAI's error type for it)
GATEWAY_ERRORS = (
    ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, "invalid_request_error"),
    ("Throttled", apigw.ResponseType.THROTTLED, "rate_limit_error"),
    ("Default5xx", apigw.ResponseType.DEFAULT_5_XX, "server_error"),
)
NO_CACHE = "no cache: every generation is unique, and a cache would store prompts and answers"


def add_router_api(
    scope: Construct,
    *,
    function: lambda_.IFunction,
    stream_function: lambda_.IFunction,
    opts: RouterOptions,
    kms_key: kms.IKey,
) -> apigw.RestApi:
    """The router's REST API, made on `scope` (the RequestRouter, so that every construct id
    is the router's own): the stage with its access logs and throttling, IAM on every method,
    the routes with their request validation, the gateway's own answers in OpenAI's error
    shape, and with `api_key_required` a usage plan and a key."""
    access_logs = logs.LogGroup(scope, "AccessLogs", encryption_key=kms_key, retention=opts.log_retention)
    api = apigw.RestApi(
        scope,
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
    integration = apigw.LambdaIntegration(function)
    streamed = apigw.LambdaIntegration(
        stream_function,
        response_transfer_mode=apigw.ResponseTransferMode.STREAM,
        timeout=cdk.Duration.seconds(contract.STREAM_SECONDS),  # up to 15 min when streaming
    )
    body_validator = apigw.RequestValidator(
        scope, "BodyValidator", rest_api=api, validate_request_body=True, validate_request_parameters=True
    )
    params_validator = apigw.RequestValidator(
        scope, "ParamsValidator", rest_api=api, validate_request_parameters=True
    )
    model = api.add_model(
        "InvokeRequest",
        content_type="application/json",
        model_name="InvokeRequest",
        schema=REQUEST_SCHEMA,
    )
    chat_model = api.add_model(
        "ChatCompletionRequest",
        content_type="application/json",
        model_name="ChatCompletionRequest",
        schema=CHAT_REQUEST_SCHEMA,
    )
    for route, target, schema in (
        (contract.INVOKE_ROUTE, integration, model),
        (contract.STREAM_ROUTE, streamed, model),
        (contract.CHAT_ROUTE, streamed, chat_model),
    ):
        api.root.resource_for_path(route).add_method(
            "POST",
            target,
            request_validator=body_validator,
            request_models={"application/json": schema},
            request_parameters={"method.request.header.X-Request-Type": False},
        )
    api.root.resource_for_path(contract.MODELS_ROUTE).add_method("GET", integration)
    for response_id, response_type, kind in GATEWAY_ERRORS:
        api.add_gateway_response(
            response_id,
            type=response_type,
            templates={"application/json": gateway_error(kind)},
        )
    api.root.resource_for_path(contract.JOB_ROUTE).add_method(
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
    _acknowledge(api)
    return api


def _acknowledge(api: apigw.RestApi) -> None:
    """What cdk-nag and checkov flag on the API, each with its reason."""
    acknowledge(
        api,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]",
        "the AWS-managed policy API Gateway's account-level log role needs to write execution logs",
    )
    acknowledge(
        api,
        "AwsSolutions-APIG3",
        "requests need SigV4 (IAM) signatures; attach a WAF web "
        "ACL to the stage if the API is exposed beyond your organisation",
    )
    acknowledge(api, "AwsSolutions-COG4", "authorization is IAM (SigV4), not a Cognito user pool")
    acknowledge_in_compliance_packs(api, "APIGWCacheEnabledAndEncrypted", NO_CACHE)
    acknowledge_in_compliance_packs(
        api,
        "APIGWSSLEnabled",
        "the backend is a Lambda function, not an HTTP endpoint that checks a client certificate",
    )
    acknowledge_in_compliance_packs(
        api,
        "APIGWAssociatedWithWAF",
        "requests need SigV4 (IAM) signatures; attach a WAF web ACL if the API is exposed widely",
    )
    stage = api.deployment_stage.node.default_child
    assert isinstance(stage, apigw.CfnStage)
    skip_checkov(stage, "CKV_AWS_120", NO_CACHE)
