"""InferenceComponentEndpoint: models as inference components on shared, managed instances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IValidation

from deepseek_cdk.constructs.endpoint_base import (
    INVOCATION_NAMESPACE,
    SageMakerEndpoint,
    acknowledge_nvme_storage,
    production_variant,
    storage_key,
)
from deepseek_cdk.constructs.endpoint_props import Hosting, validate_endpoint_name
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.scaling import (
    DEFAULT_COLD_START,
    DEFAULT_SCALE_IN_COOLDOWN,
    DEFAULT_SCALE_OUT_COOLDOWN,
    CapacityScaling,
    ScalableKind,
)
from deepseek_cdk.kinds import MAX_COMPONENTS_PER_ENDPOINT, EndpointKind
from deepseek_cdk.names import SAGEMAKER, component_name

VARIANT = "shared"  # the one variant whose managed instances host every component
SCALE_IN = (None, "IDLE_RELEASE", "CONSOLIDATION")  # ProductionVariantManagedInstanceScalingScaleInPolicy
PLACEMENT = (None, "BINPACK", "SPREAD")  # InferenceComponentSchedulingConfig PlacementStrategy


@jsii.implements(IValidation)
class _HasComponents:
    """An endpoint of inference components hosts at least one at synth."""

    def __init__(self, endpoint: InferenceComponentEndpoint) -> None:
        self.endpoint = endpoint

    def validate(self) -> list[str]:
        return [] if self.endpoint.components else ["components: give at least one component"]


@dataclass(frozen=True)
class Component:
    """One model served as an inference component: what a copy needs, how many to start, and
    its start-up timeouts (None: the endpoint's `Hosting`)."""

    name: str  # e.g. the version, v1
    model_name: str
    accelerators: int  # GPUs per copy (the tensor-parallel degree)
    memory_mb: int  # host memory per copy
    initial_copies: int = 1
    model_download_timeout_s: int | None = None
    startup_health_check_timeout_s: int | None = None


class InferenceComponentEndpoint(SageMakerEndpoint):
    """An endpoint whose instances are shared by inference components.

    Creates an EndpointConfig with one variant and no model, the Endpoint, and one
    AWS::SageMaker::InferenceComponent per component (`components`, or `add_component` later:
    several tiers may put theirs on one endpoint), with its compute requirements and start-up
    timeouts. The engine's env stays on the Model, which the component references (an
    inference component's own container takes at most 16 env entries).

    Instances: with `managed` (the default) SageMaker adds and removes them as copies need
    them, between `min_instances` and `max_instances` (min may be 0), releasing them per
    `scale_in` (IDLE_RELEASE: only instances that hold no copy; CONSOLIDATION: moves copies to
    free instances; None: SageMaker's default). Without it the endpoint keeps a fixed count
    (`min_instances` = `max_instances`). `placement` (BINPACK: copies on as few instances as
    fit them; SPREAD: evenly; None: SageMaker's default) goes on every component.

    Scaling (`scale_copies`): target tracking on concurrent requests per copy, and, because
    requests at zero copies fail instead of queueing, a step policy on an alarm over
    NoCapacityInvocationFailures to add a copy from zero. This is the only way a real-time
    endpoint reaches zero instances; the first request after that fails while a copy starts
    (minutes).

    Cost: instances bill per second while they exist; at zero copies the endpoint releases
    its instances after about 10-20 minutes and costs nothing.
    """

    kind = EndpointKind.INFERENCE_COMPONENTS

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        components: Sequence[Component] = (),
        execution_role: iam.IRole,
        hosting: Hosting,
        min_instances: int,
        max_instances: int,
        managed: bool = True,
        scale_in: str | None = None,
        placement: str | None = None,
        kms_key: kms.IKey | None = None,
        endpoint_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validate_endpoint_name(endpoint_name)
        require(
            0 <= min_instances <= max_instances, "min_instances", f"must be 0-{max_instances} (max_instances)"
        )
        require(max_instances >= 1, "max_instances", f"must be >= 1 (got {max_instances})")
        require(
            managed or min_instances == max_instances,
            "max_instances",
            f"without managed instance scaling the count is fixed: give min_instances = max_instances "
            f"(got {min_instances} and {max_instances})",
        )
        require(scale_in in SCALE_IN, "scale_in", f"one of {SCALE_IN} (got {scale_in!r})")
        require(managed or scale_in is None, "scale_in", "only with managed instance scaling")
        require(placement in PLACEMENT, "placement", f"one of {PLACEMENT} (got {placement!r})")
        self.hosting = hosting.validated()
        require(
            self.hosting.initial_instance_count <= max_instances,
            "hosting.initial_instance_count",
            f"must be at most max_instances ({max_instances}) (got {self.hosting.initial_instance_count})",
        )
        self.placement = placement
        for i, c in enumerate(components):  # all of them, before any resource exists
            self._check([d.name for d in components[:i]], c)

        self.variant_names = [VARIANT]
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            execution_role_arn=execution_role.role_arn,
            production_variants=[
                production_variant(
                    self.hosting,
                    name=VARIANT,
                    managed_instances=(min_instances, max_instances) if managed else None,
                    scale_in=scale_in,
                    components=True,
                )
            ],
            kms_key_id=storage_key(self.hosting, kms_key),
        )
        acknowledge_nvme_storage(self.endpoint_config, self.hosting)
        self._create_endpoint(endpoint_name)

        self.components: dict[str, sagemaker.CfnInferenceComponent] = {}
        self.component_names: dict[str, str] = {}
        self.from_zero_alarms: dict[str, cloudwatch.Alarm] = {}
        for c in components:
            self.add_component(c)
        self.node.add_validation(_HasComponents(self))

    def add_component(self, component: Component) -> sagemaker.CfnInferenceComponent:
        """Host `component` on this endpoint's instances: an AWS::SageMaker::InferenceComponent
        named `<endpoint>-<component name>`. At most MAX_COMPONENTS_PER_ENDPOINT."""
        c = component
        self._check([*self.components], c)
        download = c.model_download_timeout_s or self.hosting.model_download_timeout_s
        startup = c.startup_health_check_timeout_s or self.hosting.startup_health_check_timeout_s
        name = component_name(
            self.planned_name or cdk.Names.unique_resource_name(self, max_length=48, separator="-"), c.name
        )
        ic = sagemaker.CfnInferenceComponent
        self.component_names[c.name] = name
        self.components[c.name] = ic(
            self,
            f"Component{pascal(c.name)}",
            endpoint_name=self.endpoint_name,
            variant_name=VARIANT,
            inference_component_name=name,
            specification=ic.InferenceComponentSpecificationProperty(
                model_name=c.model_name,
                compute_resource_requirements=ic.InferenceComponentComputeResourceRequirementsProperty(
                    number_of_accelerator_devices_required=c.accelerators,
                    min_memory_required_in_mb=c.memory_mb,
                ),
                startup_parameters=ic.InferenceComponentStartupParametersProperty(
                    model_data_download_timeout_in_seconds=download,
                    container_startup_health_check_timeout_in_seconds=startup,
                ),
                scheduling_config=(
                    ic.InferenceComponentSchedulingConfigProperty(
                        placement_strategy=self.placement,
                        # Required beside a strategy (CDK 2.275's type of the schema); the most
                        # imbalance SageMaker allows (0-100, InferenceComponentAvailabilityZoneBalance,
                        # read 2026-12-07): placement is the strategy's alone.
                        availability_zone_balance=ic.InferenceComponentAvailabilityZoneBalanceProperty(
                            enforcement_mode="PERMISSIVE", max_imbalance=100
                        ),
                    )
                    if self.placement
                    else None
                ),
            ),
            runtime_config=ic.InferenceComponentRuntimeConfigProperty(copy_count=c.initial_copies),
        )
        return self.components[c.name]

    def _check(self, names: list[str], c: Component) -> None:
        """`c` may join the components already `names`d; ValueError names what is wrong."""
        require(
            len(names) < MAX_COMPONENTS_PER_ENDPOINT,
            "components",
            f"an endpoint here hosts at most {MAX_COMPONENTS_PER_ENDPOINT} components",
        )
        require(c.name not in names, "components", f"component names must be unique (got {c.name!r})")
        require(SAGEMAKER.fits(c.name), "components", f"component name {c.name!r}: letters, digits, '-'")
        require(c.accelerators >= 1, "components", f"{c.name!r}: accelerators must be >= 1")
        require(c.memory_mb >= 128, "components", f"{c.name!r}: memory_mb must be >= 128")
        require(c.initial_copies >= 0, "components", f"{c.name!r}: initial_copies must be >= 0")
        for prop in ("model_download_timeout_s", "startup_health_check_timeout_s"):
            seconds = getattr(c, prop) or getattr(self.hosting, prop)
            require(
                60 <= seconds <= 3600, "components", f"{c.name!r}: {prop} must be 60-3600 (got {seconds})"
            )

    def _component_names(self) -> list[str]:
        return list(self.component_names.values())

    def roll_out_component(
        self,
        component: str,
        *,
        batch_percent: int,
        wait_s: int,
        max_execution_s: int,
        rollback_alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        """Update `component` in batches of `batch_percent` of its copies (5-50), waiting
        `wait_s` (0-3600) after each while watching `rollback_alarms` (1-10), and roll back to
        the old copies when one fires or the update takes longer than `max_execution_s`
        (600-28800). Give alarms on this component's metrics."""
        require(component in self.components, "component", f"must be one of {list(self.components)}")
        require(5 <= batch_percent <= 50, "batch_percent", f"must be 5-50 (got {batch_percent})")
        require(0 <= wait_s <= 3600, "wait_s", f"must be 0-3600 (got {wait_s})")
        require(
            600 <= max_execution_s <= 28_800 and max_execution_s > wait_s,
            "max_execution_s",
            f"must be 600-28800 and longer than wait_s (got {max_execution_s})",
        )
        require(1 <= len(rollback_alarms) <= 10, "rollback_alarms", f"give 1-10 (got {len(rollback_alarms)})")
        ic = sagemaker.CfnInferenceComponent
        self.components[component].deployment_config = ic.InferenceComponentDeploymentConfigProperty(
            rolling_update_policy=ic.InferenceComponentRollingUpdatePolicyProperty(
                maximum_batch_size=ic.InferenceComponentCapacitySizeProperty(
                    type="CAPACITY_PERCENT", value=batch_percent
                ),
                wait_interval_in_seconds=wait_s,
                maximum_execution_timeout_in_seconds=max_execution_s,
            ),
            auto_rollback_configuration=ic.AutoRollbackConfigurationProperty(
                alarms=[ic.AlarmProperty(alarm_name=a.alarm_name) for a in rollback_alarms]
            ),
        )

    def auto_scale_copy_count(self, component: str, *, min_copies: int, max_copies: int) -> CapacityScaling:
        """Register a component's copy count with Application Auto Scaling; add policies and
        schedules on the result (`.scale_on_concurrency(...)`, `.scale_on_schedule(...)`)."""
        require(component in self.components, "component", f"must be one of {list(self.components)}")
        scaling = CapacityScaling(
            self,
            f"Scaling{pascal(component)}",
            kind=ScalableKind.INFERENCE_COMPONENT_COPIES,
            resource_id=f"inference-component/{self.component_names[component]}",
            min_capacity=min_copies,
            max_capacity=max_copies,
        )
        # The resource id is a literal name: register only once the component exists.
        scaling.node.add_dependency(self.components[component])
        return scaling

    def scale_copies(
        self,
        component: str,
        *,
        min_copies: int,
        max_copies: int,
        target: float,
        metric: str = "concurrency",
        scale_out_cooldown: cdk.Duration = DEFAULT_SCALE_OUT_COOLDOWN,
        scale_in_cooldown: cdk.Duration = DEFAULT_SCALE_IN_COOLDOWN,
        cold_start: cdk.Duration = DEFAULT_COLD_START,
        from_zero: bool | None = None,
    ) -> CapacityScaling:
        """Scale a component's copies on `metric` ("concurrency": requests per copy, or
        "invocations": invocations per copy a minute) towards `target`, and from zero on
        no-capacity failures (`from_zero`: when min_copies is 0 unless told; say True when a
        schedule takes the copies to 0).

        From zero: AWS's documented step policy (+1 copy when a request fails for lack of a
        copy), with its cooldown set to `cold_start` instead of the documented 60 s. Requests
        keep failing, and the alarm stays in ALARM, until the first copy is in service; the
        step policy runs again every minute of that, and with a one-minute cooldown it would
        add a copy (and here an instance) each minute of a cold start. Give the longest
        start-up the component allows (provisioning + download + start-up health check)."""
        require(
            metric in ("concurrency", "invocations"), "metric", f"concurrency or invocations (got {metric!r})"
        )
        scaling = self.auto_scale_copy_count(component, min_copies=min_copies, max_copies=max_copies)
        track = scaling.scale_on_concurrency if metric == "concurrency" else scaling.scale_on_invocations
        track(target, scale_out_cooldown=scale_out_cooldown, scale_in_cooldown=scale_in_cooldown)
        reaches_zero = min_copies == 0 if from_zero is None else from_zero
        if reaches_zero:
            # AWS's documented scale-from-zero alarm: any failed request for lack of a copy.
            no_capacity = self.metric_no_capacity_failures(component).create_alarm(
                self,
                f"NoCapacity{pascal(component)}",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="A request failed because no copy was running: start one",
            )
            scaling.scale_on_alarm("ScaleOutFromZero", no_capacity, adjustment=1, cooldown=cold_start)
            self.from_zero_alarms[component] = no_capacity
        return scaling

    def metric_component(
        self,
        component: str,
        metric_name: str,
        *,
        statistic: str = "Sum",
        namespace: str = INVOCATION_NAMESPACE,
    ) -> cloudwatch.Metric:
        require(component in self.components, "component", f"must be one of {list(self.components)}")
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"InferenceComponentName": self.component_names[component]},
            statistic=statistic,
            period=cdk.Duration.minutes(1),
        )

    def metric_no_capacity_failures(self, component: str) -> cloudwatch.Metric:
        """Requests that failed because the component had no copy to serve them."""
        return self.metric_component(component, "NoCapacityInvocationFailures", statistic="Maximum")

    def metric_concurrent_requests_per_copy(self, component: str) -> cloudwatch.Metric:
        """Requests per copy, queued ones included (10-second samples)."""
        return self.metric_component(component, "ConcurrentRequestsPerCopy", statistic="Average")

    def metric_invocations_per_copy(self, component: str) -> cloudwatch.Metric:
        """Invocations per copy a minute (what `metric="invocations"` scaling tracks)."""
        return self.metric_component(component, "InvocationsPerCopy")

    def metric_component_invocations(self, component: str) -> cloudwatch.Metric:
        return self.metric_component(component, "Invocations")
