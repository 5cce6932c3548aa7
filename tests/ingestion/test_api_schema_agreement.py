"""The server and the published schema agree on every property.

For each property the schema describes (nested ones included), a spread of
values is posted: nulls, wrong types, boundary lengths and numbers. The
client helper asserts for each that an accepted body passes the schema and a
body the schema rejects gets 400.
"""

from __future__ import annotations

import pytest

from tests.ingestion.conftest import make_alert, published_schema

SAMPLES = [None, True, 0, -1, 0.5, 1, 1.5, 3.0, "", "x", "SG", "low", [], {}, ["x"], {"a": 1}]
TIMESTAMPS = ["2026-11-28T09:14:03Z", "2026-11-28T09:14:03", "2026-11-28"]


def _properties(schema: dict, defs: dict, prefix: tuple = ()) -> list[tuple[tuple, dict]]:
    """(path, property schema) for every property, descending into objects and arrays."""
    found = []
    for name, spec in schema.get("properties", {}).items():
        path = (*prefix, name)
        found.append((path, spec))
        for option in spec.get("anyOf", [spec]):
            if option.get("type") == "object" and "properties" in option:
                found.extend(_properties(option, defs, path))
            if option.get("type") == "array" and "properties" in option.get("items", {}):
                found.extend(_properties(option["items"], defs, (*path, 0)))
    return found


def _boundaries(spec: dict) -> list:
    values = []
    for option in spec.get("anyOf", [spec]):
        if "maxLength" in option:
            values += ["y" * option["maxLength"], "y" * (option["maxLength"] + 1)]
        if "minimum" in option or "maximum" in option:
            values += [option.get("minimum", 0) - 0.001, option.get("maximum", 10**12) + 0.001]
        if option.get("format") == "date-time":
            values += TIMESTAMPS
        if "enum" in option:
            values += option["enum"] + ["other"]
    return values


def _cases() -> list[tuple[str, tuple, object]]:
    schema = published_schema()
    alert = schema["$defs"]["alert"]
    cases = []
    for path, spec in _properties(alert, schema["$defs"]):
        for value in SAMPLES + _boundaries(spec):
            cases.append((".".join(map(str, path)), path, value))
    return cases


def _set(alert: dict, path: tuple, value) -> dict:
    alert.setdefault("accounts", [{"external_id": "acct"}])
    alert.setdefault("indicators", [{"type": "ip", "value": "192.0.2.1"}])
    alert.setdefault("metrics", {})
    alert["samples"] = alert.get("samples") or [{}]
    target = alert
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return alert


def test_the_server_agrees_with_the_schema_on_every_property(api):
    statuses = set()
    for number, (name, path, value) in enumerate(_cases()):
        alert = _set(make_alert(f"agree-{number}"), path, value)
        try:
            # AlertsClient.post asserts the agreement for each body.
            response = api.post({"alerts": [alert]})
        except AssertionError as exc:
            pytest.fail(f"{name} = {value!r}: {exc}")
        statuses.add(response.status_code)
    assert statuses == {202, 400}
