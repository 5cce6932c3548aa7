"""The task writes each entry once and sends each email once, through Django's mail backend."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from cases.models import Tlp
from cases.workflow import assign, escalate, set_tlp
from notifications.models import EmailChoice, Notification
from notifications.tasks import deliver
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def latest(verb: str) -> AuditEvent:
    return AuditEvent.objects.filter(verb=verb).order_by("-sequence").first()


def test_a_redelivered_task_writes_no_second_entry_and_sends_no_second_email(cast, settings):
    case = make_case(status="investigating", title="Proxy farm 7")
    assign(case, cast.ivy, actor=cast.lee)
    event = latest("case.assigned")
    assert deliver(event.pk) == 1
    assert deliver(event.pk) == 0
    assert Notification.objects.filter(person=cast.ivy).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ivy@example.org"]
    assert message.subject == f"[Dossier] A case is assigned to you: case #{case.pk}"
    assert "Proxy farm 7" in message.body
    assert f"{settings.SITE_URL}/cases/{case.pk}/" in message.body


def test_a_red_cases_email_carries_its_number_and_link_and_no_title(cast):
    case = make_case(status="investigating", title="Partner leak at Acme")
    assign(case, cast.ivy, actor=cast.lee)
    set_tlp(case, Tlp.RED, actor=cast.lee, reason="partner data")
    escalate(case, "legal", actor=cast.ivy, reason="Acme counsel asks")
    deliver(latest("case.escalated").pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["leg@example.org", "lex@example.org"]
    for message in mail.outbox:
        assert message.subject == f"[Dossier] Case #{case.pk}"
        assert "Acme" not in message.subject + message.body
        assert f"/cases/{case.pk}/" in message.body
    # The inbox entry says what happened: only people who may see the case read it.
    assert "Acme counsel asks" in Notification.objects.filter(person=cast.leg).get().text


def test_a_person_who_turned_email_off_for_a_kind_gets_the_entry_only(cast):
    EmailChoice.objects.create(person=cast.ivy, kind="case_assigned", email=False)
    case = make_case(status="investigating")
    assign(case, cast.ivy, actor=cast.lee)
    assert deliver(latest("case.assigned").pk) == 0
    assert Notification.objects.filter(person=cast.ivy).count() == 1
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None


def test_a_failing_mail_server_leaves_the_email_to_the_retry(cast, settings):
    settings.EMAIL_BACKEND = "tests.notifications.failing_mail.Backend"
    case = make_case(status="investigating")
    assign(case, cast.ivy, actor=cast.lee)
    event = latest("case.assigned")
    with pytest.raises(OSError):
        deliver.run(event.pk)
    assert Notification.objects.get().emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver.run(event.pk) == 1
    assert len(mail.outbox) == 1
