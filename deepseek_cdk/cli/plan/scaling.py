"""A tier's operating rows in `deepseek-cdk plan`: what a deploy does to scaled capacity, the
alarms, who reads an async tier's job notices, and min/max bounds as the plan prints them."""

from __future__ import annotations

from deepseek_cdk.planning import TierPlan


def render_on_deploy(tier: TierPlan) -> list[str]:
    """What a stack update does to capacity that scaling has moved. Real-time and async
    variants keep their instance count (RetainAllVariantProperties). An inference
    component's CopyCount has no such switch: AWS::SageMaker::InferenceComponent
    RuntimeConfig.CopyCount is write-only and the resource has no retain property (the
    registry schema, cfn-lint's us_east_1 provider schema), so an update that touches the
    component starts it from the template's count. And CloudFormation updates a scalable
    target through RegisterScalableTarget, which sets the template's min and max and moves
    the capacity into them (Application Auto Scaling API Reference, RegisterScalableTarget):
    what a schedule set holds again only from its next firing."""
    lines = []
    if tier.endpoint.per_component:
        lines += [
            f"an update of component {v.slot} (a new model, resources or start-up timeouts) sets it to "
            f"{v.initial} {'copy' if v.initial == 1 else 'copies'} (CopyCount; CloudFormation cannot keep "
            "the count autoscaling reached), and scaling adds copies again from there"
            for v in tier.capacity.live
        ]
    if tier.scaling.schedules:
        lines.append(
            f"an update of the scaling bounds or schedules sets min-max back to {tier.capacity.min}-"
            f"{tier.capacity.max} {tier.capacity.unit} until the next schedule fires: deploy where the week "
            "runs at those bounds"
        )
    return lines


def render_alarms(tier: TierPlan) -> list[str]:
    settings = tier.alarms.settings
    latency, no_capacity = tier.alarms.derivation
    invocations = (
        f"latency p90 > {settings.latency_p90_us:,} µs, 5XX > {settings.error_5xx_rate:.1%}, "
        f"4XX > {settings.error_4xx_rate:.1%}"
    )
    if tier.endpoint.queued:
        return [
            f"oldest request > {settings.oldest_request_s} s, backlog > {settings.backlog_size}, "
            "requests waiting "
            f"with no instance for {settings.no_capacity_minutes} min, any invocation failure",
            no_capacity,
        ]
    if tier.endpoint.per_component:
        return [
            f"{invocations}, no-capacity failures for {settings.no_capacity_minutes} min, "
            f"copies at max for {settings.at_max_minutes} min",
            latency,
            no_capacity,
        ]
    return [
        f"{invocations}, disk > {settings.disk_percent:g}%, at max for {settings.at_max_minutes} min",
        latency,
    ]


def render_job_notices(tier: TierPlan, email: str | None) -> list[str]:
    """Who reads the SNS messages SageMaker sends for each finished and each failed job."""
    assert tier.queue is not None
    failures = (
        f"failed jobs: one e-mail each to {email} (the alarm_email), with the job's error under "
        f"{tier.queue.failures}"
        if email
        else f"failed jobs: the error topic has no subscriber (no alarm_email); the errors are under "
        f"{tier.queue.failures} and the invocation-failure alarm counts them"
    )
    return [
        failures,
        "finished jobs: the success topic has no subscriber (GET /jobs/{id} and `invoke` read results "
        "from S3); subscribe a queue or a function to be told instead of polling",
    ]


def bounds(low: int | None, high: int | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (("min", low), ("max", high)) if v is not None)
