"""Bad input never crashes and never slips through: each class of hostile or mistaken spec
gets exactly one line per problem, naming the field or the file, and nothing else runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import MAX_FILE_BYTES, MAX_SHOWN, SpecError, load_deployment, parse_deployment

TIER = {"name": "chat", "model": "deepseek-r1-distill-qwen-7b"}
ASYNC = {"name": "jobs", "model": "deepseek-r1-distill-qwen-7b", "endpoint": "async"}
NEXT_YEAR = datetime.now(UTC).year + 1


def spec(**tier: Any) -> dict[str, Any]:
    return {"name": "test", "tiers": [{**TIER, **tier}]}


def refused(data: Any, *, plan: bool = False) -> list[str]:
    """The problem lines for `data`; each must be one line."""
    with pytest.raises(SpecError) as err:
        deployment = parse_deployment(data)
        if plan:
            build_plan(deployment)
    assert all("\n" not in line for line in err.value.problems), err.value.problems
    return err.value.problems


def refused_file(tmp_path: Path, content: bytes | str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(SpecError) as err:
        load_deployment(path)
    assert all("\n" not in line for line in err.value.problems), err.value.problems
    return err.value.problems


# --- the file: encoding, size, nesting, aliases, keys ---------------------------------------


def test_a_file_that_is_not_utf8_is_one_line_with_its_line_number(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, b"name: t\ntiers:\n  - name: ch\xffat\n")
    assert line.endswith("line 3: not UTF-8 text (byte 0xff); save the file as UTF-8")


def test_a_file_larger_than_the_bound_is_refused_before_parsing(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, "name: t\n# " + "x" * MAX_FILE_BYTES + "\n")
    assert line.endswith(f"more than {MAX_FILE_BYTES:,} bytes; a deployment spec is a few kilobytes")


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_stops_at_the_bound_not_at_pythons_recursion_limit(
    tmp_path: Path, opening: str, closing: str
) -> None:
    (line,) = refused_file(tmp_path, "name: t\ntiers: " + opening * 5000 + "1" + closing * 5000 + "\n")
    assert "not valid YAML: line 2" in line and "nested deeper than 32 levels" in line


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    rows += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (line,) = refused_file(tmp_path, "\n".join([*rows, "name: t", "tiers: *a8", ""]))
    assert line.endswith("more than 100,000 values once YAML aliases are expanded; write the spec out")


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, "name: t\ntiers: &loop [*loop]\n")
    assert "once YAML aliases are expanded" in line


@pytest.mark.parametrize("key", ["? [a, b]\n: 1", "? {a: 1}\n: 1"])
def test_a_key_that_is_a_list_or_a_mapping_is_one_line(tmp_path: Path, key: str) -> None:
    (line,) = refused_file(tmp_path, f"{key}\nname: t\n")
    assert line.endswith("line 1, column 3: a key must be a name, not a list or a mapping")


def test_yaml_merge_keys_work_and_explicit_keys_override_them(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: t\n"
        "tiers:\n"
        "  - &base {name: chat, model: deepseek-r1-distill-qwen-7b, max_concurrency: 8}\n"
        "  - <<: *base\n"
        "    name: batch\n"
        "    max_concurrency: 4\n"
    )
    chat, batch = load_deployment(path).tiers
    assert (chat.name, chat.max_concurrency) == ("chat", 8)
    assert (batch.name, batch.model, batch.max_concurrency) == ("batch", chat.model, 4)


def test_a_key_given_twice_is_still_refused_beside_merge_keys(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, "name: t\nname: u\n")
    assert line.endswith("line 2, column 1: key 'name' is given twice")


def test_yaml_syntax_errors_are_one_line_with_the_position(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, "name: t\ntiers: [\n  - {a: 1\n")
    assert "not valid YAML: line" in line


def test_a_second_document_is_refused(tmp_path: Path) -> None:
    (line,) = refused_file(tmp_path, "name: t\n---\nname: u\n")
    assert "not valid YAML" in line


# --- values: strict types, finite numbers, short echoes --------------------------------------


@pytest.mark.parametrize(
    "value, rule",
    [
        (True, "must be a whole number"),
        ("8", "must be a whole number"),
        (8.0, "must be a whole number"),
        (float("nan"), "must be a whole number"),
        ([8], "must be a whole number"),
    ],
)
def test_integers_are_never_coerced(value: Any, rule: str) -> None:
    (line,) = refused(spec(max_concurrency=value))
    assert line.startswith(f"tiers[0].max_concurrency: {rule}")


@pytest.mark.parametrize(
    "tier, path",
    [
        ({"slo": {"ttft_p90_seconds": float("inf")}}, "tiers[0].slo.ttft_p90_seconds"),
        ({"slo": {"tpot_p90_ms": float("nan")}}, "tiers[0].slo.tpot_p90_ms"),
        ({"gpu_memory_utilization": float("nan")}, "tiers[0].gpu_memory_utilization"),
        ({"scaling": {"target": float("inf")}}, "tiers[0].scaling.target"),
        ({"scaling": {"target": float("nan")}}, "tiers[0].scaling.target"),
        ({"versions": [{"name": "v1", "weight": float("nan")}]}, "tiers[0].versions[0].weight"),
    ],
)
def test_numbers_must_be_finite(tier: dict[str, Any], path: str) -> None:
    (line,) = refused(spec(**tier))
    assert line.startswith(f"{path}: must be ") and "finite" in line


def test_infinite_traffic_and_budget_are_refused() -> None:
    data = spec()
    data["traffic"] = {"chat": {"peak_rps": float("inf")}}
    data["budget_usd_per_month"] = float("inf")
    assert [line.split(":")[0] for line in refused(data)] == ["budget_usd_per_month", "traffic.chat.peak_rps"]


@pytest.mark.parametrize(
    ("value", "says"),
    [(0, "must be at least 1 (got 0)"), (10**8, "must be at most 10,000,000 (got"), ("800", "whole number")],
)
def test_a_bad_p90_output_length_is_one_line_naming_it(value: Any, says: str) -> None:
    data = spec()
    data["traffic"] = {"chat": {"peak_rps": 1, "p90_output_tokens": value}}
    (line,) = refused(data)
    assert line.startswith("traffic.chat.p90_output_tokens: ") and says in line, line


@pytest.mark.parametrize(
    "tier, path",
    [
        ({"slo": {"ttft_p90_seconds": "2"}}, "tiers[0].slo.ttft_p90_seconds"),
        ({"scaling": {"min": False}}, "tiers[0].scaling.min"),
        ({"versions": [{"name": "v1", "revision": 1234567}]}, "tiers[0].versions[0].revision"),
        ({"name": 7}, "tiers[0].name"),
    ],
)
def test_no_value_changes_type_on_the_way_in(tier: dict[str, Any], path: str) -> None:
    (line,) = refused(spec(**tier))
    assert line.startswith(f"{path}: must be")


def test_an_unquoted_date_for_at_says_to_quote_it() -> None:
    schedule = {"name": "launch", "at": datetime(NEXT_YEAR, 3, 1, 6), "min": 2, "max": 4}
    (line,) = refused(spec(scaling={"min": 1, "max": 4, "schedules": [schedule]}))
    assert line.startswith("tiers[0].scaling.schedules[0].at: must be text; quote values YAML reads")


def test_a_huge_value_is_shortened_in_its_line() -> None:
    (line,) = refused(spec(model="m" * 1_000_000))
    assert len(line) < 400 and "characters)" in line
    (line,) = refused({"name": "t", "tiers": [TIER], "x": "y" * 1_000_000})
    assert len(line) < 400


def test_every_problem_is_one_line_even_for_values_with_newlines() -> None:
    lines = refused(spec(name="chat\nx", instance_type="ml.g5.xlarge\n", model="a\nb"))
    assert len(lines) == 3
    assert all(len(line) <= 60 + MAX_SHOWN * 20 for line in lines)


# --- names, regions, addresses, S3 URIs --------------------------------------------------------


@pytest.mark.parametrize(
    "name, reserved", [("xn--a", "xn--"), ("sthree-a", "sthree-"), ("amzn-s3-demo-a", "amzn-s3-demo-")]
)
def test_a_deployment_name_that_makes_a_bucket_name_s3_refuses_is_a_plan_error(
    name: str, reserved: str
) -> None:
    (line,) = refused({"name": name, "tiers": [TIER]}, plan=True)
    assert line.startswith(f"name: makes the S3 bucket name '{name}-artifacts-")
    assert line.endswith(f"which AWS refuses: starts with the reserved {reserved!r}")


@pytest.mark.parametrize(
    "account",
    [
        "12345678901",
        "1234567890123",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
        "123456789012\n",
        123456789012,
    ],
)
def test_account_ids_are_twelve_ascii_digits_as_text(account: Any) -> None:
    (line,) = refused({"name": "t", "account": account, "tiers": [TIER]})
    assert line.startswith("account: must be")


@pytest.mark.parametrize(
    "email",
    [
        "a@b..com",
        "a..b@example.com",
        ".a@example.com",
        "a@example",
        "a@-x.com",
        "a b@x.com",
        "ä@x.com",
        "a@b@c.com",
        "a@x.c0m",
        "a" * 65 + "@x.com",
    ],
)
def test_email_addresses_sns_would_refuse_are_refused(email: str) -> None:
    (line,) = refused({"name": "t", "alarm_email": email, "tiers": [TIER]})
    assert line.startswith("alarm_email: must be one address like ops@example.com")


def test_ordinary_email_addresses_pass() -> None:
    for email in ("ops@example.com", "first.last+alerts@sub.example.co.uk", "o'brien@x.io"):
        assert parse_deployment({"name": "t", "alarm_email": email, "tiers": [TIER]}).alarm_email == email


@pytest.mark.parametrize(
    "uri, reason",
    [
        ("s3://192.168.1.1/models/", "formatted as an IP address"),
        ("s3://my..bucket/models/", "not of the form"),
        ("s3://my-.bucket/models/", "not of the form"),
        ("s3://xn--bucket/models/", "starts with the reserved 'xn--'"),
        ("s3://bucket--ol-s3/models/", "ends with the reserved '--ol-s3'"),
        ("s3://Bucket/models/", "not of the form"),
        ("s3://bucket/models/\n", "control character U+000A"),
        ("s3://bucket/models", "must be an S3 prefix"),
        ("s3://bucket//models/", "no empty part"),
        ("s3://bucket/mo\x07dels/", "control character U+0007"),
    ],
)
def test_s3_weight_prefixes_s3_would_refuse_are_refused(uri: str, reason: str) -> None:
    (line,) = refused(spec(weights={"source": "s3", "uri": uri}))
    assert line.startswith("tiers[0].weights.uri: ") and reason in line


# --- schedules ---------------------------------------------------------------------------------


def schedules(*items: dict[str, Any], endpoint: str = "async") -> dict[str, Any]:
    return spec(endpoint=endpoint, scaling={"min": 0, "max": 4, "schedules": list(items)})


@pytest.mark.parametrize(
    "zone", ["posixrules", "Factory", "localtime", "right/UTC", "../../etc/passwd", "utc "]
)
def test_time_zones_must_be_iana_names_not_files_on_this_machine(zone: str) -> None:
    (line,) = refused(schedules({"name": "a", "cron": "0 8 ? * MON *", "timezone": zone, "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].timezone: not an IANA time zone name")


def test_every_zone_the_tz_database_lists_is_a_time_zone_and_nothing_else_is() -> None:
    """The check loads a name instead of listing every zone; it accepts what the listing holds."""
    from zoneinfo import available_timezones

    from deepseek_cdk.spec.base import is_time_zone

    listed = available_timezones()
    assert listed and all(is_time_zone(name) for name in listed - {"Factory", "localtime", "posixrules"})
    assert not any(is_time_zone(name) for name in ("Europe", "europe/berlin", "posix/UTC", "zone.tab", ""))


@pytest.mark.parametrize(
    "cron", ["0 7 30 2 ? *", "0 7 31 4 ? *", "0 7 1 1 ? 2020", "0 7 ? * MON 2021-2023", "0 7 29 2 ? 2027"]
)
def test_a_cron_that_never_fires_again_is_refused(cron: str) -> None:
    (line,) = refused(schedules({"name": "a", "cron": cron, "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].cron: never fires from today on")


def test_the_29th_of_february_fires_in_leap_years() -> None:
    parse_deployment(schedules({"name": "leap", "cron": "0 7 29 2 ? *", "min": 1}))


def test_a_one_off_in_the_past_is_refused_and_one_ahead_passes() -> None:
    (line,) = refused(schedules({"name": "a", "at": "2020-01-01T00:00:00", "min": 1}))
    assert (
        line == "tiers[0].scaling.schedules[0].at: 2020-01-01T00:00:00 in UTC is in the past, so it would "
        "never fire"
    )
    ahead = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    parse_deployment(schedules({"name": "a", "at": ahead, "min": 1}))


@pytest.mark.parametrize(
    "text", ["0 \u0667 ? * MON *", "0 7 ? * MON */\u0662", "0 7 ? * MON \u0662\u0660\u0663\u0660"]
)
def test_digits_of_other_scripts_are_not_cron_numbers(text: str) -> None:
    (line,) = refused(schedules({"name": "a", "cron": text, "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].cron: ")


def test_an_at_with_digits_of_other_scripts_is_refused() -> None:
    (line,) = refused(schedules({"name": "a", "at": f"{NEXT_YEAR}-0\u0663-01T06:00:00", "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].at: must be a time like")


def test_a_dated_cron_whose_min_is_above_the_tier_max_must_set_max() -> None:
    (line,) = refused(schedules({"name": "a", "cron": f"0 7 1 3 ? {NEXT_YEAR}", "min": 6}))
    assert line.startswith("tiers[0].scaling.schedules[0].max: a one-off or dated schedule whose min (6)")


def test_schedules_that_coincide_only_in_summer_time_are_reported() -> None:
    # 08:00 in Berlin is 06:00 UTC in summer (07:00 in winter): they meet from spring to autumn.
    berlin = {"name": "berlin", "cron": "0 8 ? * MON *", "timezone": "Europe/Berlin", "min": 2}
    utc = {"name": "utc", "cron": "0 6 ? * MON *", "timezone": "UTC", "max": 3}
    (line,) = refused(schedules(berlin, utc), plan=True)
    assert line.startswith(
        "tiers[0].scaling.schedules[1]: 'utc' fires at the same time as schedules[0] 'berlin'"
    )


def test_a_dated_cron_that_coincides_with_a_weekly_one_is_reported() -> None:
    weekly = {"name": "weekly", "cron": "0 6 ? * * *", "min": 1}
    dated = {"name": "dated", "cron": f"0 6 15 6 ? {NEXT_YEAR}", "max": 3}
    (line,) = refused(schedules(weekly, dated), plan=True)
    assert line.startswith("tiers[0].scaling.schedules[1]: 'dated' fires at the same time as schedules[0]")
    assert f"{NEXT_YEAR}-06-15 06:00 UTC" in line


def test_a_one_off_at_the_moment_of_a_dated_cron_is_reported() -> None:
    dated = {"name": "dated", "cron": f"0 6 15 6 ? {NEXT_YEAR}", "max": 3}
    once = {"name": "once", "at": f"{NEXT_YEAR}-06-15T06:00:00", "min": 2}
    (line,) = refused(schedules(dated, once), plan=True)
    assert line.startswith("tiers[0].scaling.schedules[1]: 'once' fires at the same time as schedules[0]")


# --- router rules --------------------------------------------------------------------------------


def routed(*rules: dict[str, Any], context: int = 8192) -> dict[str, Any]:
    chat = {**TIER, "max_context_tokens": context}
    jobs = {**ASYNC, "max_context_tokens": context, "scaling": {"min": 0, "max": 2}}
    return {"name": "t", "tiers": [chat, jobs], "router": {"default_tier": "chat", "rules": list(rules)}}


def test_a_rule_an_earlier_rule_always_catches_first_is_refused() -> None:
    broad = {"tier": "jobs", "when": {"max_tokens_at_least": 1000}}
    narrow = {"tier": "chat", "when": {"max_tokens_at_least": 4000, "prompt_chars_at_least": 10}}
    (line,) = refused(routed(broad, narrow))
    assert line.startswith(
        "router.rules[1].when: never matches: every request it matches, rules[0] matches first"
    )
    parse_deployment(routed(narrow, broad))  # the narrower first is fine


@pytest.mark.parametrize(
    "when", [{"max_tokens_at_least": 9000}, {"prompt_chars_at_least": 40_000}, {"max_tokens_at_least": 8180}]
)
def test_a_rule_whose_every_match_its_tier_must_refuse_is_a_plan_error(when: dict[str, Any]) -> None:
    (line,) = refused(routed({"tier": "jobs", "when": when}), plan=True)
    assert line.startswith("router.rules[0].when: never served: the shortest request it matches")


def test_a_rule_asking_a_real_time_tier_for_more_than_any_route_carries_is_a_plan_error() -> None:
    spec = routed({"tier": "chat", "when": {"max_tokens_at_least": 8000}})
    # A 200 ms TPOT objective streams (900 s - 2 s) x 5 = 4490 tokens in API Gateway's 15 minutes.
    spec["tiers"][0]["slo"] = {"ttft_p90_seconds": 2, "tpot_p90_ms": 200}
    (line,) = refused(spec, plan=True)
    assert "answers of at most 4490 tokens" in line


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ("^(a+)+$", "a repeat inside a repeat"),
        ("(\\w+\\s?)*$", "a repeat inside a repeat"),
        ("(x+x+)+y", "a repeat inside a repeat"),
        ("(a|ab)*c", "an alternation inside a repeat"),
        ("(.*a){12}", "a repeat inside a repeat"),
        ("(a)\\1", "backreferences"),
        ("a" * 201, "at most 200 characters"),
        ("(", "not a valid regular expression"),
    ],
)
def test_rule_patterns_that_can_backtrack_for_ever_are_refused(pattern: str, reason: str) -> None:
    (line,) = refused(routed({"tier": "jobs", "when": {"prompt_matches": pattern}}))
    assert line.startswith("router.rules[0].when.prompt_matches: ") and reason in line


def test_ordinary_rule_patterns_pass() -> None:
    for pattern in ("^(hi|hello)\\b", "(?i)\\b(prove|derive)\\b", "[A-Z]{3,}-[0-9]+", "step.*by.*step"):
        parse_deployment(routed({"tier": "jobs", "when": {"prompt_matches": pattern}}))


def test_finite_but_huge_numbers_are_refused_before_the_planners_arithmetic() -> None:
    data = spec(scaling={"target": 1e300})
    data["traffic"] = {"chat": {"peak_rps": 4.5e307, "avg_output_tokens": 10**15}}
    lines = refused(data, plan=True)
    assert [line.split(":")[0] for line in lines] == [
        "tiers[0].scaling.target",
        "traffic.chat.peak_rps",
        "traffic.chat.avg_output_tokens",
    ]


def test_long_references_are_shortened_in_their_lines() -> None:
    data = spec()
    data["router"] = {"default_tier": "x" * 5000}
    data["traffic"] = {"y" * 5000: {"peak_rps": 1}}
    lines = refused(data)
    assert len(lines) == 2 and all(len(line) < 300 for line in lines)


@pytest.mark.parametrize(
    "schedule, field",
    [
        ({"cron": "0 8 ? * MON-FRI 2199"}, "cron: first fires on 2199-"),
        ({"cron": f"0 8 1 1 ? {NEXT_YEAR + 5}"}, f"cron: first fires on {NEXT_YEAR + 5}-01-01"),
        ({"at": f"{NEXT_YEAR + 6}-01-01T08:00:00"}, "at: "),
    ],
)
def test_a_schedule_first_firing_more_than_5_years_ahead_is_refused(
    schedule: dict[str, Any], field: str
) -> None:
    (line,) = refused(schedules({"name": "far", "min": 1, **schedule}))
    assert line.startswith(f"tiers[0].scaling.schedules[0].{field}") and "more than 5 years ahead" in line
    assert line.endswith("check the year")


def test_a_schedule_within_5_years_and_a_cron_listing_a_far_year_after_a_near_one_pass() -> None:
    parse_deployment(schedules({"name": "near", "cron": f"0 8 ? * MON-FRI {NEXT_YEAR + 3}", "min": 1}))
    parse_deployment(schedules({"name": "both", "cron": f"0 8 1 1 ? {NEXT_YEAR},2199", "min": 1}))


def test_a_cron_firing_more_often_than_every_15_minutes_is_refused() -> None:
    (line,) = refused(schedules({"name": "busy", "cron": "*/5 * ? * * *", "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].cron: fires more than 96 times a day")


def test_more_than_20_schedules_are_refused() -> None:
    many = [{"name": f"s{i}", "cron": f"{i} 8 ? * MON *", "min": 1} for i in range(21)]
    (line,) = refused(schedules(*many))
    assert line == "tiers[0].scaling.schedules: must hold at most 20 entries (got 21)"


@pytest.mark.parametrize("pattern", ["(?:a?){30}a{30}", "(a|)*b", "(?:\\b)+x"])
def test_a_repeated_group_that_can_match_nothing_is_refused(pattern: str) -> None:
    (line,) = refused(routed({"tier": "jobs", "when": {"prompt_matches": pattern}}))
    assert "can match nothing" in line or "alternation inside a repeat" in line


@pytest.mark.parametrize(
    "where, path",
    [
        ("measured", "tiers[0].measured.date"),
        ("api_prices", "api_prices.mine.as_of"),
    ],
)
def test_dates_that_do_not_exist_are_refused(where: str, path: str) -> None:
    data = spec()
    if where == "measured":
        data["tiers"][0]["measured"] = {
            "tokens_per_second": 100,
            "concurrency": 8,
            "instance_type": "ml.g6.2xlarge",
            "date": "2026-99-99",
        }
    else:
        data["api_prices"] = {
            "mine": {
                "input_usd_per_million": 1,
                "output_usd_per_million": 2,
                "as_of": "2026-02-30",
                "source": "x",
            }
        }
    (line,) = refused(data)
    assert line.startswith(f"{path}: not a date that exists")


# --- whole numbers beyond what Python reads from text (int_max_str_digits: 4,300 digits) ---


def one_tier_file(setting: str) -> str:
    return f"name: t\ntiers:\n  - {{name: chat, model: {TIER['model']}, {setting}}}\n"


@pytest.mark.parametrize(
    "literal",
    ["9" * 5000, "-" + "1" * 4301, "0x" + "f" * 5000, "1" + ":1" * 15, "1_000_000_000_000_000_000"],
)
def test_a_whole_number_too_large_for_a_spec_is_one_line_naming_its_field(
    tmp_path: Path, literal: str
) -> None:
    problems = refused_file(tmp_path, one_tier_file(f"max_concurrency: {literal}"))
    assert problems == ["tiers[0].max_concurrency: a whole number beyond 1e+18; no spec value is that large"]


def test_a_huge_whole_number_given_as_data_names_its_field_and_its_key() -> None:
    huge = 1 << 20_000  # 6,021 digits: repr() of it raises ValueError
    assert refused({**spec(), "budget_usd_per_month": huge}) == [
        "budget_usd_per_month: a whole number beyond 1e+18; no spec value is that large"
    ]
    assert refused({**spec(), "traffic": {huge: {}}}) == [
        "traffic: a whole number beyond 1e+18; no spec value is that large"
    ]


def test_plan_on_a_spec_with_a_5000_digit_number_exits_2_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "spec.yaml"
    path.write_text(one_tier_file(f"max_concurrency: {'9' * 5000}"))
    command = [sys.executable, "-m", "deepseek_cdk.cli", "plan", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "tiers[0].max_concurrency: a whole number beyond 1e+18" in result.stderr


# --- values that pass every type and range check and still mislead ----------------------------


def priced(**price: Any) -> dict[str, Any]:
    mine = {"input_usd_per_million": 1, "output_usd_per_million": 2, "as_of": "2025-01-20", "source": "x"}
    return {**spec(), "api_prices": {"mine": {**mine, **price}}}


def test_a_date_in_the_future_is_refused_for_prices_and_measurements() -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    (line,) = refused(priced(as_of=later))
    assert line.startswith("api_prices.mine.as_of: in the future; give the date the price was read")
    measured = {"tokens_per_second": 100, "concurrency": 8, "instance_type": "ml.g6.2xlarge", "date": later}
    (line,) = refused(spec(measured=measured))
    assert line.startswith("tiers[0].measured.date: in the future; give the date the measurement was taken")
    parse_deployment(priced(as_of=datetime.now(UTC).date().isoformat()))  # today is not the future


@pytest.mark.parametrize(
    "text", ["\x1b[2J\x1b[31mfree", "a\tb", "line\nbreak", "\x9b31m", "evil\u202egnp.exe", "a\u2028b", "\x00"]
)
def test_control_characters_are_refused_in_every_text_and_key_the_cli_prints(text: str) -> None:
    (line,) = refused(priced(source=text))
    assert line.startswith("api_prices.mine.source: text holds the control character U+"), line
    (line,) = refused({**spec(), "traffic": {f"chat{text}": {"peak_rps": 1}}})
    assert line.startswith("traffic: key ") and "holds the control character" in line
    (line,) = refused({**spec(), "alarm_email": f"ops@example.com{text}"})
    assert line.startswith("alarm_email: text holds the control character U+"), line
    window = {"name": "a", "at": f" {NEXT_YEAR}-03-01T06:00:00{text}", "min": 1}
    (line,) = refused(schedules(window))
    assert line.startswith("tiers[0].scaling.schedules[0].at: "), line
    assert all(ch.isprintable() for ch in line), line  # shown escaped, never raw


def test_an_ansi_escape_in_a_spec_never_reaches_the_terminal(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "spec.yaml"
    path.write_text(
        one_tier_file("max_concurrency: 8")
        + 'api_prices:\n  mine: {input_usd_per_million: 1, output_usd_per_million: 2, as_of: "2025-01-20",\n'
        + '         source: "\\e[2J\\e[1;31mofficial price"}\n'
    )
    for command in ("plan", "cost"):
        result = subprocess.run(
            [sys.executable, "-m", "deepseek_cdk.cli", command, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2, result.stdout
        assert "\x1b" not in result.stdout + result.stderr
        assert "api_prices.mine.source: text holds the control character U+001B" in result.stderr


@pytest.mark.parametrize(
    "revision, refused_part",
    [
        ("../../main", ".."),
        ("v1..v2", ".."),
        ("main:README.md", ":"),
        ("refs/.hidden", "/."),
        ("x.lock", ".lock"),
        ("main/", "/"),
        ("a//b", "//"),
        ("v1.", "."),
    ],
)
def test_a_revision_git_would_refuse_as_a_ref_name_is_refused(revision: str, refused_part: str) -> None:
    (line,) = refused(spec(versions=[{"name": "v1", "revision": revision}]))
    assert line.startswith(
        f"tiers[0].versions[0].revision: not a git branch, tag or commit: git refuses {refused_part!r}"
    ), line


def test_a_cron_listing_more_than_31_values_is_refused() -> None:
    days = ",".join(str(d) for d in range(1, 29))
    (line,) = refused(schedules({"name": "many", "cron": f"0 8 {days} 1,4,7,10 ? *", "min": 1}))
    assert line.startswith("tiers[0].scaling.schedules[0].cron: lists 32 values with ','; at most 31")
    parse_deployment(schedules({"name": "days", "cron": f"0 8 {days},29,30,31 * ? *", "min": 1}))


@pytest.mark.parametrize(
    "at, zone, jump",
    [
        ("2030-03-31T02:30:00", "Europe/Berlin", 60),
        ("2030-03-10T02:00:00", "America/New_York", 60),
        ("2030-10-06T02:15:00", "Australia/Lord_Howe", 30),
    ],
)
def test_a_one_off_inside_a_daylight_saving_jump_is_refused(at: str, zone: str, jump: int) -> None:
    (line,) = refused(schedules({"name": "a", "at": at, "timezone": zone, "min": 1}))
    assert line.startswith(
        f"tiers[0].scaling.schedules[0].at: {at} does not exist in {zone}: the clocks jump forward {jump} "
        "minutes over it"
    ), line


def test_one_offs_beside_a_daylight_saving_change_pass() -> None:
    for at in ("2030-03-31T01:59:00", "2030-03-31T03:00:00", "2030-10-27T02:30:00"):  # 02:30 twice: exists
        parse_deployment(schedules({"name": "a", "at": at, "timezone": "Europe/Berlin", "min": 1}))


@pytest.mark.parametrize("given_average", [True, False])
def test_a_p90_answer_shorter_than_the_average_is_refused(given_average: bool) -> None:
    data = spec()
    lengths = {"avg_output_tokens": 1000} if given_average else {}
    data["traffic"] = {"chat": {"peak_rps": 1, "p90_output_tokens": 400, **lengths}}
    (line,) = refused(data)
    default = "" if given_average else ", the default"
    assert line == (
        f"traffic.chat.p90_output_tokens: below avg_output_tokens (1000{default}); the 90th-percentile "
        "answer is the longer one in every length distribution the plan models: check that the two are "
        "not swapped (got 400)"
    )
    data["traffic"]["chat"]["p90_output_tokens"] = 1000  # equal lengths: every answer the same
    parse_deployment(data)
