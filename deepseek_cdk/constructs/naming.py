"""Construct ids, tags, and the check every construct prop goes through."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from constructs import IConstruct

# The model registry's FAQ: model packages do not support tags (their groups do).
UNTAGGED = ["AWS::SageMaker::ModelPackage"]


def add_tags(scope: IConstruct, tags: Mapping[str, str]) -> None:
    """Tag `scope` and everything under it that takes tags (cost allocation and ownership)."""
    for key, value in tags.items():
        cdk.Tags.of(scope).add(key, value, exclude_resource_types=UNTAGGED)


def pascal(name: str) -> str:
    """`chat` -> `Chat`, `long-reasoning` -> `LongReasoning`: stable construct ids from names."""
    return "".join(part.capitalize() for part in name.split("-"))


def require(condition: bool, prop: str, message: str) -> None:
    """Raise ValueError naming the prop when a construct's input is not allowed."""
    if not condition:
        raise ValueError(f"{prop}: {message}")
