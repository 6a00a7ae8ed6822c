"""`deepseek-cdk plan`: the resolved plan of a deployment, as text. render.py writes the
deployment's lines and each tier's table; a tier's rows come by section from serving.py
(hardware, objectives, estimates, traffic, answers), scaling.py (a deploy's effect, alarms,
job notices) and versions.py (versions, rollout, versioning, cost)."""

from deepseek_cdk.cli.plan.render import render_plan

__all__ = ["render_plan"]
