"""The regions the spec accepts are regions where synth can resolve the serving image."""

from aws_cdk import region_info

from deepseek_cdk.catalog.regions import DLC_REGIONS
from deepseek_cdk.spec import SpecError, parse_deployment

TIER = {"name": "chat", "model": "deepseek-r1-distill-qwen-7b"}


def test_every_accepted_region_has_a_container_registry_in_cdks_region_facts() -> None:
    missing = [r for r in sorted(DLC_REGIONS) if region_info.RegionInfo.get(r).dlc_repository_account is None]
    assert missing == []


def test_a_region_without_a_registry_or_not_a_region_is_refused_naming_the_field() -> None:
    assert parse_deployment({"name": "t", "region": "eu-central-1", "tiers": [TIER]}).region == "eu-central-1"
    for region in ("af-south-1", "us-east-7", "us-east-\u0661", "US-EAST-1", "us-east-1\n"):
        try:
            parse_deployment({"name": "t", "region": region, "tiers": [TIER]})
        except SpecError as err:
            (line,) = err.problems
            why = "text holds the control character" if "\n" in region else "not a region with a Deep"
            assert line.startswith(f"region: {why}"), line
        else:
            raise AssertionError(f"{region!r} was accepted")
