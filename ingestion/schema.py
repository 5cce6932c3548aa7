"""The alert of docs/alerts-api.md as msgspec Structs.

msgspec decodes and validates a body an order of magnitude faster than DRF
serializers; the Structs mirror ``alert-v1.schema.json`` field by field, and
``ingestion.validation`` adds what a schema cannot say (dates, addresses,
sizes). Unknown fields are ignored here and kept in the stored payload.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

# Strict ASCII digits and ``\Z``: ``\d`` matches other scripts' digits and
# ``$`` matches before a trailing newline.
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"

KIND_PATTERN = r"^[a-z0-9_]+(\.[a-z0-9_]+)*\Z"
COUNTRY_PATTERN = r"^[A-Z]{2}\Z"

Timestamp = Annotated[str, Meta(pattern=TIMESTAMP_PATTERN)]
Count = Annotated[float, Meta(ge=0)]  # JSON Schema integers include 3.0; checked later


Id = Annotated[str, Meta(min_length=1, max_length=200)]
Text100 = Annotated[str, Meta(max_length=100)]
Text200 = Annotated[str, Meta(max_length=200)]
Text253 = Annotated[str, Meta(max_length=253)]
Text300 = Annotated[str, Meta(max_length=300)]
Text4000 = Annotated[str, Meta(max_length=4000)]
Text20000 = Annotated[str, Meta(max_length=20000)]
Value = Annotated[str, Meta(min_length=1, max_length=1000)]


IndicatorType = Literal[
    "ip",
    "cidr",
    "asn",
    "payment_fingerprint",
    "device_fingerprint",
    "email_domain",
    "api_key_prefix",
    "prompt_cluster",
    "user_agent",
]


Severity = Literal["low", "medium", "high", "critical"]


class AccountRef(msgspec.Struct, gc=False):
    external_id: Id
    email_domain: Text253 | None = None
    organization_id: Text200 | None = None
    created_at: Timestamp | None = None
    country: Annotated[str, Meta(pattern=COUNTRY_PATTERN)] | None = None
    payment_fingerprint: Text200 | None = None


class Indicator(msgspec.Struct, gc=False):
    type: IndicatorType
    value: Value
    first_seen: Timestamp | None = None
    last_seen: Timestamp | None = None


class Metrics(msgspec.Struct, gc=False):
    requests: Count | None = None
    tokens_in: Count | None = None
    tokens_out: Count | None = None
    window_start: Timestamp | None = None
    window_end: Timestamp | None = None


class Sample(msgspec.Struct, gc=False):
    prompt_excerpt: Text4000 | None = None
    response_excerpt: Text4000 | None = None
    request_id: Text200 | None = None
    at: Timestamp | None = None


NO_VALUE = msgspec.Raw(b"")


class Alert(msgspec.Struct, gc=False):
    external_id: Id
    kind: Annotated[str, Meta(min_length=1, max_length=100, pattern=KIND_PATTERN)]
    severity: Severity
    observed_at: Timestamp
    confidence: Annotated[float, Meta(ge=0, le=1)] | None = None
    title: Text300 | None = None
    description: Text20000 | None = None
    accounts: Annotated[list[AccountRef], Meta(max_length=1000)] | None = None
    indicators: Annotated[list[Indicator], Meta(max_length=5000)] | None = None
    metrics: Metrics | None = None
    samples: Annotated[list[Sample], Meta(max_length=50)] | None = None
    campaign_hint: Text200 | None = None
    labels: Annotated[list[Text100], Meta(max_length=50)] | None = None
    # Kept undecoded: only its type and size are checked.
    extra: msgspec.Raw = NO_VALUE


class Probe(msgspec.Struct, gc=False):
    """The top level of a body, decoded only far enough to tell its shape."""

    alerts: msgspec.Raw = NO_VALUE
    external_id: msgspec.Raw = NO_VALUE


alert_decoder = msgspec.json.Decoder(Alert)
probe_decoder = msgspec.json.Decoder(Probe)
raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
