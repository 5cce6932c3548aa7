"""Settings read from the environment.

Every helper takes the development default used when ``DEBUG`` is on; in
production (``DEBUG`` off, the default) a required variable that is missing,
or any malformed value, stops start-up with an error naming the variable.

The settings module reads between ``collect_problems()`` and
``raise_problems()``: a helper then notes what is wrong and returns a stand-in
value, so that start-up names every missing or malformed variable in one
error instead of making an operator fix them one restart at a time. Outside
that window a helper raises at once.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
Number = TypeVar("Number", int, float)

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ImproperlyConfigured):
    """A setting variable is missing or malformed; the message names it."""


_problems: list[str] | None = None


def collect_problems() -> None:
    """From now on note setting problems instead of raising them."""
    global _problems
    _problems = []


def raise_problems() -> None:
    """Stop noting problems; raise one ``SettingError`` naming all of them."""
    global _problems
    problems, _problems = _problems or [], None
    if len(problems) == 1:
        raise SettingError(problems[0])
    if problems:
        raise SettingError(f"{len(problems)} settings are wrong: " + "; ".join(problems))


def problem(message: str, stand_in: T) -> T:
    """Report a setting problem: raised now, or noted and ``stand_in`` returned."""
    if _problems is None:
        raise SettingError(message)
    _problems.append(message)
    return stand_in


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return problem(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}", default)


DEBUG = env_bool("DEBUG", False)


def env_str(name: str, dev_default: str | None = None, *, default: str | None = None) -> str:
    """A string setting.

    ``default`` applies everywhere; ``dev_default`` only when DEBUG is on, so
    production must give the variable.
    """
    raw = os.environ.get(name)
    if raw is not None and raw.strip() != "":
        return raw
    if default is not None:
        return default
    if DEBUG and dev_default is not None:
        return dev_default
    return problem(f"{name} is required (set it in the environment)", "")


def env_optional(name: str) -> str | None:
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else None


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, int, "an integer", minimum)


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    return _env_number(name, default, float, "a number", minimum)


def _env_number(
    name: str, default: Number, parse: Callable[[str], Number], what: str, minimum: Number | None
) -> Number:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw.strip())
    except (TypeError, ValueError):
        return problem(f"{name} must be {what}, got {raw!r}", default)
    if minimum is not None and value < minimum:
        return problem(f"{name} must be at least {minimum}, got {raw!r}", default)
    return value


def env_list(name: str, dev_default: list[str] | None = None, *, default=_MISSING) -> list[str]:
    raw = os.environ.get(name)
    if raw is not None and raw.strip() != "":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if default is not _MISSING:
        return list(default)
    if DEBUG and dev_default is not None:
        return dev_default
    return problem(f"{name} is required (comma-separated list)", [])


def env_choice(
    name: str,
    choices: tuple[str, ...],
    dev_default: str | None = None,
    *,
    default: str | None = None,
) -> str:
    """One of ``choices``; required in production unless ``default`` is given."""
    raw = os.environ.get(name)
    if raw is not None and raw.strip() != "":
        value = raw.strip()
        if value in choices:
            return value
        return problem(f"{name} must be one of {', '.join(choices)}, got {raw!r}", choices[0])
    if default is not None:
        return default
    if DEBUG and dev_default is not None:
        return dev_default
    return problem(f"{name} is required (one of {', '.join(choices)})", choices[0])


def env_base64_bytes(name: str, length: int, dev_default: bytes | None = None) -> bytes:
    """``length`` bytes given in base64 (a raw key); required in production.

    ``dev_default`` applies only when DEBUG is on.
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        if DEBUG and dev_default is not None:
            return dev_default
        return problem(f"{name} is required (base64 of {length} random bytes)", bytes(length))
    try:
        value = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        return problem(
            f"{name} must be base64 of {length} bytes, got something else", bytes(length)
        )
    if len(value) != length:
        return problem(
            f"{name} must be base64 of {length} bytes, got {len(value)} bytes", bytes(length)
        )
    return value
