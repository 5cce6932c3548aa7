"""Through a real worker on Redis: an assignment's commit puts an entry in the
assignee's inbox and sends one email, and the same task received twice sends once."""

from __future__ import annotations

import time

import pytest
from celery import current_app

from audit.models import AuditEvent
from cases.workflow import assign
from notifications.models import Notification
from notifications.tasks import DELIVER
from tests.cases.factories import make_case
from tests.ingestion.worker.conftest import (  # noqa: F401 - shared fixtures
    redis_broker,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_assigning_a_case_reaches_the_inbox_and_one_email_through_the_worker(
    start_worker,  # noqa: F811
    cast,
    tmp_path,
):
    mailbox = tmp_path / "mail"
    start_worker(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mailbox),
    )
    case = make_case(status="investigating", title="Proxy farm 11")
    assign(case, cast.ivy, actor=cast.lee)  # committed: the signal queues the delivery

    entry = wait_for(
        lambda: Notification.objects.filter(person=cast.ivy, case=case).first(),
        timeout=30,
        what="the worker to write ivy's inbox entry",
    )
    assert entry.kind == "case_assigned"
    wait_for(lambda: list(mailbox.glob("*.log")), timeout=30, what="the worker to send the email")
    (sent,) = mailbox.glob("*.log")
    text = sent.read_text()
    assert "To: ivy@example.org" in text
    assert f"Case #{case.pk} was assigned to you by lee." in text

    # The same task again (a redelivery): nothing new, no second email.
    event = AuditEvent.objects.get(verb="case.assigned")
    current_app.send_task(DELIVER, args=[event.pk])
    current_app.send_task(DELIVER, args=[event.pk])
    time.sleep(3)
    assert Notification.objects.filter(event_id=event.pk).count() == 1
    assert sum(path.read_text().count("To: ivy@example.org") for path in mailbox.glob("*.log")) == 1
