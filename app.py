"""CDK app: `npx cdk synth -c deployment=deployments/examples/r1-full.yaml` (default:
deployments/default.yaml). A spec problem stops synth with the same lines the CLI prints."""

import sys

import aws_cdk as cdk

from deepseek_cdk.compliance import add_nag_packs
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import SpecError, load_deployment
from deepseek_cdk.stacks import build_deployment, environment

app = cdk.App()
source = app.node.try_get_context("deployment") or "deployments/default.yaml"
try:
    plan = build_plan(load_deployment(source))
    build_deployment(app, plan, env=environment(plan))
except SpecError as err:
    print(err.report(source), file=sys.stderr)
    sys.exit(2)
add_nag_packs(app)
app.synth()
