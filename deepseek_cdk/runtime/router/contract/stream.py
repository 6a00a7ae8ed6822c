"""The model's event stream (InvokeEndpointWithResponseStream) as the router and `deepseek-cdk
invoke` and `loadtest` read it: chunks, and why a stream stopped early.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from .json_text import ModelOutputError, decode_model_json
from .routes import MAX_DETAIL_CHARS


@dataclass(frozen=True)
class StreamStop:
    """Why a model's answer stopped early: a message and its kind (time_limit, stream_error,
    model_error), OpenAI's error object's fields when the router passes it on."""

    message: str
    kind: str


Chunk = tuple[Any, bytes | None]


def model_chunks(
    body: Iterable[dict[str, Any]],
    *,
    cut: Callable[[], bool] | None = None,
    stopped: Callable[[Exception], str] = lambda err: type(err).__name__,
) -> Generator[Chunk | StreamStop, None, None]:
    """The chunks of SageMaker's event stream (InvokeEndpointWithResponseStream), decoded, each
    with its own bytes when they can be passed on as they are (None when they held NaN or
    Infinity), and a StreamStop for whatever stops the stream: `cut()` true after a part (the
    time limit), or an error (`stopped` says which). Each PayloadPart carries some bytes of the
    container's output: JSON lines (LMI) or `data:` lines (TGI), and a line may be split across
    parts, so lines are put back together first."""
    pending = b""
    try:
        for part in body:
            pending += part.get("PayloadPart", {}).get("Bytes", b"")
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield from _chunk_of(line)
            if cut is not None and cut():
                yield StreamStop("the answer was cut at the time limit", "time_limit")
                break
        else:
            yield from _chunk_of(pending)
    except Exception as err:  # every failure becomes the stream's last event
        yield StreamStop(f"the answer stopped: {stopped(err)}", "stream_error")
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _chunk_of(line: bytes) -> Generator[Chunk | StreamStop, None, None]:
    data = line.strip().removeprefix(b"data:").strip()
    if not data or data == b"[DONE]":
        return
    try:
        chunk, non_finite = decode_model_json(data)
    except ModelOutputError:
        yield StreamStop("the model sent a line that is not JSON", "stream_error")
        return
    if isinstance(chunk, dict) and "error" in chunk:
        yield StreamStop(str(chunk["error"])[:MAX_DETAIL_CHARS], "model_error")
        return
    yield chunk, None if non_finite else data


_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


def stream_error_said(code: str, message: str) -> str:
    """What a client is told of a stream that broke (an EventStreamError's Code and Message):
    the code (ModelStreamError, InternalStreamFailure), and the message only when that is a
    bare code such as ModelInvocationTimeExceeded. Any other message is withheld: SageMaker's
    text names the account and the endpoint's log group."""
    said = [c for c in (code, message) if _CODE.fullmatch(c)]
    return ": ".join(said) or "error"
