"""An async tier takes a job from its requests prefix and writes the answer to its responses
prefix: the object appears (within 40 minutes: the tier starts from zero instances)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

from deepseek_cdk.planning import Plan
from deepseek_cdk.stacks import DeploymentStacks
from deepseek_cdk.stacks.stateful import artifacts_bucket_name
from integ.cases import alarm_state, allow, chat_body, endpoint_arn, run


def assertions(test: integ.IntegTest, plan: Plan, stacks: DeploymentStacks) -> None:
    tier = plan.tiers[0]
    assert tier.queue is not None
    bucket = artifacts_bucket_name(plan.deployment)
    key = f"{tier.queue.requests}integ-test.json"
    put = test.assertions.aws_api_call("S3", "putObject", {"Bucket": bucket, "Key": key, "Body": chat_body()})
    allow(put, ["kms:GenerateDataKey", "kms:Decrypt"], [stacks.stateful.key.key_arn])
    invoke = test.assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpointAsync",
        {
            "EndpointName": tier.endpoint_name,
            "ContentType": "application/json",
            "InputLocation": f"s3://{bucket}/{key}",
            "InferenceId": "integ-test",
        },
    )
    allow(invoke, ["sagemaker:InvokeEndpointAsync"], [endpoint_arn(invoke, tier.endpoint_name)])
    done = test.assertions.aws_api_call(
        "S3", "listObjectsV2", {"Bucket": bucket, "Prefix": tier.queue.responses}
    )
    done.expect(integ.ExpectedResult.object_like({"KeyCount": 1})).wait_for_assertions(
        total_timeout=cdk.Duration.minutes(40), interval=cdk.Duration.minutes(1)
    )
    put.next(invoke).next(done)
    alarm_state(test, stacks)


if __name__ == "__main__":
    run("async", assertions)
