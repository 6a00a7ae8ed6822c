"""Reading a deployment file: the bounds on what a file may hold (size, depth, values, whole
numbers), a YAML loader that refuses repeated keys, and validation into a Deployment.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from deepseek_cdk.spec.models import Deployment
from deepseek_cdk.spec.rules import semantic_problems
from deepseek_cdk.spec.wording import (
    MAX_WHOLE_NUMBER,
    LongInteger,
    SpecError,
    describe,
    field_path,
    shown,
    too_large,
)

DEFAULT_DEPLOYMENT = Path(__file__).resolve().parents[2] / "deployments" / "default.yaml"


# Bounds on what a spec file may hold, so that no file can exhaust memory or time: a real
# deployment is a few kilobytes, a few levels deep and a few hundred values.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_VALUES = 100_000  # after YAML aliases are expanded
MAX_INT_CHARS = 40  # characters of an integer literal the loader converts at all


def load_deployment(path: str | Path | None = None) -> Deployment:
    """Read and validate a deployment file; `None` means deployments/default.yaml."""
    file = Path(path) if path is not None else DEFAULT_DEPLOYMENT
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise SpecError([f"{file}: cannot read the deployment file ({err.strerror})"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError([f"{file}: more than {MAX_FILE_BYTES:,} bytes; a deployment spec is a few kilobytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SpecError(
            [f"{file}: line {line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file as UTF-8"]
        ) from None
    data = read_yaml(text, str(file))
    if data is None:
        raise SpecError([f"{file}: {_EMPTY}"])
    return parse_deployment(data)


def read_yaml(text: str, source: str) -> Any:
    """Parse one YAML document within the bounds above; any problem is one SpecError line."""
    try:
        data = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(err.problem or err.context or "cannot parse").split())
        raise SpecError([f"{source}: not valid YAML: {where}{what}"]) from None
    except yaml.YAMLError as err:
        raise SpecError([f"{source}: not valid YAML: {' '.join(str(err).split())}"]) from None
    if _exceeds_values(data):
        raise SpecError(
            [f"{source}: more than {MAX_VALUES:,} values once YAML aliases are expanded; write the spec out"]
        )
    return data


_EMPTY = "empty (nothing but comments, or null): a deployment needs at least name and tiers"


def parse_deployment(data: Any) -> Deployment:
    """Validate already-parsed data (a dict) into a Deployment, or raise SpecError."""
    if data is None:
        raise SpecError([f"(top level): {_EMPTY}"])
    if not isinstance(data, dict):
        what = "must be a mapping of keys to values, with at least name and tiers"
        raise SpecError([f"(top level): {what} (got {_in_words(data)})"])
    if _exceeds_values(data):
        raise SpecError([f"(top level): more than {MAX_VALUES:,} values or nested deeper than {MAX_DEPTH}"])
    too_large = _too_large_numbers(data)
    if too_large:
        raise SpecError(too_large)
    try:
        deployment = Deployment.model_validate(data)
    except ValidationError as err:
        raise SpecError([describe(e, Deployment) for e in err.errors()]) from None
    problems = semantic_problems(deployment)
    if problems:
        raise SpecError(problems)
    return deployment


def _in_words(value: Any) -> str:
    """What a YAML document holds instead of a mapping, said plainly."""
    if isinstance(value, list):
        entries = "entry" if len(value) == 1 else "entries"
        return f"a list of {len(value)} {entries}" if value else "an empty list"
    if isinstance(value, bool):
        return f"{str(value).lower()}, a yes/no value"
    if isinstance(value, int | float | LongInteger):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, date):  # a datetime too
        return f"the date {value.isoformat()}"
    return shown(value)  # bytes (!!binary)


def _exceeds_values(data: Any) -> bool:
    """Whether `data` holds more than MAX_VALUES values or nests deeper than MAX_DEPTH,
    counted as validation would walk it (an alias is counted at every use, and a recursive
    alias never ends)."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES or depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack += [(item, depth + 1) for pair in value.items() for item in pair]
        elif isinstance(value, list | tuple):
            stack += [(item, depth + 1) for item in value]
    return False


def _too_large_numbers(data: Any) -> list[str]:
    """One problem per whole number beyond MAX_WHOLE_NUMBER (or too long to read), naming its
    field; keys are checked too, since a key is printed in a path."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack and len(problems) < 5:
        value, loc = stack.pop()
        if too_large(value):
            problems.append(
                f"{field_path(loc)}: a whole number beyond {MAX_WHOLE_NUMBER:.0e}; "
                "no spec value is that large"
            )
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, loc) if too_large(key) else (item, (*loc, key)))
        elif isinstance(value, list | tuple):
            stack += [(item, (*loc, i)) for i, item in enumerate(value)]
    return sorted(problems)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """YAML 1.1 integers, except that a literal longer than MAX_INT_CHARS is not converted
    (PyYAML's own int() would raise ValueError past 4,300 digits, a traceback)."""
    text = loader.construct_scalar(node)
    if isinstance(text, str) and len(text) > MAX_INT_CHARS:
        return LongInteger(len(text))
    return loader.construct_yaml_int(node)


class _SpecLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (YAML keeps the last) or a
    key that is not a plain value, and stops nesting past MAX_DEPTH before Python's own
    recursion limit would. Merge keys (`<<: *base`) work as in YAML 1.1."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name, not a list or a mapping", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {shown(key)} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)
_SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
