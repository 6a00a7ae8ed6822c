"""What every spec model shares: the strict base model, and the checks of dates, time zones,
revisions and addresses that several fields use.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

from deepseek_cdk.catalog import INSTANCES, MODELS
from deepseek_cdk.spec.wording import did_you_mean, shown, unshowable


class Strict(BaseModel):
    """Every spec model: unknown keys refused, and no coercion: `yes` is not 1, "8" is not 8,
    and only finite numbers pass (a whole number is a valid float). No text, and no key of a
    mapping, holds a control character (see `unshowable`): every string the CLI prints comes
    from here, so one check covers names, sources, URIs, expressions and keys alike."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _showable(cls, value: Any) -> Any:
        texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
        for text in texts:
            if isinstance(text, str) and (char := unshowable(text)):
                what = "text" if text is value else f"key {shown(text)}"
                raise ValueError(
                    f"{what} holds the control character {char}; a terminal would act on it (an ANSI "
                    "escape, a line break) instead of showing it: write plain text"
                )
        return value


# What a tz database installs beside the IANA zones: not zones (zoneinfo.available_timezones
# leaves the posix/ and right/ copies out too). A name is checked by loading it, not by listing
# every zone on disk, which would cost every `plan` tens of milliseconds.
_NOT_ZONES = {"Factory", "localtime", "posixrules"}


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone name this machine's tz database holds."""
    if name in _NOT_ZONES or name.startswith(("posix/", "right/")):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _existing_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date that exists (yyyy-mm-dd)") from None
    return value


# The first place on Earth to reach a date is 14 hours ahead of UTC (Pacific/Kiritimati): a
# date after today there has not happened anywhere yet.
_EARLIEST_ZONE = timezone(timedelta(hours=14))


def past_date(value: str, what: str) -> str:
    """An existing date that is not in the future: `what` was read or measured on it."""
    _existing_date(value)
    today = datetime.now(_EARLIEST_ZONE).date()
    if date.fromisoformat(value) > today:
        raise ValueError(f"in the future; give the date the {what} (at most {today.isoformat()})")
    return value


def time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise ValueError("not an IANA time zone name, e.g. UTC, Europe/Berlin, America/New_York")
    return value


# A revision that still holds an example's placeholder (<commit>, {sha}, TODO) would deploy
# whatever the Hub resolves it to, or fail at the first cold start.
_PLACEHOLDER = re.compile(r"[<>{}\s$]|^(todo|tbd|fixme|changeme|x+)$|^your[-_]|[-_]here$", re.IGNORECASE)
_SHOUTED = re.compile(r"^[A-Z0-9]*_[A-Z0-9_]*$")  # COMMIT_SHA: upper case only, release_v2 is fine
# What a Hub revision may hold here: the registry's metadata accepts letters, digits and
# _ . : / = + - @ only (a branch, a tag or a commit hash fits).
_REVISION = re.compile(r"^[A-Za-z0-9_.:/=+@-]{1,200}\Z")
# A Hub revision is a git branch, tag or commit, and git refuses ref names that hold ':' or
# '..', begin or end with '/', hold '//', end with '.', or have a '/'-separated part that
# begins with '.' or ends with '.lock' (git-check-ref-format(1), rules 1, 3-7). Such a
# revision names nothing on the Hub; '..' would also climb out of the revision in the Hub's
# download URL (/<repo>/resolve/<revision>/<file>).
_NOT_A_REF = re.compile(r"[:]|\.\.|//|^/|/$|\.$|(^|/)\.|\.lock(/|$)|^@$")
# An address SNS delivers to: a dot-atom local part of at most 64 characters (no leading,
# trailing or doubled dot) and a domain of LDH labels ending in a letters-only top level.
EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    re.ASCII,
)
COMMIT = re.compile(r"^[0-9a-f]{40}\Z")


def hub_revision(value: str) -> str:
    """A Hub revision that names a branch, a tag or a commit, and holds no placeholder."""
    if (_PLACEHOLDER.search(value) or _SHOUTED.match(value)) and not COMMIT.match(value):
        raise ValueError(
            "looks like a placeholder; give the Hub commit hash (40 hex characters) the version "
            "was tested with"
        )
    if not _REVISION.match(value):
        raise ValueError("must be 1-200 letters, digits or _ . / = + @ - (a commit, a tag or a branch)")
    if found := _NOT_A_REF.search(value):
        raise ValueError(
            f"not a git branch, tag or commit: git refuses {found.group() or 'the name'!r} there "
            "(no ':', '..', '//', no part starting with '.' or ending with '.lock', no '/' or '.' at "
            "either end)"
        )
    return value


def unknown_instance(value: str) -> str | None:
    """Why `value` is no instance type of the catalog (which holds each type's GPUs, memory
    and local storage), naming the closest; None when it is one."""
    if value in INSTANCES:
        return None
    close = did_you_mean(value, list(INSTANCES))
    return f"unknown instance type; {close}catalog types: {', '.join(INSTANCES)}"


def instance_type_or_auto(value: str) -> str:
    """`auto`, or an instance type of the catalog (a tier's or a fleet's)."""
    if value != "auto" and (problem := unknown_instance(value)):
        raise ValueError(f"{problem}; or auto")
    return value


def known_model(value: str) -> str:
    """A model the catalog knows (a tier's, or the one a hosted API serves)."""
    if value not in MODELS:
        close = did_you_mean(value, list(MODELS))
        raise ValueError(f"unknown model; {close}known models: {', '.join(MODELS)}")
    return value
