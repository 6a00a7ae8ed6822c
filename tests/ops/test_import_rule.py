"""ops/ imports neither construct modules nor the Lambda's own code (DESIGN.md, layout): what a
client shares with the router lives in runtime/router/contract.py, and what it shares with the
constructs in a neutral module (names, dlc). Checked on the source, lazy imports included."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "deepseek_cdk"
ROUTER = "deepseek_cdk.runtime.router"
ALLOWED_IN_ROUTER = {f"{ROUTER}.contract"}


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as absolute names."""
    package = "deepseek_cdk.ops"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .aws import y
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def forbidden(module: str) -> bool:
    if module == "deepseek_cdk.constructs" or module.startswith("deepseek_cdk.constructs."):
        return True
    if module == "deepseek_cdk.stacks" or module.startswith("deepseek_cdk.stacks."):
        return True
    inside_router = module.startswith(f"{ROUTER}.")
    return inside_router and not any(module == m or module.startswith(f"{m}.") for m in ALLOWED_IN_ROUTER)


@pytest.mark.parametrize("path", sorted(PACKAGE.joinpath("ops").glob("*.py")), ids=lambda p: p.name)
def test_an_ops_module_imports_no_construct_and_no_router_code_but_the_contract(path: Path) -> None:
    assert not sorted(m for m in imported_modules(path) if forbidden(m))


def test_the_rule_catches_a_lazy_import_of_the_router_and_a_construct(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "def f():\n"
        "    from deepseek_cdk.runtime.router.streaming import events\n"
        "    from deepseek_cdk.constructs import images\n"
        "    from deepseek_cdk.runtime.router.contract import model_chunks\n"
        "    from deepseek_cdk.runtime.router import handler\n"
    )
    assert sorted(m for m in imported_modules(source) if forbidden(m)) == [
        "deepseek_cdk.constructs",
        "deepseek_cdk.constructs.images",
        "deepseek_cdk.runtime.router.handler",
        "deepseek_cdk.runtime.router.streaming",
        "deepseek_cdk.runtime.router.streaming.events",
    ]
