"""cdk-nag acknowledgments and checkov skips, each with the reason a reviewer can check."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

# The packs beside AwsSolutions whose rule ids carry the pack's name (deepseek_cdk.compliance
# registers all four).
COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`Pack-Rule` or `Pack-Rule[FindingId]`) on `scope`."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def acknowledge_in_compliance_packs(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. `LambdaDLQ`) in each of the HIPAA, NIST and PCI packs."""
    for pack in COMPLIANCE_PACKS:
        acknowledge(scope, f"{pack}-{rule}", reason)


def nag_reference(scope: IConstruct, value: str) -> str:
    """`value` as cdk-nag writes it in a finding id: literals as they are, `{"Ref": X}` as `<X>`,
    `{"Fn::GetAtt": [X, Y]}` as `<X.Y>`, and `Fn::Join` joined, e.g. a bucket named after the
    account and region reads `name-<AWS::AccountId>-<AWS::Region>`."""
    return _flatten(cdk.Stack.of(scope).resolve(value))


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(p) for p in parts)
    raise ValueError(f"cannot tell how cdk-nag names {value!r}: use literals, Ref, GetAtt or Join")


def skip_checkov(resource: cdk.CfnResource, check_id: str, reason: str) -> None:
    """Record a checkov skip, with its reason, in the resource's template metadata."""
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)
