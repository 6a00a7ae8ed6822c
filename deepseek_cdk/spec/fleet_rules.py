"""What spans fields of a deployment's fleets: their names, the tiers that join each one (only
inference-components tiers, never on an instance type of their own), a fixed fleet's count,
and the components one endpoint hosts. Each problem one `path: what` line."""

from __future__ import annotations

import re

from deepseek_cdk.kinds import MAX_COMPONENTS_PER_ENDPOINT, EndpointKind
from deepseek_cdk.spec.models import Deployment, Tier
from deepseek_cdk.spec.wording import NAME_PATTERN, did_you_mean, field_path, shown

_NAME = re.compile(NAME_PATTERN)


def fleet_problems(d: Deployment) -> list[str]:
    problems: list[str] = []
    tier_names = {t.name for t in d.tiers}
    for name, fleet in d.fleet.items():
        at = field_path(("fleet", name))
        if not _NAME.match(name):
            problems.append(
                f"{at}: a fleet's name is lowercase letters, digits and '-', starting with a letter, at "
                f"most 20 characters (got {shown(name)})"
            )
        clash = next((t for t in sorted(tier_names) if t.replace("-", "") == name.replace("-", "")), None)
        if clash is not None:
            problems.append(
                f"{at}: a tier is named {clash!r}; a fleet's endpoint and resources are named like a "
                "tier's, so give the fleet a name no tier has (even without its '-')"
            )
        members = [t for t in d.tiers if t.fleet == name]
        if not members:
            problems.append(
                f"{at}: no tier joins it; give an {EndpointKind.INFERENCE_COMPONENTS} tier `fleet: {name}`, "
                "or remove the fleet"
            )
        components = sum(live_versions(t) for t in members)
        if components > MAX_COMPONENTS_PER_ENDPOINT:
            problems.append(
                f"{at}: its tiers serve {components} live versions, one inference component each; an "
                f"endpoint here hosts at most {MAX_COMPONENTS_PER_ENDPOINT}: split the tiers over two fleets"
            )
        if fleet.min is not None and fleet.max is not None and fleet.min > fleet.max:
            problems.append(f"{at}.min: must be <= max ({fleet.max}) (got {fleet.min})")
        if not fleet.managed_instance_scaling:
            if fleet.max is not None and fleet.max != fleet.min:
                problems.append(
                    f"{at}.max: with managed_instance_scaling: false the fleet keeps a fixed count of "
                    f"instances, its min; remove max or make it min (got {fleet.max})"
                )
            if fleet.min == 0:
                problems.append(
                    f"{at}.min: with managed_instance_scaling: false the fleet keeps min instances all the "
                    "time, at least 1; only managed instance scaling reaches 0 (got 0)"
                )
    for i, tier in enumerate(d.tiers):
        problems += _member_problems(f"tiers[{i}]", tier, d)
    return problems


def _member_problems(at: str, tier: Tier, d: Deployment) -> list[str]:
    if tier.fleet is None:
        return []
    if tier.endpoint is not EndpointKind.INFERENCE_COMPONENTS:
        return [
            f"{at}.fleet: tier {tier.name} is {tier.endpoint}; only {EndpointKind.INFERENCE_COMPONENTS} "
            "tiers share a fleet (change endpoint, or remove fleet)"
        ]
    if tier.fleet not in d.fleet:
        known = ", ".join(d.fleet) if d.fleet else "none (add a top-level fleet section)"
        close = did_you_mean(tier.fleet, list(d.fleet))
        return [f"{at}.fleet: no fleet is named {shown(tier.fleet)}; {close}fleets: {known}"]
    if tier.instance_type != "auto":
        return [
            f"{at}.instance_type: the fleet sets it ({field_path(('fleet', tier.fleet))}.instance_type); "
            f"remove the key (got {tier.instance_type})"
        ]
    return []


def live_versions(tier: Tier) -> int:
    """The components a tier puts on its endpoint: one per version with weight above 0."""
    return sum(1 for v in tier.versions if v.weight > 0) or 1
