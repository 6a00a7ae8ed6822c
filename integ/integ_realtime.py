"""A small real-time tier answers a chat request, and its alarms are not firing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import integ_tests_alpha as integ

from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks import DeploymentStacks
from integ.cases import alarm_state, allow, chat_body, endpoint_arn, run


def assertions(test: integ.IntegTest, plan: Plan, stacks: DeploymentStacks) -> None:
    tier = plan.tiers[0]
    call = test.assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {"EndpointName": tier.endpoint_name, "ContentType": "application/json", "Body": chat_body()},
    )
    allow(call, ["sagemaker:InvokeEndpoint"], [endpoint_arn(call, tier.endpoint_name)])
    call.expect(integ.ExpectedResult.object_like({"Body": integ.Match.string_like_regexp("choices")}))
    alarm_state(test, stacks)


if __name__ == "__main__":
    run("realtime", assertions)
