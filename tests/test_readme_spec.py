"""docs/spec.md's annotated spec plans as written, and names every key the spec accepts."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import Deployment, parse_deployment

ROOT = Path(__file__).resolve().parent.parent
START = "Every key, annotated:\n\n```yaml\n"


def annotated_spec() -> str:
    readme = (ROOT / "docs" / "spec.md").read_text()
    start = readme.index(START) + len(START)
    return readme[start : readme.index("```", start)]


def keys_of(model: type[BaseModel]) -> set[str]:
    """Every field name of the spec's models, nested ones included."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        for inner in _models_in(field.annotation):
            keys |= keys_of(inner)
    return keys


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_the_annotated_spec_plans_as_written() -> None:
    plan = build_plan(parse_deployment(yaml.safe_load(annotated_spec())))
    assert [t.name for t in plan.tiers] == ["chat", "reasoning"]
    assert [v.role for v in plan.tier("chat").capacity.versions] == ["live", "live", "staged"]


def test_the_annotated_spec_names_every_key() -> None:
    text = annotated_spec()
    missing = sorted(key for key in keys_of(Deployment) if f"{key}:" not in text)
    assert missing == []
