"""InferenceComponentEndpoint on its own: component names, scaling, bad props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam_
from aws_cdk.assertions import Template

from deepseek_cdk.constructs import (
    Component,
)
from tests.constructs.builders import (
    ic_endpoint,
    stack,
)


def test_long_component_names_are_shortened_with_a_hash() -> None:
    from deepseek_cdk.names import component_name

    long_endpoint = "deployment-name-long-tier-name-long-g6e-12xlarge-and-more-x"
    a = component_name(long_endpoint, "candidate-version")
    b = component_name(long_endpoint.replace("12xlarge", "24xlarge"), "candidate-version")
    assert len(a) <= 63 and len(b) <= 63 and a != b
    assert a.endswith("-candidate-version")
    assert component_name("chat", "v1") == "chat-v1"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"components": [Component(f"v{i}", "m", accelerators=1, memory_mb=4096) for i in range(11)]},
            "components: an endpoint here hosts at most 10 components",
        ),
        (
            {"components": [Component("v1", "model-a", accelerators=0, memory_mb=4096)]},
            "components: 'v1': accelerators must be >= 1",
        ),
        ({"min_instances": 3}, "min_instances: must be 0-2"),
        ({"endpoint_name": "bad name"}, "endpoint_name: letters, digits and '-'"),
    ],
)
def test_inference_component_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        ic_endpoint(s, **props)
    assert not [
        c for c in s.node.find_all() if isinstance(c, cdk.CfnResource) and not isinstance(c, iam_.CfnRole)
    ]


def test_scale_copies_of_an_unknown_component() -> None:
    e = ic_endpoint(stack())
    with pytest.raises(ValueError, match="component: must be one of"):
        e.scale_copies("v9", min_copies=0, max_copies=1, target=4)


def test_an_endpoint_without_components_fails_at_synth() -> None:
    s = stack()
    ic_endpoint(s, components=[])
    with pytest.raises(RuntimeError, match="components: give at least one component"):
        cdk.App.of(s).synth()  # type: ignore[union-attr]


def test_components_added_later_carry_their_own_start_up_timeouts_and_placement() -> None:
    s = stack()
    e = ic_endpoint(s, components=[], placement="BINPACK", scale_in="IDLE_RELEASE")
    e.add_component(
        Component("chat-live-1", "model-a", accelerators=1, memory_mb=4096, model_download_timeout_s=900)
    )
    template = Template.from_stack(s)
    (component,) = template.find_resources("AWS::SageMaker::InferenceComponent").values()
    spec = component["Properties"]["Specification"]
    assert spec["StartupParameters"]["ModelDataDownloadTimeoutInSeconds"] == 900
    assert spec["SchedulingConfig"]["PlacementStrategy"] == "BINPACK"
    (config,) = template.find_resources("AWS::SageMaker::EndpointConfig").values()
    managed = config["Properties"]["ProductionVariants"][0]["ManagedInstanceScaling"]
    assert managed["ScaleInPolicy"] == {"Strategy": "IDLE_RELEASE"}


def test_a_fixed_count_endpoint_has_no_managed_scaling_and_no_model_timeouts() -> None:
    s = stack()
    ic_endpoint(s, managed=False, min_instances=2, max_instances=2)
    (config,) = Template.from_stack(s).find_resources("AWS::SageMaker::EndpointConfig").values()
    (variant,) = config["Properties"]["ProductionVariants"]
    assert "ManagedInstanceScaling" not in variant
    assert "ModelDataDownloadTimeoutInSeconds" not in variant and "ModelName" not in variant
    with pytest.raises(
        ValueError, match="max_instances: without managed instance scaling the count is fixed"
    ):
        ic_endpoint(stack(), managed=False, min_instances=1, max_instances=2)
