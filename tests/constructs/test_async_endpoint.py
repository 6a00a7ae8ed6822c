"""AsyncEndpoint on its own: scaling from zero only when asked, bad props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from tests.constructs.builders import (
    async_endpoint,
    stack,
)


def test_async_endpoint_without_scale_to_zero_has_no_wake_up_alarm() -> None:
    s = stack()
    async_endpoint(s).scale_on_backlog(min_capacity=1, max_capacity=2, backlog_per_instance=4)
    t = Template.from_stack(s)
    t.resource_count_is("AWS::CloudWatch::Alarm", 0)
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"max_concurrent_invocations": 0}, "max_concurrent_invocations: must be 1-1000"),
        ({"variant_name": "v_1"}, "variants: variant name 'v_1'"),
        ({"failure_email": "ops"}, "failure_email: must be an e-mail address"),
    ],
)
def test_async_endpoint_bad_props(props: dict[str, Any], message: str) -> None:
    s = stack()
    with pytest.raises(ValueError, match=message):
        async_endpoint(s, **props)
    assert not [
        c for c in s.node.find_all() if isinstance(c, cdk.CfnResource) and not isinstance(c, kms.CfnKey)
    ]
