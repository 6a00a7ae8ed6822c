"""The integration apps (integ/integ_*.py) offline: each synthesizes, its templates (the
deployment's and the assertion stack's) match their snapshots, the cdk-nag packs find nothing
unacknowledged, and the cost line `make integ` prints stays under its confirmation limit per case.

integ-runner's own snapshot mode cannot run here: its newest release (2.197.10) reads cloud
assembly schema 53 and aws-cdk-lib 2.275 writes 55, so these snapshots are syrupy's."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from deepseek_cdk.compliance import NAG_PACKS
from integ.cases import COST_CONFIRM_USD, SPECS, build_case, make_app, max_cost
from tests.conftest import normalized

CASES = sorted(SPECS)
SALT = re.compile(r'"salt": "[0-9]+"')  # integ-tests-alpha's Date.now(): it reruns a call on each deploy


def without_salt(template: dict[str, Any]) -> dict[str, Any]:
    return json.loads(SALT.sub('"salt": "<salt>"', json.dumps(template)))


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[cdk.App, list[cdk.Stack]]]:
    apps = {}
    for case in CASES:
        module = importlib.import_module(f"integ.integ_{case}")
        app = make_app()
        build_case(app, case, module.assertions)
        apps[case] = (app, [c for c in app.node.find_all() if isinstance(c, cdk.Stack)])
    return apps


@pytest.mark.parametrize("case", CASES)
def test_integ_app_snapshot(built: dict[str, Any], case: str, snapshot: SnapshotAssertion) -> None:
    _, stacks = built[case]
    templates = {s.stack_name: without_salt(normalized(Template.from_stack(s).to_json())) for s in stacks}
    assert len(templates) == 3  # stateful, inference, assertions
    assert templates == snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("case", CASES)
def test_integ_app_nag_clean(built: dict[str, Any], case: str) -> None:
    app, _ = built[case]
    for pack in NAG_PACKS:
        report = pack(verbose=True).validate_scope(app)
        errors = [v for v in report.violations if v.severity == "error"] if report.violations else []
        assert not errors, (pack.__name__, [v.rule_name for v in errors])


@pytest.mark.parametrize("case", CASES)
def test_integ_stateful_stack_can_be_destroyed(built: dict[str, Any], case: str) -> None:
    _, stacks = built[case]
    assert not any(s.termination_protection for s in stacks)


def test_cost_line_needs_confirmation_above_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from integ.cases import main

    monkeypatch.delenv("YES", raising=False)
    total, lines = max_cost(2)
    assert len(lines) == len(CASES) and total > COST_CONFIRM_USD
    assert main(["--hours", "2"]) == 1
    assert "at most $" in capsys.readouterr().out
    monkeypatch.setenv("YES", "1")
    assert main(["--hours", "2"]) == 0
    assert main(["--hours", "0.1"]) == 0 or max_cost(0.1)[0] > COST_CONFIRM_USD
