"""What every SageMaker endpoint kind shares: variants on an instance type, storage
encryption, the Endpoint resource, CloudWatch metrics and instance scaling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from deepseek_cdk.constructs.endpoint_props import BlueGreen, Hosting
from deepseek_cdk.constructs.nag import acknowledge_in_compliance_packs
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.scaling import CapacityScaling, ScalableKind
from deepseek_cdk.kinds import EndpointKind

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
NVME_KMS_REASON = (
    "{instance} has local NVMe instance storage, which is hardware-encrypted; SageMaker does not "
    "use a KMS key for it (CreateEndpointConfig KmsKeyId), so no key is set on this config"
)


def production_variant(
    hosting: Hosting,
    *,
    name: str,
    model_name: str | None = None,
    weight: float = 1.0,
    initial_instance_count: int | None = None,
    routing: bool = True,
    managed_instances: tuple[int, int] | None = None,
    scale_in: str | None = None,
    components: bool = False,
) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    """A production variant on `hosting`, routed to the least busy instance when `routing`.

    A variant that hosts inference components (`components`, or `managed_instances`) has no
    model, and start-up timeouts belong to the components. With `managed_instances` (min, max)
    SageMaker manages its instance count, releasing instances per the `scale_in` strategy
    (IDLE_RELEASE or CONSOLIDATION; None: SageMaker's default).
    """
    components = components or managed_instances is not None
    return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name=name,
        model_name=model_name,
        initial_variant_weight=weight,
        instance_type=hosting.instance_type,
        initial_instance_count=initial_instance_count or hosting.initial_instance_count,
        model_data_download_timeout_in_seconds=None if components else hosting.model_download_timeout_s,
        container_startup_health_check_timeout_in_seconds=(
            None if components else hosting.startup_health_check_timeout_s
        ),
        managed_instance_scaling=(
            sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                status="ENABLED",
                min_instance_count=managed_instances[0],
                max_instance_count=managed_instances[1],
                scale_in_policy=(
                    sagemaker.CfnEndpointConfig.ScaleInPolicyProperty(strategy=scale_in) if scale_in else None
                ),
            )
            if managed_instances
            else None
        ),
        volume_size_in_gb=hosting.volume_size_gb,
        routing_config=(
            sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy="LEAST_OUTSTANDING_REQUESTS")
            if routing
            else None
        ),
    )


def storage_key(hosting: Hosting, kms_key: kms.IKey | None) -> str | None:
    """The KmsKeyId for an endpoint config: only on instance types without local NVMe."""
    return None if hosting.local_nvme or kms_key is None else kms_key.key_arn


def acknowledge_nvme_storage(config: sagemaker.CfnEndpointConfig, hosting: Hosting) -> None:
    if hosting.local_nvme:
        reason = NVME_KMS_REASON.format(instance=hosting.instance_type)
        acknowledge_in_compliance_packs(config, "SageMakerEndpointConfigurationKMSKeyConfigured", reason)


def invoke_statement(
    endpoint_name: str, *, queued: bool = False, components: Sequence[str] = ()
) -> iam.PolicyStatement:
    """Permission to invoke one endpoint (and its inference components): InvokeEndpoint and
    InvokeEndpointWithResponseStream, or InvokeEndpointAsync for a queued (async) endpoint."""
    arn = f"arn:{cdk.Aws.PARTITION}:sagemaker:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
    actions = (
        ["sagemaker:InvokeEndpointAsync"]
        if queued
        else ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    )
    resources = [f"{arn}:endpoint/{endpoint_name}", *(f"{arn}:inference-component/{c}" for c in components)]
    return iam.PolicyStatement(actions=actions, resources=resources)


class SageMakerEndpoint(Construct):
    """Base of the endpoint constructs: owns the Endpoint, its metrics, its invoke grants and
    its scaling.

    Subclasses build `endpoint_config` and call `_create_endpoint`."""

    endpoint_config: sagemaker.CfnEndpointConfig
    endpoint: sagemaker.CfnEndpoint
    variant_names: list[str]
    planned_name: str | None = None

    def _create_endpoint(self, endpoint_name: str | None) -> None:
        self.planned_name = endpoint_name
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
        )

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name attribute: a reference that orders a user after the endpoint."""
        return self.endpoint.attr_endpoint_name

    @property
    def metric_endpoint_name(self) -> str:
        """The name metrics carry: the planned name when there is one, so an alarm on this
        endpoint's metrics does not depend on the endpoint and can be part of its own
        deployment configuration (auto-rollback alarms) without a dependency cycle."""
        return self.planned_name or self.endpoint_name

    def invoke_statement(self) -> iam.PolicyStatement:
        """What invoking this endpoint takes (its inference components included)."""
        return invoke_statement(
            self.metric_endpoint_name, queued=self.kind.queued, components=self._component_names()
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke this endpoint (streaming included; async: InvokeEndpointAsync).
        Adds to the grantee's identity policy, as CDK's grants do."""
        statement = self.invoke_statement()
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=statement.actions, resource_arns=statement.resources
        )

    def _component_names(self) -> list[str]:
        return []

    def keep_instance_counts(self) -> None:
        """Updates keep each variant's current instance count (RetainAllVariantProperties) but
        take the new weights (DesiredWeight excluded): without it, an update of an autoscaled
        endpoint, blue/green ones included, starts every variant at its InitialInstanceCount,
        whatever scaling had reached. `auto_scale_instance_count` calls it."""
        self.endpoint.retain_all_variant_properties = True
        self.endpoint.exclude_retained_variant_properties = [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")
        ]

    def roll_out(self, policy: BlueGreen, *, rollback_alarms: Sequence[cloudwatch.IAlarm]) -> None:
        """Update this endpoint blue/green per `policy`, and roll back when any of
        `rollback_alarms` fires during the update. The alarms must watch this endpoint's
        metrics by its planned name (`metric_endpoint_name`), or the endpoint would depend on
        them and they on it. The models' role needs cloudwatch:DescribeAlarms on them
        (`ModelExecutionRole.allow_describe_alarms`)."""
        policy = policy.validated(len(rollback_alarms))
        size = None
        if policy.step_percent is not None:
            size = sagemaker.CfnEndpoint.CapacitySizeProperty(
                type="CAPACITY_PERCENT", value=policy.step_percent
            )
        self.endpoint.deployment_config = sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                    type=policy.strategy.upper().replace("-", "_"),
                    canary_size=size if policy.strategy == "canary" else None,
                    linear_step_size=size if policy.strategy == "linear" else None,
                    wait_interval_in_seconds=policy.bake_s,
                ),
                termination_wait_in_seconds=policy.termination_wait_s,
                maximum_execution_timeout_in_seconds=policy.max_execution_s,
            ),
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name) for a in rollback_alarms]
            ),
        )

    def variant(self, name: str) -> VariantHandle:
        """A handle on one production variant: its metrics and its instance scaling."""
        return VariantHandle(self, self._variant(name))

    def auto_scale_instance_count(
        self, *, min_capacity: int, max_capacity: int, variant: str | None = None
    ) -> CapacityScaling:
        """Register a variant's instance count with Application Auto Scaling; add policies and
        schedules on the result (`.scale_on_concurrency(...)`, `.scale_on_schedule(...)`).

        The target's resource id references the endpoint's name attribute, so the target is
        created after the endpoint and, when the endpoint is replaced under a new name, a new
        target is registered on the new endpoint and the old one is removed with the old
        endpoint. Give the endpoint a name that changes with its instance type (the stacks use
        `<deployment>-<tier>-<instance>`): SageMaker refuses an in-place update that changes the
        instance type of a variant with a registered scalable target.
        """
        variant_name = self._variant(variant)
        self.keep_instance_counts()
        require(
            min_capacity >= self.min_instances,
            "min_capacity",
            f"a {self.kind.label} variant needs at least {self.min_instances} instance; only inference "
            f"components and async endpoints scale to zero (got {min_capacity})",
        )
        return CapacityScaling(
            self,
            f"Scaling{pascal(variant_name)}",
            kind=ScalableKind.VARIANT_INSTANCES,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{variant_name}",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )

    kind = EndpointKind.REALTIME

    @property
    def min_instances(self) -> int:
        return 0 if self.kind.scales_to_zero else 1

    def metric(
        self,
        metric_name: str,
        *,
        variant: str | None = None,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Average",
        period: cdk.Duration | None = None,
        per_variant: bool = True,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """A CloudWatch metric of this endpoint, of one variant (the first by default)."""
        dimensions = {"EndpointName": self.metric_endpoint_name}
        if per_variant:
            dimensions["VariantName"] = self._variant(variant)
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=period or cdk.Duration.minutes(1),
            label=label,
        )

    def metric_model_latency(self, variant: str | None = None, statistic: str = "p90") -> cloudwatch.Metric:
        """Time spent in the container, in microseconds."""
        return self.metric("ModelLatency", variant=variant, statistic=statistic)

    def metric_gpu_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        """Percent summed over GPUs: 0-100 x GPU count."""
        return self.metric("GPUUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)

    def metric_gpu_memory_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        """Percent summed over GPUs: 0-100 x GPU count."""
        return self.metric("GPUMemoryUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)

    def metric_disk_utilization(self, variant: str | None = None) -> cloudwatch.Metric:
        return self.metric("DiskUtilization", variant=variant, namespace=INSTANCE_NAMESPACE)

    def _variant(self, variant: str | None) -> str:
        name = variant or self.variant_names[0]
        require(name in self.variant_names, "variant", f"must be one of {self.variant_names}")
        return name


class VariantHandle:
    """One production variant of an endpoint: `endpoint.variant("v1")`. Its metrics take the
    usual options (statistic, period, label); `auto_scale_instance_count` registers its
    instance count with Application Auto Scaling and returns the scaling to add policies to."""

    def __init__(self, endpoint: SageMakerEndpoint, name: str) -> None:
        self.endpoint = endpoint
        self.name = name

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Average",
        period: cdk.Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        return self.endpoint.metric(
            metric_name,
            variant=self.name,
            namespace=namespace,
            statistic=statistic,
            period=period,
            label=label,
        )

    def metric_model_latency(self, *, statistic: str = "p90", **options: Any) -> cloudwatch.Metric:
        """Time spent in the container, in microseconds."""
        return self.metric("ModelLatency", statistic=statistic, **options)

    def metric_invocations(self, *, statistic: str = "Sum", **options: Any) -> cloudwatch.Metric:
        return self.metric("Invocations", statistic=statistic, **options)

    def metric_5xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Average = share of requests answered 5xx."""
        return self.metric("Invocation5XXErrors", **options)

    def metric_4xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Average = share of requests answered 4xx."""
        return self.metric("Invocation4XXErrors", **options)

    def metric_gpu_utilization(self, **options: Any) -> cloudwatch.Metric:
        """Percent summed over GPUs: 0-100 x GPU count."""
        return self.metric("GPUUtilization", namespace=INSTANCE_NAMESPACE, **options)

    def auto_scale_instance_count(self, *, min_capacity: int, max_capacity: int) -> CapacityScaling:
        return self.endpoint.auto_scale_instance_count(
            variant=self.name, min_capacity=min_capacity, max_capacity=max_capacity
        )
