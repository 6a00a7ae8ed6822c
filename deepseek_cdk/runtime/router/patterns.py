"""Regular expressions in router rules (`prompt_matches`): which ones a spec may give, and how
the router runs them so that no prompt can hold it.

Python's `re` backtracks: `(a+)+$` takes exponential time on 40 characters that almost
match, and `a.*b` quadratic time on a long prompt. A linear-time engine (RE2) would need a
compiled library in the function's package, built for Lambda's platform at synth time; the
router is standard library only. So three bounds instead, each enough for a class of input:
- the spec refuses the shapes that backtrack exponentially (a repeat inside a repeat, an
  alternation inside a repeat, backreferences) and patterns longer than 200 characters;
- a rule searches the first 16,384 characters of the last user message;
- each search has a deadline (SIGALRM, which `re` checks while it runs, every 4,096 steps);
  a search still running at its deadline counts as no match, and the router logs it.
Standard library only.
"""

from __future__ import annotations

import re
import signal
import threading
from typing import Any

MAX_PATTERN_CHARS = 200
MATCH_CHARS = 16_384  # rules see this much of the start of the last user message
SEARCH_SECONDS = 0.05  # per rule and request

# The parser `re.compile` uses (re._parser since Python 3.11): its tree says what repeats what.
_parser: Any = getattr(re, "_parser")  # noqa: B009 - the module is private to re
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT, getattr(_parser, "POSSESSIVE_REPEAT", None)} - {None}
_BACKREFERENCES = {_parser.GROUPREF, _parser.GROUPREF_EXISTS}


def pattern_problem(pattern: str) -> str | None:
    """Why a rule may not use `pattern`, or None."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"at most {MAX_PATTERN_CHARS} characters (got {len(pattern)})"
    try:
        tree = _parser.parse(pattern)
    except re.error as err:
        return f"not a valid regular expression: {err}"
    return _shape_problem(tree, inside_repeat=False)


def _shape_problem(items: Any, *, inside_repeat: bool) -> str | None:
    for op, arg in items:
        children: list[Any] = []
        repeats = False
        if op in _BACKREFERENCES:
            return "backreferences (\\1, (?P=name)) can take exponential time; match without them"
        if op in _REPEATS:
            _low, high, body = arg
            repeats = high > 1
            if repeats and inside_repeat:
                return (
                    "a repeat inside a repeat, like (a+)+ or (\\w+\\s?)*, can take exponential time on a "
                    "prompt that almost matches; repeat once, e.g. (a+)+ -> a+"
                )
            if repeats and _matches_nothing(body):
                return (
                    "a repeated group that can match nothing, like (a?){30} or (a|)*, can take exponential "
                    "time; make its content required"
                )
            children = [body]
        elif op is _parser.BRANCH:
            if inside_repeat:
                return (
                    "an alternation inside a repeat, like (a|ab)*, can take exponential time; use a "
                    "character class, or the alternation without the repeat"
                )
            children = arg[1]
        elif op is _parser.SUBPATTERN:
            children = [arg[-1]]
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT):
            children = [arg[1]]
        elif op is getattr(_parser, "ATOMIC_GROUP", None):
            children = [arg]
        for child in children:
            problem = _shape_problem(child, inside_repeat=inside_repeat or repeats)
            if problem:
                return problem
    return None


def _matches_nothing(items: Any) -> bool:
    """Whether the parsed pattern can match the empty string."""
    for op, arg in items:
        if op in _REPEATS:
            if arg[0] > 0 and not _matches_nothing(arg[2]):
                return False
        elif op is _parser.SUBPATTERN:
            if not _matches_nothing(arg[-1]):
                return False
        elif op is _parser.BRANCH:
            if not any(_matches_nothing(alternative) for alternative in arg[1]):
                return False
        elif op is getattr(_parser, "ATOMIC_GROUP", None):
            if not _matches_nothing(arg):
                return False
        elif op not in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
            return False
    return True


class _OutOfTime(Exception):
    pass


_armed = False


def _stop(signum: int, frame: Any) -> None:
    if _armed:
        raise _OutOfTime


def search_within(pattern: str, text: str, seconds: float = SEARCH_SECONDS) -> bool | None:
    """Whether `pattern` occurs in the first MATCH_CHARS characters of `text`; None when the
    search ran out of time. The deadline needs the main thread (where Lambda runs the
    handler); elsewhere the search runs without one."""
    global _armed
    text = text[:MATCH_CHARS]
    if threading.current_thread() is not threading.main_thread():
        return re.search(pattern, text) is not None
    previous = signal.signal(signal.SIGALRM, _stop)
    try:
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return re.search(pattern, text) is not None
    except _OutOfTime:
        return None
    finally:
        _armed = False  # first: an alarm that fires from here on raises nothing
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
