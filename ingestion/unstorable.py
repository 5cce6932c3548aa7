"""Values JSON allows but PostgreSQL cannot store, found and named.

Text cannot hold U+0000 or unpaired surrogates, and ``numeric`` (inside
jsonb) holds at most 131072 digits before the point and 16383 after. A cheap
scan of the raw body decides whether the slow path runs at all: it parses the
body again with the standard library to name the field.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

# JSON escapes of U+0000 and of surrogates (paired ones are fine; the slow
# path tells them apart).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# Digits become "0", exponent letters "e", signs "+", anything else a space:
# large exponents and long digit runs are then plain substring searches.
_NUMBER_SHAPE = bytes(
    48 if 48 <= b <= 57 else 101 if b in b"eE" else 43 if b in b"+-" else 32 for b in range(256)
)
_LONG_DIGITS = b"0" * 1000
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
MAX_INTEGER_DIGITS = 131072
MAX_FRACTION_DIGITS = 16383

TEXT_MESSAGE = "text must not contain U+0000 or unpaired surrogates"
NUMBER_MESSAGE = "this number is too large or too precise to be stored"
DEPTH_MESSAGE = "the body is nested too deeply"


class _OutOfRange:
    """Stands for a number PostgreSQL's numeric cannot hold."""


OUT_OF_RANGE = _OutOfRange()


def suspect(body: bytes) -> bool:
    if _SUSPECT_ESCAPE.search(body):
        return True
    shape = body.translate(_NUMBER_SHAPE)
    return b"e00000" in shape or b"e+00000" in shape or _LONG_DIGITS in shape


def find_unstorable(text: str) -> tuple[int | None, str | None, str] | None:
    """``(alert index, field, message)`` of the first unstorable value, or None."""
    try:
        document = json.loads(text, parse_int=_number, parse_float=_number)
    except RecursionError:
        return None, None, DEPTH_MESSAGE
    except ValueError:
        return None  # not JSON: the decoder reports it properly
    if isinstance(document, dict) and "alerts" in document and document.get("external_id") is None:
        if isinstance(document["alerts"], list):
            for index, item in enumerate(document["alerts"]):
                found = _find(item, "")
                if found:
                    return index, found[0], found[1]
        found = _find({k: v for k, v in document.items() if k != "alerts"}, "")
        return (None, found[0], found[1]) if found else None
    found = _find(document, "")
    return (0 if isinstance(document, dict) else None, found[0], found[1]) if found else None


def _number(literal: str) -> Any:
    try:
        value = Decimal(literal)
    except InvalidOperation:
        return OUT_OF_RANGE
    if value.is_zero():
        return 0
    if value.adjusted() >= MAX_INTEGER_DIGITS or -value.as_tuple().exponent > MAX_FRACTION_DIGITS:
        return OUT_OF_RANGE
    return 0  # the value itself is not needed here


def _find(value: Any, path: str) -> tuple[str | None, str] | None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if item is OUT_OF_RANGE:
            return where or None, NUMBER_MESSAGE
        if isinstance(item, str):
            if _BAD_CHAR.search(item):
                return _printable(where), TEXT_MESSAGE
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else key
                if _BAD_CHAR.search(key):
                    return _printable(child_path), TEXT_MESSAGE
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{n}]") for n, child in enumerate(item))
    return None


def _printable(path: str) -> str | None:
    # The answer is JSON: a lone surrogate in a field name could not be encoded.
    return _BAD_CHAR.sub("\ufffd", path) or None
