"""An inference-component tier that scales to zero: created with no copy, the first request
finds none, the scale-from-zero alarm adds one, and a retried request is answered."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks import DeploymentStacks
from integ.cases import alarm_state, allow, chat_body, endpoint_arn, run


def assertions(test: integ.IntegTest, plan: Plan, stacks: DeploymentStacks) -> None:
    tier = plan.tiers[0]
    component = stacks.inference.tiers[tier.name]
    alarm_state(test, stacks)
    call = test.assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {
            "EndpointName": tier.endpoint_name,
            "InferenceComponentName": component.routed(tier).components[0][0],
            "ContentType": "application/json",
            "Body": chat_body(),
        },
    )
    allow(call, ["sagemaker:InvokeEndpoint"], [endpoint_arn(call, tier.endpoint_name)])
    # A copy and its instance start in minutes: retry for up to 40.
    call.expect(
        integ.ExpectedResult.object_like({"Body": integ.Match.string_like_regexp("choices")})
    ).wait_for_assertions(total_timeout=cdk.Duration.minutes(40), interval=cdk.Duration.minutes(1))


if __name__ == "__main__":
    run("inference_components", assertions)
