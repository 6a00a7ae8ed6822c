"""AsyncEndpoint: a SageMaker asynchronous endpoint, a queue in front of the model."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from deepseek_cdk.constructs.endpoint_base import (
    SageMakerEndpoint,
    acknowledge_nvme_storage,
    production_variant,
    storage_key,
)
from deepseek_cdk.constructs.endpoint_props import Hosting, Variant, validate_endpoint_name, validate_variants
from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.s3_prefix import S3Prefix
from deepseek_cdk.constructs.scaling import (
    DEFAULT_COLD_START,
    DEFAULT_SCALE_IN_COOLDOWN,
    DEFAULT_SCALE_OUT_COOLDOWN,
    CapacityScaling,
)
from deepseek_cdk.kinds import EndpointKind

MAX_CONCURRENT_INVOCATIONS = 1000  # AsyncInferenceClientConfig upper bound


class AsyncEndpoint(SageMakerEndpoint):
    """An asynchronous endpoint: requests wait in SageMaker's queue, results land in S3.

    Creates an EndpointConfig with AsyncInferenceConfig (results under `output`, errors
    under `failure`, both encrypted with `kms_key`; at most `max_concurrent_invocations`
    requests in flight per instance), two SNS topics for success and error notifications
    (KMS-encrypted, TLS-only), and the Endpoint. One variant. The models' role must be
    allowed to read the request prefix, write `output` and `failure`, and publish to the
    topics (`ModelExecutionRole.allow_*`).

    Who reads the topics: SageMaker publishes one message per finished request to
    `success_topic` and one per failed request to `error_topic` (its inference id and the
    S3 location of the result or the error). `failure_email` (default None) subscribes an
    address to `error_topic`: one e-mail per failed request, with what to look at. Nothing
    subscribes `success_topic`: a mail per answer would bury the failures; subscribe a queue
    or a function to it to be told of finished jobs instead of polling S3.

    Scaling (`scale_on_backlog`): target tracking on ApproximateBacklogSizePerInstance and,
    because that metric says nothing at zero instances, a step policy on the
    HasBacklogWithoutCapacity alarm to scale out from zero. Requests that arrive at zero
    wait in the queue (up to the request TTL, 6 h by default) while an instance starts.

    Cost: instances bill per second while they exist; at min 0 an idle endpoint costs
    nothing but S3 and SNS requests.
    """

    kind = EndpointKind.ASYNC

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_name: str,
        hosting: Hosting,
        output: S3Prefix,
        failure: S3Prefix,
        kms_key: kms.IKey,
        max_concurrent_invocations: int,
        variant_name: str = "v1",
        endpoint_name: str | None = None,
        failure_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validate_variants([Variant(variant_name, model_name)], most=1)
        require(
            failure_email is None or "@" in failure_email,
            "failure_email",
            f"must be an e-mail address (got {failure_email!r})",
        )
        validate_endpoint_name(endpoint_name)
        require(
            1 <= max_concurrent_invocations <= MAX_CONCURRENT_INVOCATIONS,
            "max_concurrent_invocations",
            f"must be 1-{MAX_CONCURRENT_INVOCATIONS} (got {max_concurrent_invocations})",
        )
        hosting = hosting.validated()

        self.variant_names = [variant_name]
        self.output = output
        self.failure = failure
        self.success_topic = sns.Topic(self, "Success", master_key=kms_key, enforce_ssl=True)
        self.error_topic = sns.Topic(self, "Error", master_key=kms_key, enforce_ssl=True)
        if failure_email:
            self.error_topic.add_subscription(subscriptions.EmailSubscription(failure_email))
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                production_variant(hosting, name=variant_name, model_name=model_name, routing=False)
            ],
            kms_key_id=storage_key(hosting, kms_key),
            async_inference_config=sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
                output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                    s3_output_path=output.uri,
                    s3_failure_path=failure.uri,
                    kms_key_id=kms_key.key_arn,
                    notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                        success_topic=self.success_topic.topic_arn,
                        error_topic=self.error_topic.topic_arn,
                    ),
                ),
                client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=max_concurrent_invocations
                ),
            ),
        )
        acknowledge_nvme_storage(self.endpoint_config, hosting)
        self._create_endpoint(endpoint_name)

    def scale_on_backlog(
        self,
        *,
        min_capacity: int,
        max_capacity: int,
        backlog_per_instance: float,
        scale_out_cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
        scale_in_cooldown: cdk.Duration = DEFAULT_SCALE_IN_COOLDOWN,
        cold_start: cdk.Duration = DEFAULT_COLD_START,
        from_zero: bool | None = None,
    ) -> CapacityScaling:
        """Track the queue per instance, and scale out from zero when requests wait
        (`from_zero`: when min_capacity is 0 unless told; say True when a schedule takes the
        endpoint to 0).

        From zero: AWS's documented step policy (+1 instance while HasBacklogWithoutCapacity
        is 1 for two minutes) with its cooldown set to `cold_start`. A step policy runs again
        every minute its alarm stays in ALARM, and the alarm stays there until the instance
        is in service; within the cooldown the added instance counts as capacity, so no
        second one is added for the same wait. Give the longest start-up the endpoint allows
        (provisioning + download + start-up health check)."""
        scaling = self.auto_scale_instance_count(min_capacity=min_capacity, max_capacity=max_capacity)
        scaling.scale_to_track_metric(
            "Backlog",
            self.metric_backlog_per_instance(),
            backlog_per_instance,
            scale_out_cooldown=scale_out_cooldown,
            scale_in_cooldown=scale_in_cooldown,
        )
        reaches_zero = min_capacity == 0 if from_zero is None else from_zero
        if reaches_zero:
            # AWS's documented scale-from-zero alarm: 1 for two minutes in a row.
            waiting = self.metric_has_backlog_without_capacity().create_alarm(
                self,
                "BacklogWithoutCapacity",
                threshold=1,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Requests are waiting and no instance is running: start one",
            )
            scaling.scale_on_alarm("ScaleOutFromZero", waiting, adjustment=1, cooldown=cold_start)
        return scaling

    def _endpoint_metric(self, name: str, statistic: str = "Average") -> cloudwatch.Metric:
        return self.metric(name, statistic=statistic, per_variant=False)

    def metric_backlog(self) -> cloudwatch.Metric:
        """Requests waiting in the queue."""
        return self._endpoint_metric("ApproximateBacklogSize")

    def metric_backlog_per_instance(self) -> cloudwatch.Metric:
        return self._endpoint_metric("ApproximateBacklogSizePerInstance")

    def metric_has_backlog_without_capacity(self) -> cloudwatch.Metric:
        """1 while requests wait and no instance runs."""
        return self._endpoint_metric("HasBacklogWithoutCapacity")

    def metric_age_of_oldest_request(self) -> cloudwatch.Metric:
        """Seconds the oldest queued request has waited."""
        return self._endpoint_metric("ApproximateAgeOfOldestRequest", statistic="Maximum")

    def metric_invocation_failures(self) -> cloudwatch.Metric:
        return self.metric("InvocationFailures", statistic="Sum")
