"""Shared test harness: an app that loads cdk.json's context, a fixed environment, and
normalized templates for snapshots."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import load_deployment
from deepseek_cdk.stacks import DeploymentStacks, build_deployment

ROOT = Path(__file__).resolve().parent.parent

CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
TEST_ENV = cdk.Environment(account="111111111111", region="us-east-1")
# Every deployment that ships, synthesized in the tests.
SYNTH_DEPLOYMENTS = {
    "default": "deployments/default.yaml",
    "r1-full": "deployments/examples/r1-full.yaml",
    "llama-70b-explicit": "deployments/examples/llama-70b-explicit.yaml",
    "scheduled-chat": "deployments/examples/scheduled-chat.yaml",
    "chat-and-reasoning": "deployments/examples/chat-and-reasoning.yaml",
    "scale-to-zero": "deployments/examples/scale-to-zero.yaml",
    "canary-with-shadow": "deployments/examples/canary-with-shadow.yaml",
    "shared-fleet": "deployments/examples/shared-fleet.yaml",
}
# Every (deployment, tier, kind) of the shipped specs, for tests that check each tier (read
# from the specs; nothing is planned while tests are collected).
SYNTH_TIERS = [
    (name, tier.name, tier.endpoint)
    for name, path in SYNTH_DEPLOYMENTS.items()
    for tier in load_deployment(ROOT / path).tiers
]
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def make_app(**context: Any) -> cdk.App:
    """A CDK app with cdk.json's context (feature flags), as `cdk synth` would have."""
    return cdk.App(context={**CDK_CONTEXT, **context})


def synth_deployment(
    path: str, env: cdk.Environment | None = TEST_ENV
) -> tuple[cdk.App, Plan, DeploymentStacks]:
    app = make_app()
    plan = build_plan(load_deployment(ROOT / path))
    return app, plan, build_deployment(app, plan, env=env)


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    """Template JSON without what changes between machines: asset hashes, bootstrap checks."""
    template = json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))
    template.get("Parameters", {}).pop("BootstrapVersion", None)
    template.get("Rules", {}).pop("CheckBootstrapVersion", None)
    for section in ("Parameters", "Rules"):
        if template.get(section) == {}:
            del template[section]
    return template


class Synthesized:
    """One deployment, synthesized once: its plan and the Template of each stack."""

    def __init__(self, path: str) -> None:
        from aws_cdk.assertions import Template

        self.app, self.plan, self.stacks = synth_deployment(path)
        self.stateful = Template.from_stack(self.stacks.stateful)
        self.inference = Template.from_stack(self.stacks.inference)

    def of_tier(self, resource_type: str, tier: str) -> list[dict[str, Any]]:
        """Properties of the inference stack's resources of a type tagged with `tier`."""
        return [
            r["Properties"]
            for r in self.inference.find_resources(resource_type).values()
            if {"Key": "tier", "Value": tier} in r["Properties"].get("Tags", [])
        ]

    def one_of_tier(self, resource_type: str, tier: str) -> dict[str, Any]:
        (props,) = self.of_tier(resource_type, tier)
        return props

    def of_endpoint(self, resource_type: str, tier: str) -> dict[str, Any]:
        """Properties of the one resource of a type that the tier's endpoint has: the tier's
        own, or its shared fleet's (tagged `fleet`)."""
        fleet = self.plan.tier(tier).fleet
        if fleet is None:
            return self.one_of_tier(resource_type, tier)
        props: dict[str, Any]
        (props,) = [
            r["Properties"]
            for r in self.inference.find_resources(resource_type).values()
            if {"Key": "fleet", "Value": fleet} in r["Properties"].get("Tags", [])
        ]
        return props


@pytest.fixture(scope="session")
def synthesized() -> dict[str, Synthesized]:
    return {name: Synthesized(path) for name, path in SYNTH_DEPLOYMENTS.items()}
