"""The cdk-nag packs every deployment is checked against (cdk-nag 3 validation plugins)."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

NAG_PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks)


def add_nag_packs(app: cdk.App) -> None:
    """Register the packs; an unacknowledged finding then fails synth."""
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in NAG_PACKS))
