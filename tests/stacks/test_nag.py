"""cdk-nag: each of the four packs finds nothing unacknowledged in any deployment.

Findings are not Annotations in cdk-nag 3, so each pack is asked directly."""

import functools

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPack

from deepseek_cdk.compliance import NAG_PACKS
from tests.conftest import SYNTH_DEPLOYMENTS, make_app, synth_deployment


def blocking_findings(pack: type[NagPack], app: cdk.App) -> list[str]:
    """`rule: paths` for every error or warning the pack reports on the app."""
    return [
        f"{v.rule_name}: {[r.construct_path for r in v.violating_resources]}"
        for v in pack(app).validate_scope(app).violations
        if v.severity in {"error", "warning"}
    ]


@functools.cache
def built(deployment: str, *, agnostic: bool = False) -> cdk.App:
    """The deployment's app, built once for the four packs (asking a pack changes nothing)."""
    app, _, _ = synth_deployment(SYNTH_DEPLOYMENTS[deployment], **({"env": None} if agnostic else {}))
    return app


@pytest.mark.parametrize("pack", NAG_PACKS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("deployment", sorted(SYNTH_DEPLOYMENTS))
def test_no_unacknowledged_findings(pack: type[NagPack], deployment: str) -> None:
    assert blocking_findings(pack, built(deployment)) == []


@pytest.mark.parametrize("pack", NAG_PACKS, ids=lambda p: p.__name__)
def test_environment_agnostic_stacks_are_clean_too(pack: type[NagPack]) -> None:
    assert blocking_findings(pack, built("default", agnostic=True)) == []


@pytest.mark.parametrize("pack", NAG_PACKS, ids=lambda p: p.__name__)
def test_each_pack_does_report_an_unacknowledged_finding(pack: type[NagPack]) -> None:
    """Guards the tests above against a pack, or a filter, that silently checks nothing."""
    app = make_app()
    s3.Bucket(cdk.Stack(app, "Bare"), "Open")
    assert blocking_findings(pack, app)


@pytest.mark.parametrize("pack", NAG_PACKS, ids=lambda p: p.__name__)
def test_an_app_without_this_projects_cdk_json_is_clean_too(pack: type[NagPack]) -> None:
    """Users import the constructs into apps with their own feature flags (or none)."""
    from deepseek_cdk.planning import build_plan
    from deepseek_cdk.spec import load_deployment
    from deepseek_cdk.stacks import build_deployment

    app = cdk.App()
    build_deployment(app, build_plan(load_deployment(None)), env=None)
    assert blocking_findings(pack, app) == []


def test_asking_a_pack_leaves_the_app_as_it_was() -> None:
    """What lets `built` serve one app to the four packs: each pack, asked after the others
    and again, finds on a shared app what it finds on a fresh one."""

    def bare() -> cdk.App:
        app = make_app()
        s3.Bucket(cdk.Stack(app, "Bare"), "Open")
        return app

    shared = bare()
    for pack in [*NAG_PACKS, *NAG_PACKS]:
        assert blocking_findings(pack, shared) == blocking_findings(pack, bare())
