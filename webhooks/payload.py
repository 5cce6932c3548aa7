"""The JSON body of an event webhook (docs/webhooks.md, "What is sent")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from audit.followers import case_of
from audit.models import AuditEvent
from cases.models import Case, Tlp


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_body(event: AuditEvent) -> bytes:
    """The body every endpoint gets for ``event``, and every attempt resends.

    An event concerning a TLP:RED case names only its number and link: a chat
    channel is no place for what only the case's readers may see.
    """
    case_id = case_of(event)
    document: dict = {
        "event_id": event.pk,
        "verb": event.verb,
        "occurred_at": rfc3339(event.occurred_at),
        "case_ids": list(event.case_ids),
        "case": None,
        "restricted": False,
    }
    if case_id is not None:
        document["case"] = {
            "id": case_id,
            "url": settings.SITE_URL + reverse("cases:detail", args=[case_id]),
        }
    red = Case.objects.filter(pk__in=event.case_ids, tlp=Tlp.RED).exists()
    if red:
        document["restricted"] = True
    else:
        after = event.after if isinstance(event.after, dict) else {}
        document.update(
            {
                "target": {
                    "type": event.target_type,
                    "id": event.target_id,
                    "label": event.target_repr,
                },
                "actor": event.actor_label,
                "reason": event.reason,
                # After the step: an action's state (partially_failed is an
                # action.executed), or a case's status.
                "state": after.get("state") or after.get("status"),
            }
        )
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
