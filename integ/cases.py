"""The integration cases: small deployment specs, built by the package's own planner and
stacks, and what a run in an account may cost at most (`python -m integ.cases --hours N`).

Each integ_<case>.py builds one of these deployments into an app, adds the
`aws-cdk.integ-tests-alpha` IntegTest with assertions against the deployed system, and is run
by `integ-runner` (deploy, assert, destroy: `make integ`). Offline, tests/integ synthesizes
every case, snapshots its templates and checks them against the cdk-nag packs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import integ_tests_alpha as integ
from constructs import IConstruct

from deepseek_cdk.compliance import add_nag_packs
from deepseek_cdk.constructs.nag import acknowledge, acknowledge_in_compliance_packs
from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import DeploymentStacks, build_deployment

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
COST_CONFIRM_USD = 5.0  # above this, `make integ` needs YES=1 (as `deepseek-cdk loadtest` --yes)
MODEL = "deepseek-r1-distill-qwen-1.5b"  # the smallest catalog model: the cheapest instances

# One small deployment per case: one tier of one kind, one instance (copy) at most.
_TIER: dict[str, Any] = {
    "model": MODEL,
    "max_context_tokens": 4096,
    "max_concurrency": 4,
    "slo": {"ttft_p90_seconds": 2, "tpot_p90_ms": 100},
}
SPECS: dict[str, dict[str, Any]] = {
    "realtime": {
        "name": "integ-rt",
        "tiers": [{**_TIER, "name": "chat", "endpoint": "realtime", "scaling": {"min": 1, "max": 1}}],
    },
    "inference_components": {
        "name": "integ-ic",
        "tiers": [
            {**_TIER, "name": "chat", "endpoint": "inference-components", "scaling": {"min": 0, "max": 1}}
        ],
    },
    "async": {
        "name": "integ-async",
        "tiers": [
            {
                **_TIER,
                "name": "jobs",
                "endpoint": "async",
                "slo": {"completion_p90_seconds": 900},
                "scaling": {"min": 0, "max": 1},
            }
        ],
    },
    "router": {
        "name": "integ-router",
        "tiers": [{**_TIER, "name": "chat", "endpoint": "realtime", "scaling": {"min": 1, "max": 1}}],
        "router": {"default_tier": "chat"},
    },
}


def plan_of(case: str) -> Plan:
    return build_plan(parse_deployment(SPECS[case]))


def make_app() -> cdk.App:
    """An app with cdk.json's context (feature flags): integ-runner does not read cdk.json."""
    return cdk.App(context=CDK_CONTEXT)


def build_case(
    app: cdk.App, case: str, add_assertions: Callable[[integ.IntegTest, Plan, DeploymentStacks], None]
) -> integ.IntegTest:
    """The case's deployment (environment-agnostic: integ-runner picks the region) and its test."""
    plan = plan_of(case)
    stacks = build_deployment(app, plan)
    # The stateful stack is termination-protected in a real deployment; a test must be able to
    # destroy it. Its bucket, key and model registry keep RETAIN and stay behind (cents a month).
    stacks.stateful.termination_protection = False
    test = integ.IntegTest(
        app,
        f"{plan.deployment}-test",
        test_cases=[stacks.stateful, stacks.inference],
        diff_assets=False,
        stack_update_workflow=False,
        regions=["us-east-1"],
    )
    add_assertions(test, plan, stacks)
    acknowledge_assertions(assertion_stack(test))
    return test


def first_alarm(scope: IConstruct) -> cloudwatch.Alarm:
    """The first CloudWatch alarm under `scope` (construct tree order)."""
    return next(c for c in scope.node.find_all() if isinstance(c, cloudwatch.Alarm))


def alarm_state(test: integ.IntegTest, stacks: DeploymentStacks) -> None:
    """One of the deployment's alarms exists and is not in ALARM (OK, or no data yet)."""
    alarm = first_alarm(stacks.inference)
    call = test.assertions.aws_api_call("CloudWatch", "describeAlarms", {"AlarmNames": [alarm.alarm_name]})
    call.expect(
        integ.ExpectedResult.object_like(
            {"MetricAlarms": [{"StateValue": integ.Match.string_like_regexp("^(OK|INSUFFICIENT_DATA)$")}]}
        )
    )


def allow(call: integ.IApiCall, actions: list[str], resources: list[str]) -> None:
    """What an assertion's provider may do beyond what integ-tests-alpha infers from the call."""
    call.provider.add_to_role_policy({"Effect": "Allow", "Action": actions, "Resource": resources})


def assertion_stack(test: integ.IntegTest) -> cdk.Stack:
    """The stack integ-tests-alpha creates for the test's assertions."""
    return next(c for c in test.node.find_all() if isinstance(c, cdk.Stack))


def acknowledge_assertions(stack: cdk.Stack) -> None:
    """The assertion stack (integ-tests-alpha's providers) is test machinery, deployed for the
    minutes of a run and destroyed with it; its findings are acknowledged on the stack with the
    reason each holds there."""
    reasons = {
        "AwsSolutions-IAM4": "integ-tests-alpha's provider role uses AWSLambdaBasicExecutionRole (logs only)",
        "AwsSolutions-IAM5": "integ-tests-alpha's providers: wildcards are the library's",
        "AwsSolutions-L1": "integ-tests-alpha pins its provider's runtime; the stack lives for one test run",
    }
    for rule, reason in reasons.items():
        acknowledge(stack, rule, reason)
    for rule in (
        "IAMNoInlinePolicy",
        "LambdaDLQ",
        "LambdaInsideVPC",
        "LambdaConcurrency",
        "IAMPolicyNoStatementsWithFullAccess",
    ):
        acknowledge_in_compliance_packs(
            stack,
            rule,
            "integ-tests-alpha's assertion providers: test machinery that exists for one test run",
        )


def chat_body(text: str = "Say OK.") -> str:
    """An engine request (the chat form the router sends): short, to keep the run cheap."""
    return json.dumps({"messages": [{"role": "user", "content": text}], "max_tokens": 16})


def endpoint_arn(call: integ.IApiCall, name: str) -> str:
    """The endpoint's ARN (SageMaker writes endpoint names in lower case in ARNs)."""
    stack = cdk.Stack.of(call)
    return stack.format_arn(service="sagemaker", resource="endpoint", resource_name=name.lower())


def run(case: str, add_assertions: Callable[[integ.IntegTest, Plan, DeploymentStacks], None]) -> None:
    """integ-runner's entry point for one case: build, check with the cdk-nag packs, synth."""
    app = make_app()
    build_case(app, case, add_assertions)
    add_nag_packs(app)
    app.synth()


def max_cost(hours: float) -> tuple[float, list[str]]:
    """At most, USD: every case's tiers at their max instances for `hours` (the cases run at
    once), from the plan's price figures; and one line per tier."""
    total, lines = 0.0, []
    for case in SPECS:
        for tier in plan_of(case).tiers:
            if tier.cost is None:
                raise SystemExit(
                    f"integ: no price for {tier.instance_type} ({case}/{tier.name}): not deploying"
                )
            usd = tier.capacity.instances_max * tier.cost.price_per_hour * hours
            total += usd
            lines.append(
                f"  {case}/{tier.name}: {tier.capacity.instances_max} x {tier.instance_type} "
                f"at ${tier.cost.price_per_hour:.2f}/h x {hours:g} h = ${usd:.2f}"
            )
    return total, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integ.cases", description=__doc__)
    parser.add_argument("--hours", type=float, required=True, help="an upper bound on the run's duration")
    args = parser.parse_args(argv)
    total, lines = max_cost(args.hours)
    print(
        f"integ: at most ${total:.2f} in instance-hours (on-demand, plan prices)"
        f" for a run of up to {args.hours:g} h:"
    )
    print("\n".join(lines))
    if total > COST_CONFIRM_USD and os.environ.get("YES") != "1":
        print(f"integ: above ${COST_CONFIRM_USD:.0f}: run again with YES=1 to deploy", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
