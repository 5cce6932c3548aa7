"""Turn stored alerts into the rows the import writes, in Python, before any SQL.

Everything that can be wrong with one alert is found here, so it fails alone
(with its error) and the set-based steps see only alerts they can store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from cases.indicator_values import normalise, normalise_email_domain
from cases.models import STRONG_INDICATOR_TYPES
from ingestion.schema import alert_decoder


class AlertRejected(Exception):
    """This alert cannot be imported; the message is shown to administrators."""


@dataclass(slots=True)
class AccountRow:
    external_id: str
    email_domain: str = ""
    organization_id: str = ""
    country: str = ""
    created_at: datetime | None = None
    payment_fingerprint: str = ""


@dataclass(slots=True)
class PreparedAlert:
    id: int
    detector_id: int
    detector_name: str
    external_id: str
    kind: str
    severity: str
    confidence: float
    observed_at: datetime
    title: str
    description: str
    campaign_hint: str
    labels: list[str]
    accounts: list[AccountRow]
    # Alert-level indicators: (type, normalised value, first_seen, last_seen).
    indicators: list[tuple[str, str, datetime, datetime]]
    metrics: dict | None
    samples: list[dict]
    # Filled by the upsert step.
    account_ids: list[int] = field(default_factory=list)
    # (indicator id, type, value, account external id or "") for strong indicators.
    strong: list[tuple[int, str, str, str]] = field(default_factory=list)
    indicator_ids: list[int] = field(default_factory=list)


def _timestamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _text(value: str | None) -> str:
    return value or ""


def prepare(row: tuple, detector_name: str) -> PreparedAlert:
    """``row`` is (id, detector_id, external_id, kind, severity, confidence,
    observed_at, title, payload text) as loaded by the import."""
    alert_id, detector_id, external_id, kind, severity, confidence, observed, title, text = row
    try:
        alert = alert_decoder.decode(text)
    except msgspec.DecodeError as exc:
        raise AlertRejected(f"stored payload is not a valid alert: {exc}") from None
    try:
        accounts = _accounts(alert.accounts or ())
        indicators = _indicators(alert.indicators or (), detector_name, observed)
    except ValueError as exc:
        raise AlertRejected(str(exc)) from None
    metrics = msgspec.to_builtins(alert.metrics) if alert.metrics is not None else None
    if metrics is not None:
        # JSON Schema counts 3.0 as an integer; show it as 3.
        metrics = {
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in metrics.items()
            if value is not None
        }
    samples = [
        {key: value for key, value in msgspec.to_builtins(sample).items() if value is not None}
        for sample in alert.samples or ()
    ]
    return PreparedAlert(
        id=alert_id,
        detector_id=detector_id,
        detector_name=detector_name,
        external_id=external_id,
        kind=kind,
        severity=severity,
        confidence=confidence,
        observed_at=observed,
        title=title or "",
        description=_text(alert.description),
        campaign_hint=_text(alert.campaign_hint).strip(),
        labels=list(alert.labels or ()),
        accounts=accounts,
        indicators=indicators,
        metrics=metrics or None,
        samples=[sample for sample in samples if sample],
    )


def _accounts(refs) -> list[AccountRow]:
    rows: dict[str, AccountRow] = {}
    for ref in refs:
        row = rows.setdefault(ref.external_id, AccountRow(ref.external_id))
        # Within one alert the same account may be listed twice; keep what is known.
        if ref.email_domain:
            row.email_domain = normalise_email_domain(ref.email_domain)
        if ref.organization_id:
            row.organization_id = ref.organization_id
        if ref.country:
            row.country = ref.country
        if ref.created_at:
            row.created_at = _timestamp(ref.created_at)
        if ref.payment_fingerprint and ref.payment_fingerprint.strip():
            row.payment_fingerprint = normalise(
                "payment_fingerprint", ref.payment_fingerprint, detector_name=""
            )
    return list(rows.values())


def _indicators(items, detector_name: str, observed: datetime) -> list[tuple]:
    seen: dict[tuple[str, str], tuple[str, str, datetime, datetime]] = {}
    for item in items:
        value = normalise(item.type, item.value, detector_name=detector_name)
        first = _timestamp(item.first_seen) or observed
        last = _timestamp(item.last_seen) or observed
        key = (item.type, value)
        if key in seen:
            _, _, f, la = seen[key]
            first, last = min(first, f), max(last, la)
        seen[key] = (item.type, value, first, last)
    return list(seen.values())


def is_strong(indicator_type: str) -> bool:
    return indicator_type in STRONG_INDICATOR_TYPES
