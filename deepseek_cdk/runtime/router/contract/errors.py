"""BadRequest: a request the router refuses, naming the field (and, for OpenAI's error object,
a code). Raised by every parser in the contract and answered as a 400 by the handlers.
"""

from __future__ import annotations


class BadRequest(Exception):
    """The request is wrong: 400 naming the field; nothing reaches an endpoint. `code` is the
    machine-readable reason OpenAI's error object carries (None when OpenAI names none)."""

    def __init__(self, field: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
