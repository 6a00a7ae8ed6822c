"""CDK app: `npx cdk synth -c deployment=deployments/examples/r1-full.yaml` (default:
deployments/default.yaml). A spec problem stops synth with the same lines the CLI prints, and
so does a context key the app does not read (`-c Deployment=...` would otherwise be ignored)."""

import json
import sys
from pathlib import Path

import aws_cdk as cdk

from deepseek_cdk.compliance import add_nag_packs
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import SpecError, load_deployment
from deepseek_cdk.stacks import build_deployment, environment

# Context the app reads, beside cdk.json's feature flags and what the CDK CLI adds itself
# (`aws:cdk:...` settings and lookup results, whose keys carry a `:`).
APP_CONTEXT = {"deployment"}
CDK_JSON = json.loads((Path(__file__).parent / "cdk.json").read_text())["context"]


def unknown_context(context: dict[str, object]) -> list[str]:
    return sorted(key for key in context if key not in APP_CONTEXT and key not in CDK_JSON and ":" not in key)


def synthesize(app: cdk.App) -> None:
    """Plan the deployment the app's context names, build its stacks with the four cdk-nag packs
    and synthesize them; on a spec or context problem, the CLI's lines and exit status 2."""
    source = app.node.try_get_context("deployment") or "deployments/default.yaml"
    unknown = unknown_context(app.node.get_all_context())
    if unknown:
        print(
            f"deepseek-cdk: unknown context key(s) {', '.join(unknown)}; this app reads: "
            f"{', '.join(sorted(APP_CONTEXT))} (e.g. -c deployment=deployments/default.yaml)",
            file=sys.stderr,
        )
        sys.exit(2)
    try:
        plan = build_plan(load_deployment(source))
        build_deployment(app, plan, env=environment(plan))
    except SpecError as err:
        print(err.report(source), file=sys.stderr)
        sys.exit(2)
    add_nag_packs(app)
    app.synth()


if __name__ == "__main__":
    synthesize(cdk.App())
