"""`deepseek-cdk preflight` against stubbed AWS responses (botocore's Stubber): nothing here
calls AWS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from deepseek_cdk.catalog import CONTAINERS
from deepseek_cdk.ops.aws import AwsProblem, Clients
from deepseek_cdk.ops.preflight import needed_instances, preflight, render_checks
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import load_deployment, parse_deployment

ROOT = Path(__file__).resolve().parents[2]

REGION = "us-east-1"
S3_URI = "s3://my-models/models/chat/v1/"
IMAGE_TAG = CONTAINERS["lmi"].tag
IMAGE_REQUEST = {
    "registryId": "763104351884",
    "repositoryName": "djl-inference",
    "imageIds": [{"imageTag": IMAGE_TAG}],
}


def plan_of(**extra: Any) -> Any:
    data = {
        "name": "pre",
        "region": REGION,
        "account": "111111111111",
        "alarm_email": "ops@example.com",
        "tiers": [
            {
                "name": "chat",
                "model": "deepseek-r1-distill-qwen-7b",
                "instance_type": "ml.g6.2xlarge",
                "max_context_tokens": 8192,
                "weights": {"source": "s3", "uri": S3_URI},
                "scaling": {"min": 2, "max": 4},
                "rollout": {"strategy": "canary"},
            }
        ],
        **extra,
    }
    return build_plan(parse_deployment(data))


class Stubs:
    """One stubbed client per service, handed out by a Clients."""

    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(name, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")  # noqa: S106
            for name in ("sts", "cloudformation", "apigateway", "service-quotas", "s3", "ecr")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def make(self) -> Clients:
        return Clients(REGION, make=lambda service, region: self.clients[service])

    def all_good(
        self, quota: float = 20, objects: int = 1, account: str = "111111111111", skip: tuple[str, ...] = ()
    ) -> None:
        """A good response from every service but those in `skip`."""
        self.stubs["sts"].add_response(
            "get_caller_identity",
            {"Account": account, "Arn": f"arn:aws:iam::{account}:user/ops", "UserId": "AIDA"},
        )
        self.stubs["cloudformation"].add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "CDKToolkit",
                        "CreationTime": "2026-01-01",
                        "StackStatus": "CREATE_COMPLETE",
                    }
                ]
            },
            {"StackName": "CDKToolkit"},
        )
        if "service-quotas" not in skip:
            self.stubs["service-quotas"].add_response(
                "list_service_quotas",
                {
                    "Quotas": [
                        {"QuotaName": "ml.g6.2xlarge for endpoint usage", "Value": quota},
                        {"QuotaName": "ml.g6.2xlarge for training job usage", "Value": 99},
                    ]
                },
                {"ServiceCode": "sagemaker"},
            )
        if "ecr" not in skip:
            self.stubs["ecr"].add_response(
                "batch_get_image",
                {"images": [{"imageId": {"imageTag": IMAGE_TAG}, "imageManifest": "{}"}], "failures": []},
                IMAGE_REQUEST,
            )
        if "s3" not in skip:
            self.stubs["s3"].add_response(
                "list_objects_v2",
                {"KeyCount": objects},
                {"Bucket": "my-models", "Prefix": "models/chat/v1/", "MaxKeys": 1},
            )

    def __enter__(self) -> Stubs:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()


@pytest.fixture
def stubs() -> Iterator[Stubs]:
    with Stubs() as s:
        yield s


def by_name(checks: list[Any]) -> dict[str, Any]:
    return {f"{c.scope}/{c.name}": c for c in checks}


def test_everything_in_place_passes(stubs: Stubs) -> None:
    stubs.all_good()
    checks = by_name(preflight(plan_of(), stubs.make()))
    assert {k: c.status for k, c in checks.items()} == {
        "pre/account": "pass",
        "pre/CDK bootstrap": "pass",
        "pre/alarm e-mail": "pass",
        "ml.g6.2xlarge/offered and quota": "pass",
        "chat/container image": "pass",
        "chat/weights": "pass",
    }
    assert checks["chat/container image"].detail == (
        f"763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:{IMAGE_TAG} exists"
    )
    for stub in stubs.stubs.values():
        stub.assert_no_pending_responses()


def test_the_quota_covers_the_max_and_the_rollouts_second_fleet(stubs: Stubs) -> None:
    plan = plan_of()
    # max 4, and a canary's second fleet of 4 at the max: 8 at the peak.
    assert needed_instances(plan) == {"ml.g6.2xlarge": (4, 8)}
    stubs.all_good(quota=6)
    check = by_name(preflight(plan, stubs.make()))["ml.g6.2xlarge/offered and quota"]
    assert (check.status, check.detail) == (
        "warn",
        "quota 6 covers the tiers' max (4) but not a blue/green rollout's second fleet (8)",
    )


def test_a_quota_below_the_max_fails(stubs: Stubs) -> None:
    stubs.all_good(quota=2)
    check = by_name(preflight(plan_of(), stubs.make()))["ml.g6.2xlarge/offered and quota"]
    assert check.status == "fail" and check.detail.startswith("quota 2 < 4 instances at the tiers' max")


def test_a_type_the_region_does_not_list_fails(stubs: Stubs) -> None:
    stubs.all_good(skip=("service-quotas",))
    stubs.stubs["service-quotas"].add_response(
        "list_service_quotas", {"Quotas": []}, {"ServiceCode": "sagemaker"}
    )
    check = by_name(preflight(plan_of(), stubs.make()))["ml.g6.2xlarge/offered and quota"]
    assert check.status == "fail" and "does not offer ml.g6.2xlarge here" in check.detail


def test_empty_weights_a_missing_bootstrap_and_another_account_fail(stubs: Stubs) -> None:
    stubs.stubs["sts"].add_response(
        "get_caller_identity",
        {"Account": "222222222222", "Arn": "arn:aws:iam::222222222222:user/x", "UserId": "A"},
    )
    stubs.stubs["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", "Stack with id CDKToolkit does not exist"
    )
    stubs.stubs["service-quotas"].add_response(
        "list_service_quotas", {"Quotas": [{"QuotaName": "ml.g6.2xlarge for endpoint usage", "Value": 20}]}
    )
    stubs.stubs["s3"].add_response("list_objects_v2", {"KeyCount": 0})
    checks = by_name(preflight(plan_of(), stubs.make()))
    assert checks["pre/account"].detail == (
        "the credentials are for account 222222222222; the spec's account is 111111111111"
    )
    assert checks["pre/CDK bootstrap"].detail.startswith(
        "no CDKToolkit stack in us-east-1: run `npx cdk bootstrap`"
    )
    assert checks["chat/weights"].detail == f"{S3_URI}: no objects under the prefix; upload the weights first"
    assert {c.status for c in checks.values() if c.name in ("account", "CDK bootstrap", "weights")} == {
        "fail"
    }
    assert "3 failed" in render_checks(list(checks.values()))


def test_access_denied_on_the_weights_is_a_failed_check_naming_the_action(stubs: Stubs) -> None:
    stubs.all_good(skip=("s3",))
    stubs.stubs["s3"].add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
    check = by_name(preflight(plan_of(), stubs.make()))["chat/weights"]
    assert (check.status, check.detail) == (
        "fail",
        f"access denied: s3:ListBucket on {S3_URI} is not allowed for these credentials",
    )


def test_a_router_warns_that_its_stack_replaces_the_api_gateway_log_role(stubs: Stubs) -> None:
    stubs.all_good()
    stubs.stubs["apigateway"].add_response(
        "get_account", {"cloudwatchRoleArn": "arn:aws:iam::111111111111:role/old"}
    )
    plan = plan_of(router={"default_tier": "chat"})
    check = by_name(preflight(plan, stubs.make()))["pre/API Gateway log role"]
    assert check.status == "warn" and check.detail.endswith("it replaces arn:aws:iam::111111111111:role/old")


def test_no_alarm_email_is_a_warning(stubs: Stubs) -> None:
    stubs.all_good()
    plan = plan_of()
    plan = type(plan)(**{**plan.__dict__, "monitoring": type(plan.monitoring)(None, None)})
    assert by_name(preflight(plan, stubs.make()))["pre/alarm e-mail"].status == "warn"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("ExpiredToken", "the AWS credentials have expired: refresh them"),
        ("AccessDenied", "access denied: sts:GetCallerIdentity is not allowed for these credentials"),
    ],
)
def test_credentials_that_do_not_work_stop_everything_with_one_line(
    stubs: Stubs, error: str, message: str
) -> None:
    stubs.stubs["sts"].add_client_error("get_caller_identity", error, "no", 403)
    with pytest.raises(AwsProblem, match=message):
        preflight(plan_of(), stubs.make())


def test_no_credentials_at_all_is_one_line() -> None:
    def missing(**_: Any) -> None:
        raise NoCredentialsError

    class NoCredentials:
        get_caller_identity = staticmethod(missing)

    with pytest.raises(AwsProblem, match="no AWS credentials: set AWS_PROFILE"):
        preflight(plan_of(), Clients(REGION, make=lambda service, region: NoCredentials()))


def test_a_pinned_tag_the_registry_lacks_fails(stubs: Stubs) -> None:
    stubs.all_good(skip=("ecr",))
    stubs.stubs["ecr"].add_response(
        "batch_get_image",
        {
            "images": [],
            "failures": [
                {
                    "imageId": {"imageTag": IMAGE_TAG},
                    "failureCode": "ImageNotFound",
                    "failureReason": "Requested image not found",
                }
            ],
        },
        IMAGE_REQUEST,
    )
    check = by_name(preflight(plan_of(), stubs.make()))["chat/container image"]
    assert check.status == "fail"
    assert check.detail.endswith(
        f"Requested image not found: the registry has no tag {IMAGE_TAG} in us-east-1"
    )


def test_a_missing_repository_fails_and_a_denied_pull_is_not_checked(stubs: Stubs) -> None:
    stubs.all_good(skip=("ecr",))
    stubs.stubs["ecr"].add_client_error(
        "batch_get_image", "RepositoryNotFoundException", "no such repository"
    )
    check = by_name(preflight(plan_of(), stubs.make()))["chat/container image"]
    assert (check.status, check.detail.split(": ")[-1]) == ("fail", "no repository djl-inference there")
    stubs.all_good(skip=("ecr",))
    stubs.stubs["ecr"].add_client_error("batch_get_image", "AccessDeniedException", "denied")
    check = by_name(preflight(plan_of(), stubs.make()))["chat/container image"]
    assert check.status == "warn"
    assert "not checked (access denied: ecr:BatchGetImage on 763104351884.dkr.ecr" in check.detail


def test_another_ecr_error_leaves_the_image_unchecked(stubs: Stubs) -> None:
    stubs.all_good(skip=("ecr",))
    stubs.stubs["ecr"].add_client_error("batch_get_image", "ServerException", "try later")
    check = by_name(preflight(plan_of(), stubs.make()))["chat/container image"]
    assert (check.status, check.detail.split(": ")[-1]) == (
        "warn",
        "not checked (ECR answered ServerException)",
    )


def test_a_shared_fleet_needs_its_max_once_whatever_its_members_copies() -> None:
    plan = build_plan(load_deployment(ROOT / "deployments" / "examples" / "shared-fleet.yaml"))
    (fleet,) = plan.fleets
    assert needed_instances(plan) == {fleet.instance_type: (fleet.instances_max, fleet.instances_max)}
