"""RouterMonitoring: a tier's service levels as the request router measures them, alarmed at
the tier's objectives and graphed against them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from constructs import Construct

from deepseek_cdk.alarm_settings import AlarmSettings
from deepseek_cdk.constructs.monitoring import GRAPH_WIDTH, notifying_alarm
from deepseek_cdk.constructs.naming import pascal, require
from deepseek_cdk.constructs.notifications import Notifications
from deepseek_cdk.objectives import Objectives
from deepseek_cdk.runtime.router import contract

MINUTE = cdk.Duration.minutes(1)
OBJECTIVE_COLOR = cloudwatch.Color.RED
OBJECTIVE_FIELDS = ("ttft_p90_s", "tpot_p90_ms", "completion_p90_s")


@dataclass(frozen=True)
class RouterMetrics:
    """The metrics the router writes for one tier of one deployment
    (deepseek_cdk.runtime.router.metrics): names, namespace and dimensions are the router
    contract's, so whatever reads them depends on names only, never on the router's
    resources (no cycle with the endpoints' rollback alarms)."""

    deployment: str
    tier: str

    def metric(self, name: str, *, version: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Metric `name` (one of the contract's) of the tier, or of one `version` of it: the
        p90 over one minute unless `options` (any cloudwatch.Metric prop) say otherwise."""
        known = sorted(contract.METRIC_UNITS)
        require(name in known, "name", f"one of the router's metrics {known} (got {name!r})")
        keys = contract.TIER_DIMENSIONS if version is None else contract.VERSION_DIMENSIONS
        values = (self.deployment, self.tier) if version is None else (self.deployment, self.tier, version)
        props: dict[str, Any] = {
            "namespace": contract.METRICS_NAMESPACE,
            "metric_name": name,
            "dimensions_map": dict(zip(keys, values, strict=True)),
            "statistic": "p90",
            "period": MINUTE,
            **options,
        }
        return cloudwatch.Metric(**props)


class RouterMonitoring(Construct):
    """Alarms on what the request router measures of one tier, at the tier's objectives
    (deepseek_cdk.objectives), each notifying `notifications.alerts`:

    - streamed objectives (real-time and inference-component tiers): p90 TimeToFirstToken
      above `ttft_p90_s` and p90 TimePerOutputToken above `tpot_p90_ms`, for the tier, and
      for each version in `versions` (variant or component name -> version name), whose
      pair is `alarms_of[variant or component]`: join them to that slot's rollback alarms
      (EndpointMonitoring.add_rollback_alarms) so that a slow version rolls back;
    - completion objective (async tiers): p90 JobCompletionTime above `completion_p90_s`.

    Like the endpoints' alarms: 1-minute periods, `settings.evaluation_minutes` of them all
    breaching, missing data as fine (the router writes nothing while nobody asks). Times
    are measured at the router, so they include the network between the router and the
    endpoint and any retries; a tier that no router fronts has no such metrics.

    During a blue/green update a variant keeps its name, so its answers, from both fleets,
    carry the version the router's config names for it: a slow canary shows in the
    variant's p90 once it serves more than a tenth of the variant's answers.

    `graphs()`: TTFT and TPOT (p90, per tier and per version) or completion time, each with
    its objective as a line. Costs: $0.10 per alarm-month; the router's metrics are custom
    metrics (two per value: per tier and per version).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deployment: str,
        tier: str,
        objectives: Objectives,
        notifications: Notifications,
        versions: Mapping[str, str] | None = None,
        settings: AlarmSettings | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings or AlarmSettings()
        self.versions = dict(versions or {})
        problems = [f"settings: {p}" for p in self.settings.problems()]
        if not deployment or not tier:
            problems.append(f"deployment, tier: metric dimensions, give both (got {deployment!r}, {tier!r})")
        measured = [objectives.ttft_p90_s, objectives.tpot_p90_ms, objectives.completion_p90_s]
        if not objectives.streamed and objectives.completion_p90_s is None:
            problems.append("objectives: give ttft_p90_s and tpot_p90_ms, or completion_p90_s (async)")
        if any(value is not None and value <= 0 for value in measured):
            given = zip(OBJECTIVE_FIELDS, measured, strict=True)
            got = ", ".join(f"{name}={value}" for name, value in given if value is not None)
            problems.append(f"objectives: every objective must be > 0 (got {got})")
        if self.versions and not objectives.streamed:
            problems.append("versions: per-version alarms watch streamed objectives (TTFT and TPOT)")
        if problems:
            raise ValueError("; ".join(problems))
        self.objectives = objectives
        self.metrics = RouterMetrics(deployment, tier)
        self._notify = cw_actions.SnsAction(notifications.alerts)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.alarms_of: dict[str, list[cloudwatch.Alarm]] = {}
        if objectives.streamed:
            self._streamed(tier)
        if objectives.completion_p90_s is not None:
            self._alarm(
                "JobCompletionTime",
                self.metrics.metric(contract.COMPLETION_METRIC),
                objectives.completion_p90_s * 1000,
                f"{tier}: p90 async job completion above {objectives.completion_p90_s:g} s",
            )

    def _streamed(self, tier: str) -> None:
        ttft_ms, tpot_ms = self._ttft_ms, self._tpot_ms
        for slot, version in [(None, None), *self.versions.items()]:
            suffix, who = ("", tier) if slot is None else (pascal(slot), f"{tier} {version} ({slot})")
            pair = [
                self._alarm(
                    f"TimeToFirstToken{suffix}",
                    self.metrics.metric(contract.TTFT_METRIC, version=version),
                    ttft_ms,
                    f"{who}: p90 time to first token above {ttft_ms / 1000:g} s",
                ),
                self._alarm(
                    f"TimePerOutputToken{suffix}",
                    self.metrics.metric(contract.TPOT_METRIC, version=version),
                    tpot_ms,
                    f"{who}: p90 time per output token above {tpot_ms:g} ms",
                ),
            ]
            if slot is not None:
                self.alarms_of[slot] = pair

    @property
    def _ttft_ms(self) -> float:
        assert self.objectives.ttft_p90_s is not None
        return self.objectives.ttft_p90_s * 1000

    @property
    def _tpot_ms(self) -> float:
        assert self.objectives.tpot_p90_ms is not None
        return self.objectives.tpot_p90_ms

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, threshold: float, description: str
    ) -> cloudwatch.Alarm:
        alarm = notifying_alarm(
            self,
            construct_id,
            metric,
            threshold,
            action=self._notify,
            periods=self.settings.evaluation_minutes,
            description=description,
        )
        self.alarms[construct_id] = alarm
        return alarm

    def graphs(self) -> Sequence[cloudwatch.IWidget]:
        """p90 TTFT and TPOT, the tier's and each version's, or p90 completion time; each
        with the objective as a horizontal line."""
        objectives = self.objectives
        if objectives.streamed:
            return [
                self._graph(
                    "router: p90 time to first token (ms)",
                    contract.TTFT_METRIC,
                    self._ttft_ms,
                    f"objective {self._ttft_ms / 1000:g} s",
                ),
                self._graph(
                    "router: p90 time per output token (ms)",
                    contract.TPOT_METRIC,
                    self._tpot_ms,
                    f"objective {self._tpot_ms:g} ms",
                ),
            ]
        assert objectives.completion_p90_s is not None
        return [
            self._graph(
                "router: p90 job completion time (ms)",
                contract.COMPLETION_METRIC,
                objectives.completion_p90_s * 1000,
                f"objective {objectives.completion_p90_s:g} s",
            )
        ]

    def _graph(self, title: str, name: str, objective: float, label: str) -> cloudwatch.GraphWidget:
        lines = [self.metrics.metric(name, label=self.metrics.tier)] + [
            self.metrics.metric(name, version=version, label=version) for version in self.versions.values()
        ]
        return cloudwatch.GraphWidget(
            title=title,
            left=lines,
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=objective, label=label, color=OBJECTIVE_COLOR)
            ],
            width=GRAPH_WIDTH,
            height=6,
        )
