"""How a spec problem reads: the SpecError that carries them, the name rule, a value shown
short and safe for a terminal, a field path, and pydantic's errors as `path: what (got value)`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ACCOUNT_PATTERN = r"^[0-9]{12}$"
# What each pattern a field uses means, in words: a problem line never shows a regular expression.
_PATTERN_RULES = {
    NAME_PATTERN: "lowercase letters, digits and '-', starting with a letter, at most 20 characters",
    DATE_PATTERN: "a date written yyyy-mm-dd",
    ACCOUNT_PATTERN: "an AWS account id: 12 digits, quoted",
}


class SpecError(Exception):
    """A deployment spec that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def report(self, source: str) -> str:
        """The message users see: which file, then one indented line per problem."""
        lines = [f"deepseek-cdk: {source} has {len(self.problems)} problem(s):"]
        return "\n".join(lines + [f"  {p}" for p in self.problems])


# Characters a terminal or an editor acts on instead of showing: the C0 and C1 controls (an
# ANSI escape starts with ESC, U+001B, or CSI, U+009B; a tab or a newline moves the text),
# format characters such as the bidirectional overrides (U+202E shows text reversed, the
# "Trojan Source" trick) and the line and paragraph separators (U+2028, U+2029). Unicode
# categories Cc, Cf, Zl and Zp. The CLI prints names, sources and expressions as given.
_UNSHOWABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def unshowable(text: str) -> str | None:
    """The first character of `text` a terminal would act on, as U+XXXX, or None."""
    for char in text:
        if unicodedata.category(char) in _UNSHOWABLE:
            return f"U+{ord(char):04X}"
    return None


MAX_SHOWN = 60  # characters of a value echoed in a problem line
# The largest whole number a spec may hold: no count, size, price or time in a deployment comes
# near it. Python refuses to convert an integer of more than 4,300 digits to or from text
# (int_max_str_digits, CPython 3.11+), so a longer literal is refused before it is read, and a
# longer value given as data before anything prints it.
MAX_WHOLE_NUMBER = 10**18


class LongInteger:
    """An integer literal too long to convert (MAX_INT_CHARS), kept so that parse_deployment
    refuses it naming its field."""

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def __repr__(self) -> str:
        return f"<a whole number of {self.chars:,} characters>"


def too_large(value: Any) -> bool:
    return isinstance(value, LongInteger) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_WHOLE_NUMBER
    )


def shown(value: Any) -> str:
    """`repr(value)`, cut to MAX_SHOWN characters: a problem line never echoes a whole file."""
    if too_large(value):
        return f"a whole number beyond {MAX_WHOLE_NUMBER:.0e}"  # repr fails past 4,300 digits
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[: MAX_SHOWN - 3]}... ({len(text):,} characters)"


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}", re.ASCII)


def did_you_mean(given: Any, allowed: Iterable[str]) -> str:
    """`did you mean X? ` naming the allowed word closest to a mistyped one (two or three when
    they are as close), or nothing when none is close (difflib's similarity below 0.6)."""
    if not isinstance(given, str):
        return ""
    scored = [(difflib.SequenceMatcher(None, given, word).ratio(), word) for word in allowed]
    best = max((score for score, _ in scored), default=0.0)
    close = [word for score, word in sorted(scored, reverse=True) if score >= max(0.6, best - 0.02)][:3]
    return f"did you mean {' or '.join(close)}? " if close else ""


def field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:  # a key no field has: shown quoted and short, never across lines
            out += f"[{shown(part)}]"
    return out or "(top level)"


# What a value of each type looks like in YAML, for the type errors of strict validation.
_TYPE_RULES = {
    "int_type": "must be a whole number, written without quotes (yes/no/true/false are not numbers)",
    "float_type": "must be a number, written without quotes (yes/no/true/false are not numbers)",
    "finite_number": "must be a finite number (not .nan or .inf)",
    "string_type": "must be text; quote values YAML reads as something else (dates, numbers, yes/no)",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys to values",
}
# pydantic's bound and choice errors, said with the bound or the choices from the error's context.
_BOUND_RULES = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be above {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be below {lt}",
    "too_short": "must hold at least {min_length} {entries}",
    "too_long": "must hold at most {max_length} {entries}",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
}


def describe(error: Any, root: type[BaseModel]) -> str:
    """One pydantic error as `path: what (got value)`; `root` is the model validated (its
    fields name the keys allowed where an unknown key stands)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, loc[:-1])
        close = did_you_mean(loc[-1], allowed)
        return f"{field_path(loc)}: unknown key; {close}allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"{field_path(loc)}: required, but missing"
    got = shown(error["input"])
    if loc and loc[-1] == "[key]":  # a mapping's key, not its value
        loc, got = loc[:-1], f"the key {got}"
    if kind in _BOUND_RULES:
        context = error.get("ctx", {})
        entries = "entry" if context.get("min_length", context.get("max_length")) == 1 else "entries"
        bounds = {k: _number(v) for k, v in context.items()}
        message = _BOUND_RULES[kind].format(**bounds, entries=entries)
        if kind in ("too_short", "too_long"):
            got = f"{context.get('actual_length', len(error['input']))}"
    else:
        message = _TYPE_RULES.get(kind) or str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        message = "must be " + _PATTERN_RULES.get(pattern, f"text matching {pattern}")
    return f"{field_path(loc)}: {message} (got {got})"


def _number(value: Any) -> Any:
    """A bound as the spec would write it: 0 for 0.0, 10,000,000 for 10000000."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at `loc` accepts, found by walking the field annotations."""
    annotation: Any = root
    for part in loc:
        annotation = _model_in(annotation)
        if isinstance(part, str) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[part].annotation
        else:  # a list index or a dict key
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[-1] if args else annotation
    model = _model_in(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """Unwrap `X | None` to X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
