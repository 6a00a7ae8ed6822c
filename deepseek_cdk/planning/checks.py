"""What the pipeline checks across tiers once each is planned: every name the plan gives an AWS
resource (the artifacts bucket, the stacks, each tier's or fleet's endpoint, each model package group)
against that service's rules (deepseek_cdk.names), and router rules no tier could serve."""

from __future__ import annotations

from collections.abc import Mapping

from deepseek_cdk.names import (
    LONGEST_ACCOUNT,
    LONGEST_REGION,
    S3_BUCKET,
    SAGEMAKER,
    STACK,
    NamingRule,
    artifacts_bucket_name,
    stack_names,
)
from deepseek_cdk.planning.fleet_plan import FleetPlan
from deepseek_cdk.planning.records import TierPlan
from deepseek_cdk.runtime.router.contract import estimated_prompt_tokens
from deepseek_cdk.spec import Deployment, Router
from deepseek_cdk.spec.wording import field_path


def name_problems(deployment: Deployment, tiers: list[TierPlan], fleets: list[FleetPlan]) -> list[str]:
    """Every name the deployment gives an AWS resource, checked against that service's rules
    (names.py), so that what the plan accepts deploys; each problem names the spec field."""
    bucket = artifacts_bucket_name(
        deployment.name, deployment.account or LONGEST_ACCOUNT, deployment.region or LONGEST_REGION
    )
    named: list[tuple[str, NamingRule, str]] = [("name", S3_BUCKET, bucket)]
    named += [("name", STACK, stack) for stack in stack_names(deployment.name)]
    for i, tier in enumerate(tiers):
        named.append((f"tiers[{i}].name", SAGEMAKER, tier.registry_group))
        if tier.fleet is None:  # a member's endpoint is its fleet's, checked below
            named.append((f"tiers[{i}].name", SAGEMAKER, tier.endpoint_name))
    named += [(field_path(("fleet", f.name)), SAGEMAKER, f.endpoint_name) for f in fleets]
    return [
        f"{field}: makes the {rule.what} {name!r}, which AWS refuses: {'; '.join(found)}"
        for field, rule, name in named
        if (found := rule.problems(name))
    ]


def unservable_rules(router: Router, tiers: Mapping[str, TierPlan]) -> list[str]:
    """Rules whose every match the chosen tier must refuse: the shortest request they match
    (one user message, the rule's threshold) does not fit the tier's context, or asks for a
    longer answer than any route of a real-time tier carries."""
    problems = []
    for j, rule in enumerate(router.rules):
        tier, when = tiers[rule.tier], rule.when
        prompt_tokens = estimated_prompt_tokens(when.prompt_chars_at_least or 1, messages=1)
        answer = when.max_tokens_at_least or 1
        longest = tier.answers.stream_max_tokens if not tier.endpoint.queued else tier.max_context_tokens
        if prompt_tokens + answer > tier.max_context_tokens or answer > longest:
            problems.append(
                f"router.rules[{j}].when: never served: the shortest request it matches (about "
                f"{prompt_tokens} prompt tokens and {answer} answer tokens) is more than tier "
                f"{rule.tier!r} takes ({tier.max_context_tokens} tokens of context"
                + (f", answers of at most {longest} tokens)" if longest < tier.max_context_tokens else ")")
            )
    return problems
