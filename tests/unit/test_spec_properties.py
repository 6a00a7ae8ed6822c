"""Property: take a shipped deployment, change one field to anything YAML can hold (or drop it,
or add a key), and `plan` either plans it or exits 2 with one line per problem naming a
field. Never a traceback, never a multi-line message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseek_cdk.cli import main
from deepseek_cdk.planning import build_plan
from deepseek_cdk.spec import Deployment, SpecError, parse_deployment

ROOT = Path(__file__).resolve().parents[2]
BASES = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "deployments").rglob("*.yaml"))]
FIELDS = set(Deployment.model_fields) | {"(top level)"}

Path_ = tuple[Any, ...]


def paths(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every place in `data` a value sits: mapping keys and list positions."""
    out: list[Path_] = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += paths(value, (*prefix, index))
    return out


def mutated(base: dict[str, Any], path: Path_, how: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "drop" and isinstance(parent, dict):
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent["surprise"] = value
    else:
        parent[last] = value
    return data


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet="0123456789\u0660\u0661\u0662\u06f3\u0967-. :/*?", max_size=20),
    st.sampled_from(
        [
            "auto",
            "s3://192.168.0.1/models/",
            "s3://bucket/models/\n",
            "0 7 30 2 ? *",
            "2020-01-01T00:00:00",
            "posixrules",
            "xn--x",
            "(a+)+$",
            "ml.p5.48xlarge",
            "async",
            "inference-components",
            "a@b..com",
            "x" * 5000,
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
)


def check_contract(data: dict[str, Any]) -> None:
    try:
        build_plan(parse_deployment(data))
    except SpecError as err:
        assert err.problems
        for line in err.problems:
            assert "\n" not in line, line
            assert len(line) < 1500, line
            head = line.split(":", 1)[0]
            first = head.split(".")[0].split("[")[0]  # "" for a key shown quoted: ['a b']
            assert first in FIELDS or first in data or first == "", line


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_changed_field_is_planned_or_refused_with_one_line_naming_a_field(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(BASES))
    path = data.draw(st.sampled_from(paths(base)))
    how = data.draw(st.sampled_from(["set", "set", "set", "drop", "add"]))
    check_contract(mutated(base, path, how, data.draw(VALUES)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(BASES), st.sampled_from(sorted(FIELDS - {"(top level)"})), VALUES)
def test_a_top_level_field_set_to_anything_is_planned_or_refused_cleanly(
    base: dict[str, Any], field: str, value: Any
) -> None:
    check_contract({**base, field: value})


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_any_bytes_as_a_file_exit_0_or_2_never_a_traceback(tmp_path_factory: Any, content: bytes) -> None:
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_bytes(content)
    assert main(["plan", str(path)]) in (0, 2)


EXTREMES = [5e-324, 1e-300, 1e-9, 1e-4, 0.0, -0.0, 1e6, 1e15, 1e300, 2**53 + 1, -1]


@pytest.mark.parametrize("base", range(len(BASES)))
def test_every_number_at_its_extremes_is_planned_or_refused_cleanly(base: int) -> None:
    numbers = [
        path
        for path in paths(BASES[base])
        if isinstance(_at(BASES[base], path), int | float) and not isinstance(_at(BASES[base], path), bool)
    ]
    assert numbers
    for path in numbers:
        for value in EXTREMES:
            check_contract(mutated(BASES[base], path, "set", value))


def _at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data
