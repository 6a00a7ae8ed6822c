"""InferenceComponentEndpoint on its own: component names, scaling, bad props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam_

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
        ({"components": []}, "components: give 1-10 components"),
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
