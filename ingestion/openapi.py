"""The alerts API in the OpenAPI schema: the body detectors post and what they get back.

The request body is the published contract itself (docs/alert-v1.schema.json),
turned from JSON Schema 2020-12 into the OpenAPI 3.0 dialect the schema is
written in, so that the API's schema and the detectors' one cannot differ.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework import serializers

from ingestion.models import AlertStatus, BatchStatus

ALERT_SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "alert-v1.schema.json"
_DROPPED = ("$schema", "$id", "$defs")


def _openapi_30(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` in OpenAPI 3.0 terms: ``anyOf [X, null]`` is X, nullable; refs inlined."""
    if isinstance(node, list):
        return [_openapi_30(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _openapi_30(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    variants = node.get("anyOf")
    if variants and {"type": "null"} in variants:
        others = [v for v in variants if v != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(others) == 1:
            return {**_openapi_30(others[0], defs), **rest, "nullable": True}
        return {**rest, "anyOf": _openapi_30(others, defs), "nullable": True}
    return {
        key: (
            {name: _openapi_30(value, defs) for name, value in node["properties"].items()}
            if key == "properties"
            else _openapi_30(value, defs)
        )
        for key, value in node.items()
        if key not in _DROPPED
    }


@cache
def alerts_request_schema() -> dict[str, Any]:
    published = json.loads(ALERT_SCHEMA_PATH.read_text())
    return _openapi_30(published, published.get("$defs", {}))


class AcceptedSerializer(serializers.Serializer):
    batch = serializers.UUIDField()
    accepted = serializers.IntegerField(help_text="New alerts stored.")
    duplicates = serializers.IntegerField(help_text="Alerts already known, or repeated.")
    status_url = serializers.CharField(help_text="Where the batch's progress is read.")


class BatchErrorSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    message = serializers.CharField()


class BatchStatusSerializer(serializers.Serializer):
    batch = serializers.UUIDField()
    status = serializers.ChoiceField(choices=BatchStatus.choices)
    accepted = serializers.IntegerField()
    imported = serializers.IntegerField()
    failed = serializers.IntegerField()
    errors = BatchErrorSerializer(many=True)
    received_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class LookupCaseSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.CharField(allow_null=True)


class LookupSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    batch = serializers.UUIDField()
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    case = LookupCaseSerializer(allow_null=True)
