"""Writing audit events. Every state-changing function calls :func:`record`.

``record`` must run inside ``transaction.atomic()``: it takes the chain lock
(a transaction-scoped advisory lock, so it also works behind PgBouncer in
transaction mode), reads the head of the chain, and inserts the next event
with the next gapless sequence number, its hash and its seal (an Ed25519
signature of the hash, ``audit.signing``). The lock is held until
the transaction ends, so call ``record`` as the last write of a transaction
to keep the time other writers wait short.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.models import AuditEvent
from audit.signing import seal_message, sign
from core.middleware import current_remote_addr, current_request_id

# Key of the advisory lock that serialises writers of the chain ("dossier").
CHAIN_LOCK_KEY = 0x646F7373696572

CASE_LABEL = "cases.case"


class TransactionRequired(RuntimeError):
    """``record`` was called outside ``transaction.atomic()``."""


def record(verb: str, **fields: Any) -> AuditEvent:
    """Append one event to the trail and return it.

    ``fields`` are the event's keywords, checked by :func:`_prepare`:
    ``actor`` is the acting user, ``detector`` the acting detector, ``system``
    names an automatic actor (e.g. ``"sweeper"``). ``target`` is any saved
    model instance, named on the trail by ``target_label`` when given (else
    by its ``str``); ``cases`` are Case instances or ids (a Case target is
    included automatically). ``before``/``after`` are JSON documents and
    ``reason`` is what the person typed.
    """
    return record_many([{"verb": verb, **fields}])[0]


def record_refusal(
    verb: str,
    refusal: Exception,
    *,
    actor=None,
    system: str | None = None,
    target=None,
    cases: Iterable = (),
    after: dict | None = None,
) -> AuditEvent:
    """Append a refused step, in a transaction of its own.

    The workflow calls it once the refused step's transaction has rolled back,
    so the trace of the refusal is kept although nothing else was written.
    """
    with transaction.atomic():
        return record(
            verb,
            actor=actor,
            system=system,
            target=target,
            cases=cases,
            after=after,
            reason=str(refusal),
        )


def record_many(entries: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events under one lock and one INSERT.

    Each entry holds the keyword arguments of :func:`record` (``verb`` included).
    """
    prepared = [_prepare(**entry) for entry in entries]
    if not prepared:
        return []
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise TransactionRequired("audit events must be recorded inside transaction.atomic()")

    documents: list[str | None] = []
    for fields in prepared:
        documents.append(fields.pop("_before_json"))
        documents.append(fields.pop("_after_json"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        # A separate statement after the lock: under READ COMMITTED it sees the
        # event committed by whoever held the lock before us.
        cursor.execute(
            """
            SELECT head.sequence, head.hash,
                   ARRAY(SELECT doc.value::jsonb::text
                           FROM unnest(%s::text[]) WITH ORDINALITY AS doc(value, n)
                          ORDER BY doc.n)
              FROM (SELECT 1) AS one
              LEFT JOIN (SELECT sequence, hash FROM audit_auditevent
                          ORDER BY sequence DESC LIMIT 1) AS head ON true
            """,
            [documents],
        )
        last_sequence, last_hash, canonical = cursor.fetchone()

    sequence = last_sequence or 0
    prev_hash = last_hash or GENESIS_HASH
    occurred_at = timezone.now()
    events = []
    for index, fields in enumerate(prepared):
        sequence += 1
        event = AuditEvent(
            sequence=sequence, occurred_at=occurred_at, prev_hash=prev_hash, **fields
        )
        hashed = {name: getattr(event, name) for name in HASHED_FIELDS}
        # The documents are hashed as PostgreSQL will store them (jsonb::text), as verify reads them.
        hashed["before"], hashed["after"] = canonical[2 * index], canonical[2 * index + 1]
        event.hash = compute_hash(**hashed)
        event.seal = sign(settings.AUDIT_SIGNING_KEY, seal_message(event.hash))
        prev_hash = event.hash
        events.append(event)
    _insert(events, occurred_at, documents)
    return events


# The stored columns are the hashed ones, the hash (``audit.chain``) and its seal.
STORED_COLUMNS = (*HASHED_FIELDS, "hash", "seal")
# Every event of one record_many shares its time: one parameter, not an array.
_ARRAY_COLUMNS = tuple(name for name in STORED_COLUMNS if name != "occurred_at")
# The array type each column travels as (text unless named), and its cast on the way in.
_ARRAY_TYPES = {"sequence": "bigint", "actor_id": "bigint"}
_CASTS = {"case_ids": "::bigint[]", "before": "::jsonb", "after": "::jsonb"}

# One array parameter per column, whatever the number of events: a large
# record_many costs one statement with 18 parameters, not thousands.
_INSERT_SQL = (
    f"INSERT INTO audit_auditevent ({', '.join(STORED_COLUMNS)}) "  # noqa: S608 (fixed columns)
    "SELECT "
    + ", ".join(
        "%s" if name == "occurred_at" else f"e.{name}{_CASTS.get(name, '')}"
        for name in STORED_COLUMNS
    )
    + " FROM unnest("
    + ", ".join(f"%s::{_ARRAY_TYPES.get(name, 'text')}[]" for name in _ARRAY_COLUMNS)
    + f") AS e({', '.join(_ARRAY_COLUMNS)}) RETURNING id, sequence"
)


def _column(name: str, events: list[AuditEvent], documents: list[str | None]) -> list:
    if name == "case_ids":
        return ["{" + ",".join(map(str, event.case_ids)) + "}" for event in events]
    if name == "before":
        return documents[0::2]
    if name == "after":
        return documents[1::2]
    return [getattr(event, name) for event in events]


def _insert(events: list[AuditEvent], occurred_at, documents: list[str | None]) -> None:
    columns = [_column(name, events, documents) for name in _ARRAY_COLUMNS]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_INSERT_SQL, [occurred_at, *columns])
        ids = {sequence: pk for pk, sequence in cursor.fetchall()}
    for event in events:
        event.pk = ids[event.sequence]
        event._state.adding = False
        event._state.db = "default"


def _prepare(
    verb: str,
    *,
    actor=None,
    detector=None,
    system: str | None = None,
    target=None,
    target_label: str | None = None,
    cases: Iterable = (),
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> dict[str, Any]:
    if not verb or not isinstance(verb, str):
        raise ValueError("an audit event needs a verb")
    fields: dict[str, Any] = {"verb": _text(verb, 100)}

    if actor is not None and getattr(actor, "is_authenticated", False):
        if actor.pk is None:
            raise ValueError("the acting user must be saved")
        fields["actor_id"] = actor.pk
        fields["actor_username"] = _text(actor.get_username(), 150)
    if detector is not None:
        fields["detector_id"] = _text(str(detector.pk), 64)
        fields["detector_name"] = _text(str(getattr(detector, "name", "") or detector), 200)
    fields["system"] = _text(system or "", 100)

    case_ids = {_case_id(case) for case in cases}
    if target is not None:
        if target.pk is None:
            raise ValueError("the audited target must be saved")
        fields["target_type"] = target._meta.label_lower
        fields["target_id"] = _text(str(target.pk), 64)
        fields["target_repr"] = _text(target_label or str(target), 300)
        if target._meta.label_lower == CASE_LABEL:
            case_ids.add(int(target.pk))
    fields["case_ids"] = sorted(case_ids)

    fields["before"], fields["_before_json"] = _document(before)
    fields["after"], fields["_after_json"] = _document(after)
    fields["reason"] = _text(reason or "", None)
    fields["remote_addr"] = _text(current_remote_addr.get() or "", 64)
    fields["request_id"] = _text(current_request_id.get() or "", 64)
    return fields


def _case_id(case) -> int:
    pk = getattr(case, "pk", case)
    if pk is None:
        raise ValueError("an audited case must be saved")
    return int(pk)


def _text(value: str, limit: int | None) -> str:
    # PostgreSQL text cannot hold U+0000; the stored value must equal the hashed one.
    value = str(value).replace("\x00", "\ufffd")
    return value[:limit] if limit else value


def _document(value: Any) -> tuple[Any, str | None]:
    """The value as it will be stored, and its JSON text (None for SQL NULL)."""
    if value is None:
        return None, None
    plain = _without_nul(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))
    return plain, json.dumps(plain)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value
