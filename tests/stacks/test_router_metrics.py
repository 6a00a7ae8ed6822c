"""Service levels from the plan to the alarm: the alarms on the router's metrics, as
synthesized, watch exactly the metrics the router's code writes, at the plan's objectives,
per tier and per version; a tier that no router fronts has none."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deepseek_cdk.planning import Plan, TierPlan, build_plan
from deepseek_cdk.runtime.router import async_jobs, calls, contract, handler, streaming
from deepseek_cdk.spec import parse_deployment
from deepseek_cdk.stacks import build_deployment
from tests.conftest import ROOT, TEST_ENV, Synthesized, make_app
from tests.stacks.test_router import router_config

SHAPES = ROOT / "tests" / "runtime" / "shapes"
ROUTED = ["default", "chat-and-reasoning"]  # the shipped deployments with a router section


def router_alarms(template: Template) -> dict[str, dict[str, Any]]:
    """The alarms on the router's metrics, by logical id."""
    return {
        logical_id: alarm["Properties"]
        for logical_id, alarm in template.find_resources("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"].get("Namespace") == contract.METRICS_NAMESPACE
    }


def identity(namespace: str, name: str, dimensions: dict[str, str]) -> tuple[str, str, frozenset[Any]]:
    return namespace, name, frozenset(dimensions.items())


def alarmed(props: dict[str, Any]) -> tuple[str, str, frozenset[Any]]:
    """The metric an alarm watches: namespace, name, dimensions and their values."""
    dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
    return identity(props["Namespace"], props["MetricName"], dimensions)


def written(document: dict[str, Any]) -> set[tuple[str, str, frozenset[Any]]]:
    """The metrics CloudWatch extracts from one EMF document: each metric, per dimension set."""
    return {
        identity(directive["Namespace"], metric["Name"], {key: document[key] for key in dimension_set})
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
        for dimension_set in directive["Dimensions"]
    }


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, amt: int | None = None) -> bytes:
        return self.data


class FakeAws:
    """SageMaker and S3 answering every call as a healthy deployment would, each real-time
    answer from `variant`, each async result written `takes` seconds after the request."""

    def __init__(self, variant: str, takes: float = 600) -> None:
        self.variant = variant
        self.takes = takes

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        completion = (SHAPES / "lmi_chat_completion.json").read_bytes()
        return {"Body": Body(completion), "InvokedProductionVariant": self.variant}

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
        data = (SHAPES / "lmi_chat_stream.jsonl").read_bytes()
        return {"Body": iter([{"PayloadPart": {"Bytes": data}}]), "InvokedProductionVariant": self.variant}

    def put_object(self, **_: Any) -> dict[str, Any]:
        return {}

    def invoke_endpoint_async(self, **_: Any) -> dict[str, Any]:
        return {"OutputLocation": "s3://bucket/async/reasoning/responses/job.out"}

    def get_object(self, **_: Any) -> dict[str, Any]:
        done = datetime.fromtimestamp(calls.wall() + self.takes, tz=UTC)
        return {"Body": io.BytesIO(b'{"answer": 42}'), "ContentLength": 14, "LastModified": done}


def served(
    s: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    """The EMF documents the router writes, with the deployment's own config, for a stream
    and a buffered answer from each real-time tier and a job of each async tier."""
    config = router_config(s)
    monkeypatch.setattr(async_jobs, "_job_keys", {config.job_key_secret: b"k" * 64})
    for name, tier in config.tiers.items():
        planned = s.plan.tier(name)
        aws = FakeAws(variant=next(v.slot for v in planned.capacity.live if v.slot))
        monkeypatch.setattr(calls, "client", lambda service, read_timeout=0, aws=aws: aws)
        body = json.dumps({"prompt": "2+2?", "tier": name, "max_tokens": 16})
        post = {"httpMethod": "POST", "resource": "/invoke", "headers": {}, "body": body}
        if tier.queued:
            job_id = json.loads(handler.invoke(config, post, calls.now() + 10, calls.now())["body"])["job_id"]
            status = async_jobs.job_status(config, job_id, calls.now() + 10)
            assert json.loads(status["body"])["status"] == "done"
        else:
            assert handler.invoke(config, post, calls.now() + 10, calls.now())["statusCode"] == 200
            b"".join(streaming.stream(config, {**post, "resource": "/stream"}, calls.now() + 10))
    out = capsys.readouterr().out
    return [d for d in (json.loads(line) for line in out.splitlines() if line.startswith("{")) if "_aws" in d]


@pytest.mark.parametrize("name", ROUTED)
def test_every_router_alarm_watches_a_metric_the_router_writes(
    synthesized: dict[str, Synthesized],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = synthesized[name]
    documents = served(s, monkeypatch, capsys)
    assert len(documents) == sum(2 if not t.endpoint.queued else 1 for t in s.plan.tiers)
    metrics = set().union(*(written(d) for d in documents))
    alarms = router_alarms(s.inference)
    assert alarms
    assert {
        logical_id: alarmed(props) for logical_id, props in alarms.items() if alarmed(props) not in metrics
    } == {}
    # The alarms watch each kind's service levels, per tier and per version.
    names = {(props["MetricName"], len(props["Dimensions"])) for props in alarms.values()}
    per_tier, per_version = len(contract.TIER_DIMENSIONS), len(contract.VERSION_DIMENSIONS)
    assert names == {
        (contract.TTFT_METRIC, per_tier),
        (contract.TTFT_METRIC, per_version),
        (contract.TPOT_METRIC, per_tier),
        (contract.TPOT_METRIC, per_version),
        (contract.COMPLETION_METRIC, per_tier),
    }


def expected_alarms(plan: Plan, tier: TierPlan) -> dict[tuple[str, frozenset[Any]], float]:
    """(metric name, dimensions): threshold, for every alarm the plan's objectives call for."""
    objectives = tier.objectives
    of_tier = {"Deployment": plan.deployment, "Tier": tier.name}
    if not objectives.streamed:
        assert objectives.completion_p90_s is not None
        return {(contract.COMPLETION_METRIC, frozenset(of_tier.items())): objectives.completion_p90_s * 1000}
    assert objectives.ttft_p90_s is not None and objectives.tpot_p90_ms is not None
    expected = {}
    for dimensions in [of_tier, *({**of_tier, "Version": v.version} for v in tier.capacity.live)]:
        expected[contract.TTFT_METRIC, frozenset(dimensions.items())] = objectives.ttft_p90_s * 1000
        expected[contract.TPOT_METRIC, frozenset(dimensions.items())] = objectives.tpot_p90_ms
    return expected


def check_alarms_hold_the_objectives(plan: Plan, template: Template) -> None:
    alarms = router_alarms(template)
    (alerts,) = [k for k in template.find_resources("AWS::SNS::Topic") if k.startswith("NotificationsAlerts")]
    found = {}
    for props in alarms.values():
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        tier = plan.tier(dimensions["Tier"])
        found[props["MetricName"], frozenset(dimensions.items())] = props["Threshold"]
        evaluation = tier.alarms.settings.evaluation_minutes
        assert (props["EvaluationPeriods"], props["DatapointsToAlarm"], props["Period"]) == (
            evaluation,
            evaluation,
            60,
        )
        assert (props["ExtendedStatistic"], props["ComparisonOperator"]) == ("p90", "GreaterThanThreshold")
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmActions"] == [{"Ref": alerts}]  # as the tier's other alarms
    expected = {key: value for tier in plan.tiers for key, value in expected_alarms(plan, tier).items()}
    assert found == pytest.approx(expected)


@pytest.mark.parametrize("name", ROUTED)
def test_alarms_per_tier_and_version_at_the_plans_objectives(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    s = synthesized[name]
    check_alarms_hold_the_objectives(s.plan, s.inference)


@pytest.mark.parametrize("name", ["r1-full", "scale-to-zero", "canary-with-shadow"])
def test_a_deployment_without_a_router_has_no_alarms_on_its_metrics(
    synthesized: dict[str, Synthesized], name: str
) -> None:
    assert synthesized[name].plan.router is None
    assert router_alarms(synthesized[name].inference) == {}


def test_the_dashboard_draws_each_objective_beside_what_the_router_measures(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["default"]
    (dashboard,) = s.inference.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))
    graphs = {w["properties"]["title"]: w["properties"] for w in body["widgets"] if w["type"] == "metric"}
    chat, reasoning = s.plan.tier("chat").objectives, s.plan.tier("reasoning").objectives
    assert chat.ttft_p90_s is not None and reasoning.completion_p90_s is not None
    for title, metric, objective in [
        ("router: p90 time to first token (ms)", contract.TTFT_METRIC, chat.ttft_p90_s * 1000),
        ("router: p90 time per output token (ms)", contract.TPOT_METRIC, chat.tpot_p90_ms),
        (
            "router: p90 job completion time (ms)",
            contract.COMPLETION_METRIC,
            reasoning.completion_p90_s * 1000,
        ),
    ]:
        graph = graphs[title]
        assert {line[1] for line in graph["metrics"]} == {metric}
        assert all(
            line[0] == contract.METRICS_NAMESPACE and line[-1]["stat"] == "p90" for line in graph["metrics"]
        )
        (line,) = graph["annotations"]["horizontal"]
        assert line["value"] == objective


# ---------------------------------------------------------------------------------------
# Two live versions behind a router: a pair of alarms each, and each rolls its variant back

TWO_VERSIONS: dict[str, Any] = {
    "name": "pair",
    "tiers": [
        {
            "name": "chat",
            "model": "deepseek-r1-distill-qwen-7b",
            "max_context_tokens": 8192,
            "scaling": {"min": 4, "max": 8},
            "versions": [
                {"name": "v1", "revision": "6602cadec947dbb53e64f3d8d6425320b2197247", "weight": 50},
                {"name": "v2", "revision": "916b56a44061fd5cd7d6a8fb632557ed4f724f60", "weight": 50},
            ],
            "rollout": {"strategy": "canary", "canary_percent": 50, "bake_minutes": 10},
        },
        {
            "name": "burst",
            "model": "deepseek-r1-distill-qwen-7b",
            "endpoint": "inference-components",
            "max_context_tokens": 8192,
            "scaling": {"min": 0, "max": 4},
            "versions": [
                {"name": "v1", "revision": "6602cadec947dbb53e64f3d8d6425320b2197247", "weight": 50},
                {"name": "v2", "revision": "916b56a44061fd5cd7d6a8fb632557ed4f724f60", "weight": 50},
            ],
            "rollout": {"strategy": "linear", "linear_step_percent": 50, "bake_minutes": 8},
        },
    ],
    "router": {"default_tier": "chat"},
}


@pytest.fixture(scope="module")
def pair() -> tuple[Plan, Template]:
    plan = build_plan(parse_deployment(copy.deepcopy(TWO_VERSIONS)))
    stacks = build_deployment(make_app(), plan, env=TEST_ENV)
    return plan, Template.from_stack(stacks.inference)


def test_each_live_version_gets_its_pair_of_alarms_at_the_objectives(pair: tuple[Plan, Template]) -> None:
    plan, template = pair
    check_alarms_hold_the_objectives(plan, template)
    versions = {
        (
            props["MetricName"],
            next(d["Value"] for d in props["Dimensions"] if d["Name"] == "Tier"),
            dimension["Value"],
        )
        for props in router_alarms(template).values()
        for dimension in props["Dimensions"]
        if dimension["Name"] == "Version"
    }
    assert versions == {
        (metric, tier, version)
        for metric in (contract.TTFT_METRIC, contract.TPOT_METRIC)
        for tier in ("chat", "burst")
        for version in ("v1", "v2")
    }


def test_the_router_config_names_the_version_of_each_variant_and_component(
    pair: tuple[Plan, Template],
) -> None:
    plan, template = pair
    (function, *_) = [
        f["Properties"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if "ROUTER_CONFIG" in json.dumps(f)
    ]
    parts = function["Environment"]["Variables"]["ROUTER_CONFIG"]
    text = parts if isinstance(parts, str) else "".join(p for p in parts["Fn::Join"][1] if isinstance(p, str))
    config = handler.RouterConfig.from_json(text)
    assert config.tiers["chat"].versions == (("live-1", "v1"), ("live-2", "v2"))
    burst = plan.tier("burst")
    assert config.tiers["burst"].versions == tuple(
        (f"{burst.endpoint_name}-{v.slot}", v.version) for v in burst.capacity.live
    )
    assert [name for name, _ in config.tiers["burst"].components] == [
        n for n, _ in config.tiers["burst"].versions
    ]


def logical_ids_of_refs(value: Any) -> set[str]:
    text = json.dumps(value)
    return {part.split('"')[0] for part in text.split('{"Ref": "')[1:]}


def test_a_slow_version_rolls_back_its_own_variant_or_component(pair: tuple[Plan, Template]) -> None:
    _, template = pair
    (endpoint,) = [
        e["Properties"]
        for e in template.find_resources("AWS::SageMaker::Endpoint").values()
        if "DeploymentConfig" in e["Properties"]
    ]
    rollback = {
        a[:-8] for a in logical_ids_of_refs(endpoint["DeploymentConfig"]["AutoRollbackConfiguration"])
    }
    # Blue/green watches every live variant's alarms, the router's per-version pairs included.
    assert rollback == {
        f"ChatAlarms{kind}{slot}" for kind in ("Latency", "Errors5xx") for slot in ("Live1", "Live2")
    } | {
        f"ChatRouterAlarms{metric}{slot}"
        for metric in ("TimeToFirstToken", "TimePerOutputToken")
        for slot in ("Live1", "Live2")
    }
    # A component rolls back on its own version's alarms only.
    for slot in ("Live1", "Live2"):
        (component,) = [
            c["Properties"]
            for k, c in template.find_resources("AWS::SageMaker::InferenceComponent").items()
            if k.startswith(f"BurstEndpointComponent{slot}")
        ]
        alarms = {
            a[:-8] for a in logical_ids_of_refs(component["DeploymentConfig"]["AutoRollbackConfiguration"])
        }
        assert alarms == {
            f"BurstAlarmsLatency{slot}",
            f"BurstAlarmsErrors5xx{slot}",
            f"BurstRouterAlarmsTimeToFirstToken{slot}",
            f"BurstRouterAlarmsTimePerOutputToken{slot}",
        }


def test_the_router_alarms_depend_on_names_only(pair: tuple[Plan, Template]) -> None:
    """No alarm on the router's metrics refers to a resource (but its topic): they can guard
    the endpoints the router calls without a dependency cycle."""
    _, template = pair
    resources = template.to_json()["Resources"]
    for logical_id in router_alarms(template):
        resource = resources[logical_id]
        properties = {k: v for k, v in resource["Properties"].items() if k != "AlarmActions"}
        assert "Ref" not in json.dumps(properties) and "Fn::GetAtt" not in json.dumps(properties)
        assert "DependsOn" not in resource
