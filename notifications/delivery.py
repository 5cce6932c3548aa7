"""Turning an audit event into inbox entries and emails, at most once per person
and kind (docs/notifications.md). Called by ``notifications.tasks.deliver``,
never in a request."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.followers import case_of
from audit.models import AuditEvent
from cases.models import Case, Tlp
from enforcement.models import Action
from notifications.models import EmailChoice, Notification
from notifications.recipients import deliveries

logger = logging.getLogger(__name__)


def deliver_event(event_id: int) -> int:
    """Write the entries the event makes and send their emails; how many were sent.

    Redelivering an event writes nothing twice (the unique key) and sends no
    second email (each entry's email is claimed before it is sent)."""
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None or len(event.case_ids) == 0:
        return 0
    case = Case.objects.filter(pk=case_of(event)).first()
    if case is None:
        return 0
    action = None
    if event.target_type == Action._meta.label_lower:
        action = Action.objects.select_related("proposed_by").filter(pk=event.target_id).first()
    wanted = deliveries(event, case, action)
    if not wanted:
        return 0
    rows = [
        Notification(
            person=item.person,
            kind=item.kind,
            event_id=event.pk,
            case=case,
            action=action,
            text=item.text,
            created_at=event.occurred_at,
        )
        for item in wanted
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
    entries = list(
        Notification.objects.filter(event_id=event.pk, emailed_at__isnull=True)
        .select_related("person", "case")
        .order_by("pk")
    )
    sent = 0
    for entry in entries:
        if _wants_email(entry) and _claim_email(entry):
            _send(entry)
            sent += 1
    return sent


def _wants_email(entry: Notification) -> bool:
    if not entry.person.email:
        return False
    refused = EmailChoice.objects.filter(person=entry.person, kind=entry.kind, email=False)
    return not refused.exists()


def _claim_email(entry: Notification) -> bool:
    """Claim the entry's one email: only the delivery that sets ``emailed_at`` sends."""
    return bool(
        Notification.objects.filter(pk=entry.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    )


def link_of(entry: Notification) -> str:
    """Where an entry leads: its action's page, or its case's."""
    if entry.action_id is not None:
        return reverse("enforcement:action", args=[entry.action_id])
    return reverse("cases:detail", args=[entry.case_id])


def email_of(entry: Notification) -> tuple[str, str]:
    """The subject and body of an entry's email. A TLP:RED case's email names only
    the case's number and links it: what happened is read in Dossier."""
    url = settings.SITE_URL + link_of(entry)
    number = f"case #{entry.case_id}"
    if entry.case.tlp == Tlp.RED:
        return (
            f"[Dossier] {number.capitalize()}",
            f"There is news for you on {number}.\n\n{url}\n",
        )
    return (
        f"[Dossier] {entry.get_kind_display()}: {number}",
        f"{entry.text}\n\n{entry.case.title}\n{url}\n",
    )


def _send(entry: Notification) -> None:
    subject, body = email_of(entry)
    try:
        send_mail(subject, body, None, [entry.person.email])
    except Exception:
        # The claim is released so that a retried delivery sends it.
        Notification.objects.filter(pk=entry.pk).update(emailed_at=None)
        raise
