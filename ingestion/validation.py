"""Turn a request body into validated alerts, or into the errors of a 400.

The hot path decodes with msgspec (``ingestion.schema``) and checks in
Python only what the schema cannot express. A body either yields every
alert or nothing: validation is all-or-nothing per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

import msgspec

from cases.indicator_values import InvalidIndicator, normalise, normalise_email_domain
from ingestion import schema, unstorable

MAX_ALERTS = 1000
MAX_EXTRA_BYTES = 64 * 1024
# Stop listing after this many invalid alerts; the detector has enough to fix.
MAX_ERRORS = 100

_MISSING_FIELD = re.compile(r"Object missing required field `([^`]*)`")
_AT_PATH = re.compile(r" - at `\$(.*)`$")


@dataclass(frozen=True, slots=True)
class FieldError:
    index: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class InvalidBody(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__(errors[0].message if errors else "invalid body")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ValidAlert:
    external_id: str
    kind: str
    severity: str
    confidence: float
    observed_at: datetime
    title: str
    payload: str  # the alert object's JSON text, as received


class _Invalid(Exception):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_alerts(body: bytes, *, detector_name: str) -> list[ValidAlert]:
    """Validate a whole body; raise ``InvalidBody`` naming each bad alert and field."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidBody(
            [FieldError(None, None, f"the body is not UTF-8: {exc.reason}")]
        ) from None
    if unstorable.suspect(body):
        found = unstorable.find_unstorable(text)
        if found:
            raise InvalidBody([FieldError(*found)])
    try:
        probe = schema.probe_decoder.decode(body)
    except RecursionError:
        raise InvalidBody([FieldError(None, None, "the body is nested too deeply")]) from None
    except msgspec.ValidationError:
        raise InvalidBody(
            [FieldError(None, None, "the body must be a JSON object: one alert or an envelope")]
        ) from None
    except msgspec.DecodeError as exc:
        raise InvalidBody([FieldError(None, None, f"the body is not valid JSON: {exc}")]) from None

    # "external_id": null means absent, like any null.
    has_external_id = (
        probe.external_id is not schema.NO_VALUE and bytes(probe.external_id) != b"null"
    )
    if probe.alerts is not schema.NO_VALUE and not has_external_id:
        raws = _envelope_items(probe.alerts)
    else:
        if probe.alerts is not schema.NO_VALUE and _is_valid_envelope(probe.alerts, detector_name):
            # Both readings are valid alerts: the published schema (oneOf) refuses it.
            raise InvalidBody(
                [FieldError(None, "alerts", "a body cannot be both an alert and an envelope")]
            )
        raws = [msgspec.Raw(body)]

    alerts: list[ValidAlert] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(raws):
        try:
            alerts.append(_validate(raw, detector_name))
        except _Invalid as exc:
            errors.append(FieldError(index, exc.field, exc.message))
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise InvalidBody(errors)
    return alerts


def _envelope_items(raw: msgspec.Raw) -> list[msgspec.Raw]:
    try:
        items = schema.raw_list_decoder.decode(raw)
    except msgspec.ValidationError:
        raise InvalidBody([FieldError(None, "alerts", "must be an array of alerts")]) from None
    if not 1 <= len(items) <= MAX_ALERTS:
        raise InvalidBody(
            [FieldError(None, "alerts", f"must hold 1 to {MAX_ALERTS} alerts, not {len(items)}")]
        )
    return items


def _is_valid_envelope(raw: msgspec.Raw, detector_name: str) -> bool:
    try:
        items = _envelope_items(raw)
        for item in items:
            _validate(item, detector_name)
    except (InvalidBody, _Invalid):
        return False
    return True


def _validate(raw: msgspec.Raw, detector_name: str) -> ValidAlert:
    try:
        alert = schema.alert_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _invalid_from_msgspec(str(exc)) from None
    except (msgspec.DecodeError, RecursionError):
        # The whole body decoded already; kept so no input can escape as a 500.
        raise _Invalid(None, "the alert is not valid or is nested too deeply") from None
    observed_at = _timestamp(alert.observed_at, "observed_at")
    if alert.accounts:
        _check_accounts(alert.accounts)
    if alert.indicators:
        _check_indicators(alert.indicators, detector_name)
    if alert.metrics is not None:
        _check_metrics(alert.metrics)
    if alert.samples:
        for position, sample in enumerate(alert.samples):
            if sample.at is not None:
                _timestamp(sample.at, f"samples[{position}].at")
    extra = alert.extra
    if extra is not schema.NO_VALUE:
        _check_extra(bytes(extra))
    return ValidAlert(
        external_id=alert.external_id,
        kind=alert.kind,
        severity=alert.severity,
        confidence=0.5 if alert.confidence is None else alert.confidence,
        observed_at=observed_at,
        title=alert.title or "",
        payload=bytes(raw).decode("utf-8"),
    )


def _invalid_from_msgspec(message: str) -> _Invalid:
    path = ""
    at = _AT_PATH.search(message)
    if at:
        path = at.group(1).lstrip(".")
        message = message[: at.start()]
    missing = _MISSING_FIELD.match(message)
    if missing:
        name = missing.group(1)
        return _Invalid(f"{path}.{name}" if path else name, "this field is required")
    words = _in_words(message, path)
    return _Invalid(path, words) if path else _Invalid(None, f"the alert {words}")


# What each pattern of ``ingestion.schema`` asks for, as docs/alerts-api.md says it:
# a detector's author should not have to read a regular expression.
_PATTERN_WORDS = {
    schema.TIMESTAMP_PATTERN: "must be an RFC 3339 timestamp with an offset, "
    "such as 2026-11-28T09:14:03Z",
    schema.KIND_PATTERN: "must be dot-separated parts of lower-case letters, digits and _, "
    "such as distillation.cot_elicitation",
    schema.COUNTRY_PATTERN: "must be an ISO 3166-1 alpha-2 country code in capitals, such as SG",
}
# The enumerated fields, by their name (the last part of the path).
_CHOICES = {
    "severity": get_args(schema.Severity),
    "type": get_args(schema.IndicatorType),
}
_TYPE_WORDS = {
    "str": "a string",
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
_EXPECTED_TYPE = re.compile(r"Expected `([^`]*)`, got `([^`]*)`$")
_LENGTH = re.compile(r"Expected `(str|array|object)` of length (<=|>=) (\d+)$")
_BOUND = re.compile(r"Expected `(?:float|int)` (<=|>=|<|>) (\S+)$")
_ENUM = re.compile(r"Invalid enum value (.*)$")


def _type_words(names: str) -> str:
    return " or ".join(_TYPE_WORDS.get(name, name) for name in names.split(" | "))


def _number(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def _in_words(message: str, path: str) -> str:
    """msgspec's message for a value, said in words (never quoting a pattern)."""
    for pattern, words in _PATTERN_WORDS.items():
        if f"matching regex {pattern!r}" in message:
            return words
    if found := _EXPECTED_TYPE.match(message):
        return f"must be {_type_words(found[1])}, not {_type_words(found[2])}"
    if found := _LENGTH.match(message):
        kind, bound, size = found[1], found[2], int(found[3])
        unit = "characters" if kind == "str" else "items"
        if bound == ">=" and size == 1:
            return "must not be empty"
        return f"must have at {'most' if bound == '<=' else 'least'} {size} {unit}"
    if found := _BOUND.match(message):
        words = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}
        return f"must be {words[found[1]]} {_number(found[2])}"
    if found := _ENUM.match(message):
        name = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
        choices = _CHOICES.get(name)
        if choices:
            return f"must be one of {', '.join(choices)}, not {found[1]}"
        return f"is not one of the allowed values: {found[1]}"
    if message.startswith("Number out of range"):
        return "is a number too large to read"
    if "regex" in message:
        return "is not in the form docs/alerts-api.md describes"
    return message


def _timestamp(value: str, field: str) -> datetime:
    # The pattern already fixed the shape; this refuses impossible dates, times
    # and offsets (RFC 3339 offsets are at most 23:59), and instants outside
    # what Python can convert to UTC.
    try:
        if value[-1] not in "Zz" and (int(value[-5:-3]) > 23 or int(value[-2:]) > 59):
            raise ValueError
        parsed = datetime.fromisoformat(value.upper())
        # In UTC: PostgreSQL refuses offsets past 15:59 that RFC 3339 allows.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Invalid(field, f"not a valid RFC 3339 timestamp: {value!r}") from None


def _check_accounts(accounts: list[schema.AccountRef]) -> None:
    for position, account in enumerate(accounts):
        if account.created_at is not None:
            _timestamp(account.created_at, f"accounts[{position}].created_at")
        if account.email_domain and account.email_domain.strip():
            try:
                normalise_email_domain(account.email_domain)
            except InvalidIndicator as exc:
                raise _Invalid(f"accounts[{position}].email_domain", str(exc)) from None


def _check_indicators(indicators: list[schema.Indicator], detector_name: str) -> None:
    for position, indicator in enumerate(indicators):
        try:
            normalise(indicator.type, indicator.value, detector_name=detector_name)
        except InvalidIndicator as exc:
            raise _Invalid(f"indicators[{position}].value", str(exc)) from None
        if indicator.first_seen is not None:
            _timestamp(indicator.first_seen, f"indicators[{position}].first_seen")
        if indicator.last_seen is not None:
            _timestamp(indicator.last_seen, f"indicators[{position}].last_seen")


def _check_metrics(metrics: schema.Metrics) -> None:
    for name in ("requests", "tokens_in", "tokens_out"):
        value = getattr(metrics, name)
        if value is not None and not value.is_integer():
            raise _Invalid(f"metrics.{name}", "must be a whole number")
    for name in ("window_start", "window_end"):
        value = getattr(metrics, name)
        if value is not None:
            _timestamp(value, f"metrics.{name}")


def _check_extra(raw: bytes) -> None:
    if raw == b"null":
        return
    if not raw.startswith(b"{"):
        raise _Invalid("extra", "must be an object or null")
    # Measured serialised compactly, so indentation does not count against it.
    if len(raw) > MAX_EXTRA_BYTES and len(msgspec.json.encode(msgspec.json.decode(raw))) > (
        MAX_EXTRA_BYTES
    ):
        raise _Invalid("extra", f"must be at most {MAX_EXTRA_BYTES} bytes serialised")
