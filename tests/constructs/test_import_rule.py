"""The constructs read no catalog (DESIGN.md: they take explicit props, usable without any
spec): what a construct needs to know of an instance type, such as its local NVMe storage,
the plan or the caller passes as a prop."""

from pathlib import Path

import pytest

from deepseek_cdk.constructs import Hosting
from tests.ops.test_import_rule import PACKAGE, imported_modules

CONSTRUCT_MODULES = sorted(PACKAGE.joinpath("constructs").glob("*.py"))


@pytest.mark.parametrize("path", CONSTRUCT_MODULES, ids=lambda p: p.name)
def test_a_construct_module_imports_no_catalog(path: Path) -> None:
    catalog = [
        m
        for m in imported_modules(path)
        if m == "deepseek_cdk.catalog" or m.startswith("deepseek_cdk.catalog.")
    ]
    assert catalog == []


def test_hosting_is_told_whether_the_type_has_local_nvme_instead_of_looking_it_up() -> None:
    with pytest.raises(TypeError, match="local_nvme"):
        Hosting("ml.g6.2xlarge")  # type: ignore[call-arg]
    assert Hosting("ml.m5.xlarge", volume_size_gb=30, local_nvme=False).validated().volume_size_gb == 30
