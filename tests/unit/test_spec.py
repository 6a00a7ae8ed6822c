"""The deployment spec: every class of bad input gets a line that names the field."""

import re
from pathlib import Path
from typing import Any

import pytest

from deepseek_cdk.spec import SpecError, load_deployment, parse_deployment

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT_FILES = sorted((ROOT / "deployments").rglob("*.yaml"))


def spec(**tier_overrides: Any) -> dict[str, Any]:
    tier = {"name": "chat", "model": "deepseek-r1-distill-qwen-7b", **tier_overrides}
    return {"name": "test", "tiers": [tier]}


def problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as err:
        parse_deployment(data)
    return err.value.problems


@pytest.mark.parametrize("path", DEPLOYMENT_FILES, ids=lambda p: p.name)
def test_every_shipped_deployment_validates(path: Path) -> None:
    assert load_deployment(path).tiers


def test_default_deployment_is_real_time_chat_and_async_reasoning_behind_a_router() -> None:
    d = load_deployment(None)
    assert [(t.name, t.endpoint, t.model) for t in d.tiers] == [
        ("chat", "realtime", "deepseek-r1-distill-qwen-7b"),
        ("reasoning", "async", "deepseek-r1-distill-qwen-32b"),
    ]
    assert d.router is not None and d.router.default_tier == "chat"
    assert {r.tier for r in d.router.rules} == {"reasoning"}


def test_unknown_model_names_the_closest_and_lists_the_known_ones() -> None:
    (line,) = problems(spec(model="deepseek-r2"))
    assert line.startswith(
        "tiers[0].model: unknown model; did you mean deepseek-r1? known models: deepseek-r1, "
    )
    assert "deepseek-r1-distill-llama-70b" in line and "(got 'deepseek-r2')" in line


def test_misspelt_key_is_an_error_naming_the_closest_key_and_listing_the_allowed_ones() -> None:
    (line,) = problems(spec(max_concurency=8))
    assert line.startswith(
        "tiers[0].max_concurency: unknown key; did you mean max_concurrency? allowed keys here: name, model"
    )


def test_misspelt_nested_key_names_its_path() -> None:
    (line,) = problems(spec(scaling={"minimum": 1}))
    assert line.startswith(
        "tiers[0].scaling.minimum: unknown key; did you mean min? allowed keys here: min, max"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"name": "test", "tiers": [], "rooter": {}},
            "rooter: unknown key; did you mean router? allowed keys",
        ),
        (
            spec(slo={"ttft_p90_second": 1}),
            "tiers[0].slo.ttft_p90_second: unknown key; did you mean ttft_p90_seconds? allowed keys",
        ),
        (
            spec(versions=[{"name": "v1", "wieght": 100}]),
            "tiers[0].versions[0].wieght: unknown key; did you mean weight? allowed keys",
        ),
        (
            {**spec(), "traffic": {"chat": {"peak_rps": 1, "pattern": "flat"}}},
            "traffic.chat.pattern: unknown key; did you mean daily_pattern? allowed keys",
        ),
        (spec(alarms={"zzz": 1}), "tiers[0].alarms.zzz: unknown key; allowed keys here: latency_p90_seconds"),
    ],
)
def test_every_section_names_the_closest_key_when_there_is_one(data: dict[str, Any], expected: str) -> None:
    assert any(line.startswith(expected) for line in problems(data)), problems(data)


def test_out_of_range_value_names_the_field_the_value_and_the_bound() -> None:
    (line,) = problems(spec(scaling={"min": -1}))
    assert line == "tiers[0].scaling.min: must be at least 0 (got -1)"


def test_wrong_enum_value_lists_the_allowed_ones() -> None:
    (line,) = problems(spec(endpoint="serverless"))
    assert line == (
        "tiers[0].endpoint: must be 'realtime', 'inference-components' or 'async' (got 'serverless')"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "test", "tiers": []}, "tiers: must hold at least 1 entry (got 0)"),
        ({"name": "test", "tiers": spec()["tiers"] * 11}, "tiers: must hold at most 10 entries (got 11)"),
        (spec(alarms={"error_5xx_percent": 0}), "tiers[0].alarms.error_5xx_percent: must be above 0 (got 0)"),
        (spec(container="vllm"), "tiers[0].container: must be 'lmi' or 'tgi' (got 'vllm')"),
        ({**spec(), "account": "1234"}, "account: must be an AWS account id: 12 digits, quoted (got '1234')"),
        (
            {**spec(), "traffic": {3: {"peak_rps": 1}}},
            "traffic[3]: must be text; quote values YAML reads as something else (dates, numbers, yes/no) "
            "(got the key 3)",
        ),
        (
            {**spec(), "prices": {"ml.g5.xlarge": {"usd_per_hour": 2, "source": "", "as_of": "2026-01-01"}}},
            "prices['ml.g5.xlarge'].source: must not be empty (got '')",
        ),
        (
            {**spec(), "prices": {"ml.g5.xlarge": {"usd_per_hour": 2, "source": "x", "as_of": "20260101"}}},
            "prices['ml.g5.xlarge'].as_of: must be a date written yyyy-mm-dd (got '20260101')",
        ),
    ],
)
def test_bounds_choices_and_patterns_are_said_in_words(data: dict[str, Any], expected: str) -> None:
    assert problems(data) == [expected]


def test_missing_required_field() -> None:
    assert problems({"name": "test"}) == ["tiers: required, but missing"]


def test_bad_name_says_what_a_name_may_contain() -> None:
    (line,) = problems({"name": "My_Deployment", "tiers": spec()["tiers"]})
    assert line.startswith("name: must be lowercase letters, digits and '-'")


def test_unknown_instance_type_lists_the_catalog() -> None:
    (line,) = problems(spec(instance_type="ml.g4dn.xlarge"))
    assert line.startswith("tiers[0].instance_type: unknown instance type; ")
    assert "catalog types: ml.g5.xlarge, ml.g5.2xlarge, " in line
    assert line.endswith("; or auto (got 'ml.g4dn.xlarge')")


def test_a_misspelt_instance_type_names_the_closest_catalog_types() -> None:
    (line,) = problems(spec(instance_type="ml.g6.2xlarg"))
    assert line.startswith(
        "tiers[0].instance_type: unknown instance type; did you mean ml.g6.2xlarge? catalog types: "
    )
    data = {**spec(), "prices": {"ml.g6e.2xlarg": {"usd_per_hour": 2, "source": "x", "as_of": "2026-01-01"}}}
    (line,) = problems(data)
    assert line.startswith(
        "prices: key 'ml.g6e.2xlarg': unknown instance type; did you mean ml.g6e.2xlarge? "
    )


def test_duplicate_tier_names() -> None:
    data = spec()
    data["tiers"].append(dict(data["tiers"][0]))
    assert problems(data) == ["tiers[1].name: tier name 'chat' is used twice; tier names must be unique"]


def test_min_greater_than_max() -> None:
    assert problems(spec(scaling={"min": 5, "max": 2})) == [
        "tiers[0].scaling.min: must be <= max (2) (got 5)"
    ]


def test_realtime_tier_cannot_scale_to_zero() -> None:
    (line,) = problems(spec(scaling={"min": 0, "max": 2}))
    assert "tiers[0].scaling.min: a realtime endpoint cannot scale to 0" in line
    assert "inference-components and async" in line
    assert parse_deployment(spec(endpoint="async", scaling={"min": 0, "max": 2}))


def test_version_weights_must_sum_to_100() -> None:
    versions = [{"name": "v1", "weight": 90}, {"name": "v2", "weight": 20}]
    assert problems(spec(versions=versions)) == ["tiers[0].versions: weights must sum to 100 (got 110)"]


ONE_LIVE_ONE_CANDIDATE = [{"name": "v1", "weight": 100}, {"name": "v2", "weight": 0}]


def test_a_shadow_and_a_rollout_validate_on_a_real_time_tier() -> None:
    tier = parse_deployment(
        spec(
            versions=ONE_LIVE_ONE_CANDIDATE,
            shadow={"version": "v2", "sample_percent": 20},
            rollout={"strategy": "canary", "canary_percent": 10, "bake_minutes": 15},
            data_capture={"sample_percent": 5},
        )
    ).tiers[0]
    assert tier.shadow is not None and tier.shadow.sample_percent == 20
    assert tier.rollout is not None and tier.rollout.bake_minutes == 15


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"endpoint": "async", "scaling": {"min": 0, "max": 2}, "shadow": {"version": "v2"}},
            "tiers[0].shadow: SageMaker runs shadow variants on real-time endpoints only (tier is async)",
        ),
        (
            {"endpoint": "inference-components", "shadow": {"version": "v2"}},
            "tiers[0].shadow: SageMaker runs shadow variants on real-time endpoints only",
        ),
        (
            {"shadow": {"version": "v3"}},
            "tiers[0].shadow.version: no version is named 'v3'; versions: v1, v2",
        ),
        (
            {"shadow": {"version": "v1"}},
            "tiers[0].shadow.version: v1 has weight 100; a shadow answers nobody, so give it weight 0",
        ),
        (
            {"shadow": [{"version": "v2"}, {"version": "v2"}]},
            "tiers[0].shadow: must be a mapping of keys to values",
        ),
        ({"shadow": {"version": "v2", "sample_percent": 0}}, "tiers[0].shadow.sample_percent: "),
        ({"rollout": {"strategy": "canary", "canary_percent": 60}}, "tiers[0].rollout.canary_percent: "),
        (
            {"rollout": {"strategy": "linear", "linear_step_percent": 5}},
            "tiers[0].rollout.linear_step_percent: ",
        ),
        ({"rollout": {"bake_minutes": 61}}, "tiers[0].rollout.bake_minutes: "),
        ({"rollout": {"strategy": "blue"}}, "tiers[0].rollout.strategy: "),
        (
            {"endpoint": "inference-components", "rollout": {"strategy": "canary"}},
            "tiers[0].rollout.strategy: inference components update in equal batches",
        ),
        (
            {"endpoint": "async", "data_capture": {"sample_percent": 10}},
            "tiers[0].data_capture: deepseek-cdk captures real-time tiers only (tier is async)",
        ),
    ],
)
def test_what_sagemaker_would_refuse_names_the_field(overrides: dict[str, Any], expected: str) -> None:
    lines = problems(spec(versions=ONE_LIVE_ONE_CANDIDATE, **overrides))
    assert any(line.startswith(expected) for line in lines), lines


def test_a_shadow_runs_beside_exactly_one_live_version() -> None:
    versions = [{"name": "v1", "weight": 50}, {"name": "v2", "weight": 50}, {"name": "v3", "weight": 0}]
    (line,) = problems(spec(versions=versions, shadow={"version": "v3"}))
    assert line == (
        "tiers[0].shadow: SageMaker runs a shadow beside exactly one production variant; give one version "
        "a weight above 0 (live: v1, v2)"
    )


def test_only_an_approved_version_takes_traffic_or_shadows() -> None:
    pending = [{"name": "v1", "weight": 100, "approval": "pending"}]
    (line,) = problems(spec(versions=pending))
    assert line.startswith("tiers[0].versions[0].approval: a pending version cannot take traffic")
    rejected_shadow = [{"name": "v1"}, {"name": "v2", "weight": 0, "approval": "rejected"}]
    (line,) = problems(spec(versions=rejected_shadow, shadow={"version": "v2"}))
    assert line.startswith("tiers[0].versions[1].approval: a rejected version cannot take traffic")
    staged = [{"name": "v1"}, {"name": "v2", "weight": 0, "approval": "pending"}]
    assert parse_deployment(spec(versions=staged))


@pytest.mark.parametrize(
    "revision",
    ["<commit>", "{sha}", "TODO", "xxxx", "main branch", "", "COMMIT_SHA", "your-commit-here", "$REV"],
)
def test_a_placeholder_revision_is_refused(revision: str) -> None:
    (line,) = problems(spec(versions=[{"name": "v1", "revision": revision}]))
    assert line.startswith("tiers[0].versions[0].revision: "), line


def test_revision_and_uri_belong_to_their_weights_source() -> None:
    (line,) = problems(
        spec(weights={"source": "s3", "uri": "s3://bucket/p/"}, versions=[{"name": "v1", "revision": "abc"}])
    )
    assert line == "tiers[0].versions[0].revision: only for weights from the Hub; give uri instead"
    (line,) = problems(spec(versions=[{"name": "v1", "uri": "s3://b/p/"}]))
    assert line == "tiers[0].versions[0].uri: only with weights.source: s3; give revision instead"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"rollout": {"strategy": "all-at-once", "canary_percent": 20}},
            "tiers[0].rollout.canary_percent: only with strategy: canary (strategy is all-at-once)",
        ),
        (
            {"rollout": {"strategy": "canary", "linear_step_percent": 20}},
            "tiers[0].rollout.linear_step_percent: only with strategy: linear (strategy is canary)",
        ),
        (
            {
                "endpoint": "inference-components",
                "rollout": {"strategy": "linear", "termination_wait_minutes": 5},
            },
            "tiers[0].rollout.termination_wait_minutes: inference components roll back copy by copy",
        ),
    ],
)
def test_a_rollout_key_the_strategy_ignores_is_refused(overrides: dict[str, Any], expected: str) -> None:
    (line,) = problems(spec(**overrides))
    assert line.startswith(expected), line


def test_revisions_and_version_uris_the_registry_and_s3_would_refuse_are_spec_errors() -> None:
    (line,) = problems(spec(versions=[{"name": "v1", "revision": "release#3"}]))
    assert line.startswith("tiers[0].versions[0].revision: must be 1-200 letters, digits or")
    (line,) = problems(spec(versions=[{"name": "v1", "revision": "a" * 201}]))
    assert line.startswith("tiers[0].versions[0].revision: must be 1-200")
    s3 = {"source": "s3", "uri": "s3://bucket/models/chat/v1/"}
    (line,) = problems(
        spec(weights=s3, versions=[{"name": "v1"}, {"name": "v2", "weight": 0, "uri": "bucket/v2"}])
    )
    assert line.startswith(
        "tiers[0].versions[1].uri: must be an S3 prefix like s3://bucket/prefix/ (ending in '/'), "
        "e.g. s3://bucket/models/<tier>/<version>/"
    )


def test_names_that_differ_only_by_a_dash_are_refused() -> None:
    (line,) = problems(spec(versions=[{"name": "v1-2", "weight": 50}, {"name": "v12", "weight": 50}]))
    assert line == "tiers[0].versions: v1-2 and v12 differ only by '-'; their resources would share a name"
    data = spec()
    data["tiers"].append({"name": "chat-x", "model": "deepseek-r1-distill-qwen-7b"})
    data["tiers"].append({"name": "chatx", "model": "deepseek-r1-distill-qwen-7b"})
    (line,) = problems(data)
    assert line == "tiers: chat-x and chatx differ only by '-'; their resources would share a name"


def test_retention_archives_before_it_expires() -> None:
    data = spec()
    data["retention"] = {"archive_after_days": 400, "expire_after_days": 365}
    (line,) = problems(data)
    assert line.startswith("retention.archive_after_days: must be before expire_after_days (365)")


def test_retention_of_async_jobs_needs_an_async_tier() -> None:
    data = spec()
    data["retention"] = {"async_days": 7}
    (line,) = problems(data)
    assert line == (
        "retention.async_days: keeps async tiers' prompts, results and failures, and this deployment "
        "has no async tier"
    )
    data["tiers"].append({"name": "jobs", "model": "deepseek-r1-distill-qwen-7b", "endpoint": "async"})
    assert parse_deployment(data).retention.async_days == 7


def test_router_rule_naming_a_missing_tier() -> None:
    data = spec()
    data["router"] = {
        "default_tier": "chat",
        "rules": [{"tier": "reasoning", "when": {"max_tokens_at_least": 4096}}],
    }
    assert problems(data) == ["router.rules[0].tier: no tier is named 'reasoning'; tiers: chat"]


def test_a_misspelt_tier_name_in_the_router_names_the_closest_tier() -> None:
    data = spec()
    data["router"] = {"default_tier": "caht"}
    assert problems(data) == ["router.default_tier: no tier is named 'caht'; did you mean chat? tiers: chat"]


def test_router_rule_without_a_condition() -> None:
    data = spec()
    data["router"] = {"default_tier": "chat", "rules": [{"tier": "chat", "when": {}}]}
    assert problems(data)[0].startswith("router.rules[0].when: needs at least one of")


def test_router_regex_must_compile() -> None:
    data = spec()
    data["router"] = {"default_tier": "chat", "rules": [{"tier": "chat", "when": {"prompt_matches": "("}}]}
    assert problems(data)[0].startswith("router.rules[0].when.prompt_matches: not a valid regular expression")


def test_traffic_for_a_missing_tier() -> None:
    data = spec()
    data["traffic"] = {"reasoning": {"peak_rps": 1}}
    assert problems(data) == ["traffic.reasoning: no tier is named 'reasoning'; tiers: chat"]


def test_context_longer_than_the_model_supports() -> None:
    (line,) = problems(spec(model="deepseek-r1-0528-qwen3-8b", max_context_tokens=65536))
    assert line == (
        "tiers[0].max_context_tokens: deepseek-r1-0528-qwen3-8b supports at most 40960 tokens (got 65536)"
    )


def test_s3_weights_need_a_prefix_uri() -> None:
    (line,) = problems(spec(weights={"source": "s3", "uri": "s3://bucket/model.tar.gz"}))
    assert line.startswith(
        "tiers[0].weights.uri: must be an S3 prefix like s3://bucket/prefix/ (ending in '/')"
    )


def test_schedule_needs_exactly_one_of_cron_and_at() -> None:
    sched = {"name": "peak", "cron": "0 8 * * ? *", "at": "2030-03-01T06:00:00", "min": 2}
    (line,) = problems(spec(scaling={"min": 1, "max": 4, "schedules": [sched]}))
    assert line == "tiers[0].scaling.schedules[0]: give exactly one of cron or at"


def test_target_must_be_auto_or_a_positive_number() -> None:
    (line,) = problems(spec(scaling={"target": "high"}))
    expected = "must be 'auto' or a finite number from 0.1 to 1,000,000 (got 'high')"
    assert line == f"tiers[0].scaling.target: {expected}"


def test_all_problems_are_reported_together() -> None:
    data = spec(model="nope", scaling={"min": 3, "max": 1})
    data["name"] = "Bad Name"
    lines = problems(data)
    assert [line.split(":")[0] for line in lines] == ["name", "tiers[0].model"]
    # Cross-field checks run once the shape is valid.
    data = spec(scaling={"min": 3, "max": 1}, versions=[{"name": "v1", "weight": 50}])
    assert len(problems(data)) == 2


@pytest.mark.parametrize(
    ("data", "got"),
    [
        (["not", "a", "mapping"], "a list of 3 entries"),
        ([], "an empty list"),
        ("chat", "the text 'chat'"),
        (3, "the number 3"),
        (True, "true, a yes/no value"),
    ],
)
def test_top_level_must_be_a_mapping_and_says_what_it_got(data: Any, got: str) -> None:
    assert problems(data) == [
        f"(top level): must be a mapping of keys to values, with at least name and tiers (got {got})"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n\n# and another\n", "---\n", "~\n"])
def test_an_empty_file_says_it_is_empty_and_what_a_deployment_needs(tmp_path: Path, text: str) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text(text)
    with pytest.raises(SpecError) as err:
        load_deployment(empty)
    assert err.value.problems == [
        f"{empty}: empty (nothing but comments, or null): a deployment needs at least name and tiers"
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the deployment file"):
        load_deployment(tmp_path / "absent.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_deployment(bad)


def test_a_key_given_twice_in_yaml_is_an_error(tmp_path: Path) -> None:
    twice = tmp_path / "twice.yaml"
    twice.write_text("name: a\nname: b\ntiers: []\n")
    with pytest.raises(SpecError, match="key 'name' is given twice"):
        load_deployment(twice)


def test_async_tier_serves_one_version() -> None:
    versions = [{"name": "v1", "weight": 50}, {"name": "v2", "weight": 50}]
    (line,) = problems(spec(endpoint="async", scaling={"min": 0, "max": 2}, versions=versions))
    assert line == "tiers[0].versions: async tiers serve at most 1 version(s) at a time (got 2)"


def test_a_tier_holds_at_most_ten_versions() -> None:
    versions = [{"name": f"v{i}", "weight": 10 if i < 10 else 0} for i in range(11)]
    (line,) = problems(spec(versions=versions))
    assert line == "tiers[0].versions: real-time tiers serve at most 10 version(s) at a time (got 11)"


@pytest.mark.parametrize("revision", ["release_v2", "fp8_dynamic", "v1.0", "main", "refs/pr/3"])
def test_real_branch_and_tag_names_are_revisions(revision: str) -> None:
    assert parse_deployment(spec(versions=[{"name": "v1", "revision": revision}]))


def test_shipped_one_off_schedules_are_more_than_a_year_ahead() -> None:
    """A past `at` is refused, so a shipped example would stop planning on its date: this
    fails a year before, time enough to move the date."""
    from datetime import UTC, datetime, timedelta

    from deepseek_cdk.cron import parse_at

    horizon = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=366)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    texts = [p.read_text() for p in DEPLOYMENT_FILES] + [p.read_text() for p in pages]
    found = [m for text in texts for m in re.findall(r'at: "([0-9T:-]+)"', text)]
    assert found, "the examples show a one-off schedule"
    assert [at for at in found if parse_at(at) < horizon] == []
