"""JSON as the router reads it: a client's body with bounded numbers and no NaN or Infinity
(decode_json), and the model's output, whose non-finite numbers become null (decode_model_json).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import BadRequest

# The longest whole number a request or a model's answer may write, in digits: 20 holds every
# 64-bit integer (seed's 2**32 - 1 with room). Python refuses to read integers of more than
# 4,300 digits at all (int_max_str_digits, CPython 3.11+) with a ValueError that is not a
# JSONDecodeError; refusing long numbers here first gives one clear answer instead.
MAX_NUMBER_DIGITS = 20


class _Refused:
    """A value decode_json will not take, kept in place so that the refusal names its field."""

    def __init__(self, why: str) -> None:
        self.why = why


def _bounded_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        return _Refused(f"a whole number of {digits:,} digits; no field takes more than {MAX_NUMBER_DIGITS}")
    return int(text)


def decode_json(raw: str) -> Any:
    """JSON as the router accepts it: no NaN or Infinity (not JSON, and no engine takes them),
    no whole number longer than MAX_NUMBER_DIGITS, and not nested deeper than Python can parse.
    BadRequest otherwise, naming the field that holds the refused value (`parameters.seed`),
    or "body" for text that is not JSON."""

    def refuse(constant: str) -> Any:
        return _Refused(f"{constant} is not a JSON number")

    try:
        data = json.loads(raw, parse_constant=refuse, parse_int=_bounded_int)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise BadRequest("body", "not valid JSON (or nested too deeply)") from None
    found = _first_refused(data)
    if found is not None:
        raise BadRequest(*found)
    return data


def _first_refused(data: Any) -> tuple[str, str] | None:
    """(field path, why) of the first _Refused value in `data`, walked without recursion."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            return path or "body", value.why
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                named = key.isidentifier() and len(key) <= 40  # else: named by its parent
                stack.append((item, (f"{path}.{key}" if path else key) if named else path))
        elif isinstance(value, list):
            stack += [(item, f"{path or 'body'}[{i}]") for i, item in reversed(list(enumerate(value)))]
    return None


class ModelOutputError(ValueError):
    """The model's answer is not JSON the router can pass on."""


def decode_model_json(raw: bytes | str) -> tuple[Any, bool]:
    """A model's JSON answer (a completion, a stream chunk, an async result) and whether it
    held NaN or Infinity. Python's json writes those for a float that is not finite (vLLM's
    logprob of an impossible token is -inf), but they are not JSON (RFC 8259 section 6), and
    a client's standard parser refuses the whole answer: they are read as None, so the
    answer is re-emitted as standard JSON with null in their place. A whole number longer than
    MAX_NUMBER_DIGITS, or text that is not UTF-8 JSON, is ModelOutputError."""
    non_finite = False

    def null(constant: str) -> None:
        nonlocal non_finite
        non_finite = True

    def whole(text: str) -> int:
        if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise ModelOutputError(f"a whole number of {len(text):,} digits")
        return int(text)

    try:
        return json.loads(raw, parse_constant=null, parse_int=whole), non_finite
    except ModelOutputError:
        raise
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError
        raise ModelOutputError(type(err).__name__) from None
