"""CapacityScaling: Application Auto Scaling for SageMaker instances or inference-component copies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from constructs import Construct

from deepseek_cdk.constructs.naming import require

# LLM instances take minutes to start (image pull, weight download, load, warm-up): a
# scale-out cooldown shorter than that adds instances for load the first one will absorb,
# and scale-in waits long enough that a lull between bursts does not drop warm capacity.
DEFAULT_SCALE_OUT_COOLDOWN = cdk.Duration.minutes(5)
DEFAULT_SCALE_IN_COOLDOWN = cdk.Duration.minutes(15)
# Scaling from zero waits this long before adding a second instance for the same requests:
# a small model's whole start-up (the stacks pass each tier's own, from its plan).
DEFAULT_COLD_START = cdk.Duration.minutes(30)


class ScalableKind(Enum):
    """What is scaled: a variant's instances, or an inference component's copies."""

    VARIANT_INSTANCES = "sagemaker:variant:DesiredInstanceCount"
    INFERENCE_COMPONENT_COPIES = "sagemaker:inference-component:DesiredCopyCount"


_metric = appscaling.PredefinedMetric
CONCURRENCY_METRICS = {
    ScalableKind.VARIANT_INSTANCES: _metric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
    ScalableKind.INFERENCE_COMPONENT_COPIES: (
        _metric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION
    ),
}
INVOCATION_METRICS = {
    ScalableKind.VARIANT_INSTANCES: _metric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
    ScalableKind.INFERENCE_COMPONENT_COPIES: _metric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
}


@dataclass(frozen=True)
class ScheduledCapacity:
    """A scheduled action: at `expression` (`cron(...)`, `at(...)`), set min and/or max."""

    name: str
    expression: str
    timezone: str = "UTC"
    min_capacity: int | None = None
    max_capacity: int | None = None


class CapacityScaling(Construct):
    """An AWS::ApplicationAutoScaling::ScalableTarget and the policies attached to it.

    `kind` says what is scaled; `resource_id` is `endpoint/<name>/variant/<variant>` or
    `inference-component/<name>` (pass a value that references the scaled resource, so the
    target is created after it and replaced with it). Methods add target tracking on the
    high-resolution concurrency metric or on invocations, on any customized metric, step
    scaling on any alarm, and scheduled actions.

    No role is created or passed: Application Auto Scaling uses its SageMaker service-linked
    role, and creates it on first use. Scaling itself costs nothing; the capacity it adds does.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        kind: ScalableKind,
        resource_id: str,
        min_capacity: int,
        max_capacity: int,
    ) -> None:
        super().__init__(scope, construct_id)
        require(min_capacity >= 0, "min_capacity", f"must be >= 0 (got {min_capacity})")
        require(max_capacity >= 1, "max_capacity", f"must be >= 1 (got {max_capacity})")
        require(min_capacity <= max_capacity, "min_capacity", f"must be <= max_capacity ({max_capacity})")
        self.kind = kind
        self.min_capacity = min_capacity
        self.max_capacity = max_capacity
        service_linked = iam.Role.from_role_arn(
            self,
            "ServiceLinkedRole",
            f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role/aws-service-role/"
            "sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
            mutable=False,
        )
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            scalable_dimension=kind.value,
            resource_id=resource_id,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            role=service_linked,  # only so that the L2 creates no role; removed below
        )
        cfn = self.scalable_target.node.default_child
        assert isinstance(cfn, appscaling.CfnScalableTarget)
        # Without RoleARN, Application Auto Scaling uses (and if need be creates) the
        # service-linked role; naming it here would fail in accounts where it is missing.
        cfn.add_property_deletion_override("RoleARN")

    def scale_on_concurrency(
        self,
        target: float,
        *,
        scale_out_cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
        scale_in_cooldown: cdk.Duration = DEFAULT_SCALE_IN_COOLDOWN,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track concurrent requests per instance (or copy), sampled every 10 s; queued ones count."""
        return self._track(
            "Concurrency", CONCURRENCY_METRICS[self.kind], None, target, scale_out_cooldown, scale_in_cooldown
        )

    def scale_on_invocations(
        self,
        target: float,
        *,
        scale_out_cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
        scale_in_cooldown: cdk.Duration = DEFAULT_SCALE_IN_COOLDOWN,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track invocations per instance (or copy) per minute."""
        return self._track(
            "Invocations", INVOCATION_METRICS[self.kind], None, target, scale_out_cooldown, scale_in_cooldown
        )

    def scale_to_track_metric(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        target: float,
        *,
        scale_out_cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
        scale_in_cooldown: cdk.Duration = DEFAULT_SCALE_IN_COOLDOWN,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track any metric (e.g. an async endpoint's backlog per instance)."""
        return self._track(construct_id, None, metric, target, scale_out_cooldown, scale_in_cooldown)

    def scale_on_alarm(
        self,
        construct_id: str,
        alarm: cloudwatch.Alarm,
        *,
        adjustment: int = 1,
        cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
    ) -> appscaling.StepScalingAction:
        """Step scaling: add `adjustment` capacity (negative removes) whenever `alarm` fires.

        The way to scale out from zero, where target tracking has no per-instance metric."""
        require(adjustment != 0, "adjustment", "must not be 0")
        action = appscaling.StepScalingAction(
            self,
            construct_id,
            scaling_target=self.scalable_target,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=cooldown,
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )
        action.add_adjustment(adjustment=adjustment, lower_bound=0)
        alarm.add_alarm_action(cw_actions.ApplicationScalingAction(action))
        return action

    def scale_on_schedule(self, schedule: ScheduledCapacity) -> None:
        """Set min and/or max at a scheduled time; values stay until changed again."""
        require(
            schedule.min_capacity is not None or schedule.max_capacity is not None,
            "schedule",
            f"{schedule.name!r} needs min_capacity, max_capacity or both",
        )
        require(
            schedule.expression.startswith(("cron(", "at(", "rate(")),
            "schedule.expression",
            f"must be cron(...), at(...) or rate(...) (got {schedule.expression!r})",
        )
        self.scalable_target.scale_on_schedule(
            schedule.name,
            schedule=appscaling.Schedule.expression(schedule.expression),
            time_zone=cdk.TimeZone.of(schedule.timezone),
            min_capacity=schedule.min_capacity,
            max_capacity=schedule.max_capacity,
        )

    def _track(
        self,
        construct_id: str,
        predefined: appscaling.PredefinedMetric | None,
        metric: cloudwatch.IMetric | None,
        target: float,
        scale_out_cooldown: cdk.Duration,
        scale_in_cooldown: cdk.Duration,
    ) -> appscaling.TargetTrackingScalingPolicy:
        require(target > 0, "target", f"must be greater than 0 (got {target})")
        return self.scalable_target.scale_to_track_metric(
            construct_id,
            target_value=target,
            predefined_metric=predefined,
            custom_metric=metric,
            scale_out_cooldown=scale_out_cooldown,
            scale_in_cooldown=scale_in_cooldown,
        )
