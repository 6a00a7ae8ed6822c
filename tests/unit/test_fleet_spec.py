"""The spec's `fleet` section and a tier's `fleet` key: every bad input is one line that names
the field and what is allowed."""

from typing import Any

import pytest

from deepseek_cdk.spec import SpecError, parse_deployment

COMMIT = "916b56a44061fd5cd7d6a8fb632557ed4f724f60"


def member(name: str, model: str = "deepseek-r1-distill-qwen-7b", **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "model": model,
        "endpoint": "inference-components",
        "fleet": "shared",
        "versions": [{"name": "v1", "revision": COMMIT}],
        **settings,
    }


def fleet_spec(*tiers: dict[str, Any], **fleet: Any) -> dict[str, Any]:
    return {"name": "f", "fleet": {"shared": fleet}, "tiers": list(tiers) or [member("chat")]}


def problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as err:
        parse_deployment(data)
    return err.value.problems


def test_a_fleet_with_its_members_validates_with_its_defaults() -> None:
    d = parse_deployment(fleet_spec(member("chat"), member("coder", "deepseek-r1-distill-qwen-14b")))
    shared = d.fleet["shared"]
    assert (shared.instance_type, shared.min, shared.max, shared.managed_instance_scaling) == (
        "auto",
        None,
        None,
        True,
    )
    assert [t.fleet for t in d.tiers] == ["shared", "shared"]


def test_a_real_time_tier_cannot_join_a_fleet() -> None:
    tier = {**member("chat"), "endpoint": "realtime"}
    assert problems(fleet_spec(member("coder"), tier)) == [
        "tiers[1].fleet: tier chat is realtime; only inference-components tiers share a fleet "
        "(change endpoint, or remove fleet)"
    ]


def test_an_async_tier_cannot_join_a_fleet() -> None:
    tier = {**member("batch"), "endpoint": "async", "scaling": {"min": 0, "max": 2}}
    (line,) = problems(fleet_spec(member("chat"), tier))
    assert line.startswith("tiers[1].fleet: tier batch is async; only inference-components tiers")


def test_an_unknown_fleet_names_the_closest_and_the_fleets_there_are() -> None:
    assert problems(fleet_spec(member("chat"), member("coder", fleet="sahred"))) == [
        "tiers[1].fleet: no fleet is named 'sahred'; did you mean shared? fleets: shared"
    ]


def test_a_fleet_key_without_a_fleet_section_says_to_add_one() -> None:
    data = {"name": "f", "tiers": [member("chat")]}
    assert problems(data) == [
        "tiers[0].fleet: no fleet is named 'shared'; fleets: none (add a top-level fleet section)"
    ]


def test_a_fleet_no_tier_joins_is_refused() -> None:
    data = fleet_spec(member("chat"))
    data["fleet"]["spare"] = {}
    assert problems(data) == [
        "fleet.spare: no tier joins it; give an inference-components tier `fleet: spare`, or remove the fleet"
    ]


def test_a_member_cannot_name_its_own_instance_type() -> None:
    assert problems(fleet_spec(member("chat", instance_type="ml.g6e.xlarge"))) == [
        "tiers[0].instance_type: the fleet sets it (fleet.shared.instance_type); remove the key "
        "(got ml.g6e.xlarge)"
    ]


def test_a_fleet_named_like_a_tier_is_refused() -> None:
    data = {"name": "f", "fleet": {"chat": {}}, "tiers": [member("chat", fleet="chat")]}
    (line,) = problems(data)
    assert line.startswith("fleet.chat: a tier is named 'chat'; a fleet's endpoint and resources")
    data = {"name": "f", "fleet": {"chat-1": {}}, "tiers": [member("chat1", fleet="chat-1")]}
    (line,) = problems(data)
    assert line.startswith("fleet.chat-1: a tier is named 'chat1'")


def test_a_fleet_name_follows_the_name_rule() -> None:
    data = {"name": "f", "fleet": {"Shared_1": {}}, "tiers": [member("chat", fleet="Shared_1")]}
    (line,) = problems(data)
    assert line.startswith("fleet.Shared_1: a fleet's name is lowercase letters, digits and '-'")


def test_min_above_max_is_refused() -> None:
    assert problems(fleet_spec(min=3, max=2)) == ["fleet.shared.min: must be <= max (2) (got 3)"]


def test_a_fixed_fleet_takes_no_other_max_and_never_zero() -> None:
    assert problems(fleet_spec(managed_instance_scaling=False, min=2, max=3)) == [
        "fleet.shared.max: with managed_instance_scaling: false the fleet keeps a fixed count of instances, "
        "its min; remove max or make it min (got 3)"
    ]
    (line,) = problems(fleet_spec(managed_instance_scaling=False, min=0))
    assert line.startswith("fleet.shared.min: with managed_instance_scaling: false the fleet keeps min")


def test_more_components_than_an_endpoint_hosts_are_refused() -> None:
    weights = [20, 20, 20, 20, 10, 10]
    versions = [{"name": f"v{i}", "revision": COMMIT, "weight": w} for i, w in enumerate(weights)]
    tiers = [member(name, versions=versions) for name in ("chat", "coder")]
    assert problems(fleet_spec(*tiers)) == [
        "fleet.shared: its tiers serve 12 live versions, one inference component each; an endpoint here "
        "hosts at most 10: split the tiers over two fleets"
    ]


def test_a_misspelt_fleet_key_names_the_closest() -> None:
    (line,) = problems(fleet_spec(managed_scaling=False))
    assert line.startswith(
        "fleet.shared.managed_scaling: unknown key; did you mean managed_instance_scaling? allowed keys "
        "here: instance_type, min, max, managed_instance_scaling"
    )


def test_an_unknown_instance_type_names_the_closest() -> None:
    (line,) = problems(fleet_spec(instance_type="ml.g6e.12xlarg"))
    assert line.startswith("fleet.shared.instance_type: unknown instance type; did you mean ml.g6e.12xlarge?")
    assert line.endswith("; or auto (got 'ml.g6e.12xlarg')")


def test_managed_instance_scaling_takes_true_or_false_only() -> None:
    (line,) = problems(fleet_spec(managed_instance_scaling="yes"))
    assert line == "fleet.shared.managed_instance_scaling: must be true or false (got 'yes')"
