"""Settings read from the environment.

Every helper takes the development default used when ``DEBUG`` is on; in
production (``DEBUG`` off, the default) a required variable that is missing,
or any malformed value, stops start-up with an error naming the variable.
"""

from __future__ import annotations

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


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")


DEBUG = env_bool("DEBUG", False)


def _convert(name: str, raw: str, parse: Callable[[str], T], what: str) -> T:
    try:
        return parse(raw)
    except (TypeError, ValueError) as exc:
        raise SettingError(f"{name} must be {what}, got {raw!r}") from exc


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
    raise SettingError(f"{name} is required (set it in the environment)")


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
    value = _convert(name, raw.strip(), parse, what)
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def env_list(name: str, dev_default: list[str] | None = None, *, default=_MISSING) -> list[str]:
    raw = os.environ.get(name)
    if raw is not None and raw.strip() != "":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if default is not _MISSING:
        return list(default)
    if DEBUG and dev_default is not None:
        return dev_default
    raise SettingError(f"{name} is required (comma-separated list)")


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if value not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value
