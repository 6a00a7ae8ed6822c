"""`deepseek-cdk preflight`: what would stop a deploy, checked before it starts.

Per deployment: the credentials' account (and the spec's, when it names one), the CDK
bootstrap stack, an alarm e-mail, and for a router the account-level API Gateway log role
its stack sets. Per instance type: the "ml.<type> for endpoint usage" service quota against
the most instances the tiers may run at once (their max, a shadow's max, and the second
fleet of a blue/green rollout), which also tells whether the region offers the type. Per
tier: the pinned container image in the region's Deep Learning Containers registry, and
every S3 weights prefix holding objects this identity can list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from deepseek_cdk.names import split_s3_prefix
from deepseek_cdk.ops.aws import AwsProblem, Clients, call
from deepseek_cdk.planning import Plan, TierPlan

BOOTSTRAP_STACK = "CDKToolkit"


@dataclass(frozen=True)
class Check:
    scope: str  # the deployment, an instance type or a tier
    name: str
    status: str  # pass | warn | fail
    detail: str


def preflight(plan: Plan, clients: Clients) -> list[Check]:
    """Every check; an AWS failure that stops one check is that check's `fail` line, except
    missing or expired credentials, which stop everything (AwsProblem)."""
    checks = [_account(plan, clients)]
    checks += [_bootstrap(plan, clients), _alarm_email(plan)]
    if plan.router is not None:
        checks.append(_api_gateway_role(plan, clients))
    checks += list(_quotas(plan, clients))
    for tier in plan.tiers:
        checks.append(_image(tier, plan, clients))
        checks += [
            _weights(tier, uri, clients)
            for uri in sorted({v.weights_uri for v in tier.versions if v.weights_uri})
        ]
    return checks


def _account(plan: Plan, clients: Clients) -> Check:
    identity = call("sts:GetCallerIdentity", clients("sts").get_caller_identity)
    account = identity["Account"]
    if plan.account is not None and plan.account != account:
        return Check(
            plan.deployment,
            "account",
            "fail",
            f"the credentials are for account {account}; the spec's account is {plan.account}",
        )
    return Check(plan.deployment, "account", "pass", f"{account} ({identity['Arn']})")


def _bootstrap(plan: Plan, clients: Clients) -> Check:
    cloudformation = clients("cloudformation")
    try:
        call("cloudformation:DescribeStacks", cloudformation.describe_stacks, StackName=BOOTSTRAP_STACK)
    except AwsProblem as problem:
        return Check(plan.deployment, "CDK bootstrap", "fail", str(problem))
    except cloudformation.exceptions.ClientError as err:
        if "does not exist" in str(err):
            region = clients.region or cloudformation.meta.region_name
            return Check(
                plan.deployment,
                "CDK bootstrap",
                "fail",
                f"no {BOOTSTRAP_STACK} stack in {region}: run `npx cdk bootstrap` for this account "
                "and region",
            )
        raise
    return Check(plan.deployment, "CDK bootstrap", "pass", f"{BOOTSTRAP_STACK} exists")


def _alarm_email(plan: Plan) -> Check:
    email = plan.monitoring.alarm_email
    if email:
        return Check(
            plan.deployment, "alarm e-mail", "pass", f"{email} (confirm the SNS subscription e-mail)"
        )
    return Check(
        plan.deployment,
        "alarm e-mail",
        "warn",
        "no alarm_email: alarms reach the topics, and nobody reads them",
    )


def _api_gateway_role(plan: Plan, clients: Clients) -> Check:
    try:
        account = call("apigateway:GetAccount", clients("apigateway").get_account)
    except AwsProblem as problem:
        return Check(plan.deployment, "API Gateway log role", "warn", str(problem))
    current = account.get("cloudwatchRoleArn")
    if current:
        return Check(
            plan.deployment,
            "API Gateway log role",
            "warn",
            "the router's stack sets the region's account-level API Gateway CloudWatch role; it "
            f"replaces {current}",
        )
    return Check(plan.deployment, "API Gateway log role", "pass", "none set yet; the router's stack sets one")


def needed_instances(plan: Plan) -> dict[str, tuple[int, int]]:
    """Per instance type: the most instances the tiers run at once, and that plus the second
    fleet of blue/green rollouts at the tiers' max. A shared fleet counts once, at its max;
    its members' rolling updates add copies, counted as an instance each (at most)."""
    needed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for fleet in plan.fleets:
        needed[fleet.instance_type][0] += fleet.instances_max
        needed[fleet.instance_type][1] += fleet.instances_max
    for tier in plan.tiers:
        capacity = tier.capacity
        if tier.fleet is not None:
            needed[tier.instance_type][1] += tier.rollout.extra_instances_at_max if tier.rollout else 0
            continue
        most = capacity.instances_max if tier.endpoint.per_component else capacity.max
        most += capacity.shadow.max if capacity.shadow else 0
        rollout = tier.rollout.extra_instances_at_max if tier.rollout else 0
        needed[tier.instance_type][0] += most
        needed[tier.instance_type][1] += most + rollout
    return {kind: (steady, peak) for kind, (steady, peak) in needed.items()}


def _quotas(plan: Plan, clients: Clients) -> Iterator[Check]:
    try:
        quotas = _endpoint_quotas(clients)
    except AwsProblem as problem:
        yield Check(plan.deployment, "service quotas", "fail", str(problem))
        return
    for instance_type, (steady, peak) in sorted(needed_instances(plan).items()):
        name = f"{instance_type} for endpoint usage"
        value = quotas.get(name)
        if value is None:
            yield Check(
                instance_type,
                "offered and quota",
                "fail",
                f"the region lists no quota {name!r}: SageMaker hosting does not offer {instance_type} here",
            )
        elif value < steady:
            yield Check(
                instance_type,
                "offered and quota",
                "fail",
                f"quota {value:g} < {steady} instances at the tiers' max: request an increase "
                "(Service Quotas)",
            )
        elif value < peak:
            yield Check(
                instance_type,
                "offered and quota",
                "warn",
                f"quota {value:g} covers the tiers' max ({steady}) but not a blue/green rollout's "
                f"second fleet ({peak})",
            )
        else:
            yield Check(instance_type, "offered and quota", "pass", f"quota {value:g} >= {peak} at the peak")


def _endpoint_quotas(clients: Clients) -> dict[str, float]:
    paginator = clients("service-quotas").get_paginator("list_service_quotas")
    quotas: dict[str, float] = {}
    pages = call("servicequotas:ListServiceQuotas", lambda: list(paginator.paginate(ServiceCode="sagemaker")))
    for page in pages:
        for quota in page.get("Quotas", []):
            if quota.get("QuotaName", "").endswith(" for endpoint usage"):
                quotas[quota["QuotaName"]] = float(quota["Value"])
    return quotas


def _image(tier: TierPlan, plan: Plan, clients: Clients) -> Check:
    from deepseek_cdk.dlc import dlc_account

    region = plan.region or clients.region or clients("sts").meta.region_name
    account = dlc_account(region)
    image = f"{tier.image_repository}:{tier.image_tag}"
    if account is None:
        return Check(
            tier.name,
            "container image",
            "fail",
            f"no Deep Learning Containers registry in {region} for {image}",
        )
    uri = f"{account}.dkr.ecr.{region}.amazonaws.com/{image}"
    ecr = clients("ecr")
    try:
        # The registry lets any AWS account pull (BatchGetImage), not list; a pull of the
        # manifest is how `docker pull` would first fail.
        found = call(
            f"ecr:BatchGetImage on {uri}",
            ecr.batch_get_image,
            registryId=account,
            repositoryName=tier.image_repository,
            imageIds=[{"imageTag": tier.image_tag}],
        )
    except AwsProblem as problem:
        return Check(tier.name, "container image", "warn", f"{uri}: not checked ({problem})")
    except ecr.exceptions.RepositoryNotFoundException:
        return Check(
            tier.name, "container image", "fail", f"{uri}: no repository {tier.image_repository} there"
        )
    except ecr.exceptions.ClientError as err:
        code = err.response.get("Error", {}).get("Code", "an error")
        return Check(tier.name, "container image", "warn", f"{uri}: not checked (ECR answered {code})")
    if not found.get("images"):
        why = "; ".join(f.get("failureReason") or f.get("failureCode", "") for f in found.get("failures", []))
        return Check(
            tier.name,
            "container image",
            "fail",
            f"{uri}: {why or 'not found'}: the registry has no tag {tier.image_tag} in {region}",
        )
    return Check(tier.name, "container image", "pass", f"{uri} exists")


def _weights(tier: TierPlan, uri: str, clients: Clients) -> Check:
    bucket, prefix = split_s3_prefix(uri)  # the spec checked the prefix
    try:
        listed = call(
            f"s3:ListBucket on {uri}",
            clients("s3").list_objects_v2,
            Bucket=bucket,
            Prefix=prefix,
            MaxKeys=1,
        )
    except AwsProblem as problem:
        return Check(tier.name, "weights", "fail", str(problem))
    except clients("s3").exceptions.NoSuchBucket:
        return Check(tier.name, "weights", "fail", f"{uri}: the bucket does not exist")
    if not listed.get("KeyCount"):
        return Check(
            tier.name, "weights", "fail", f"{uri}: no objects under the prefix; upload the weights first"
        )
    return Check(tier.name, "weights", "pass", f"{uri} holds objects")


def render_checks(checks: list[Check]) -> str:
    width = max(len(c.scope) for c in checks)
    lines = [f"{'':<{width}}  check                 status  detail"]
    for c in checks:
        lines.append(f"{c.scope:<{width}}  {c.name:<20}  {c.status.upper():<6}  {c.detail}")
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    lines.append(f"{failed} failed, {warned} warnings, {len(checks) - failed - warned} passed")
    return "\n".join(lines)
