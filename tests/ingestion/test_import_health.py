"""The import health page: who may see it, what it shows, and its retry button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from ingestion.detectors import create_detector
from ingestion.importing import import_batch_now
from ingestion.models import Alert, Batch
from tests.ingestion.correlation_helpers import alert, post

pytestmark = pytest.mark.django_db

URL = "/ingestion/health/"


@pytest.fixture
def token():
    return create_detector("scanner", rate=0).token


@pytest.fixture
def broken_batch(client, token):
    """A batch imported with one alert failed (its stored payload is unreadable)."""
    answer = post(client, token, [alert("ok-1"), alert("broken")])
    good_payload = Alert.objects.get(external_id="broken").payload
    Alert.objects.filter(external_id="broken").update(payload={"not": "an alert"})
    import_batch_now(answer["batch"])
    return answer["batch"], good_payload


@pytest.mark.parametrize("role", ["lead", "administrator"])
def test_leads_and_administrators_see_the_page(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("role", ["investigator", "manager", "policy", "legal", "executive"])
def test_other_roles_are_refused(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(URL).status_code == 403


def test_a_superuser_without_the_role_is_refused(client, django_user_model, broken_batch):
    root = django_user_model.objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(root)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}{broken_batch[0]}/retry/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.url


def test_it_shows_failures_with_their_errors(client, make_user, broken_batch):
    client.force_login(make_user("lead"))
    page = client.get(URL).content.decode()
    assert broken_batch[0] in page
    assert "Partially imported" in page
    assert "broken" in page and "not a valid alert" in page
    assert "Retry failed alerts" in page


def test_it_shows_the_queue_lag(client, make_user, token):
    answer = post(client, token, [alert("waiting")])
    Batch.objects.filter(pk=answer["batch"]).update(
        received_at=timezone.now() - timedelta(minutes=12, seconds=5)
    )
    client.force_login(make_user("administrator"))
    page = client.get(URL).content.decode()
    assert "12 min" in page


def test_retry_puts_failed_alerts_back_and_is_audited(client, make_user, broken_batch):
    batch_id, good_payload = broken_batch
    lead = make_user("lead", username="lee")
    client.force_login(lead)

    response = client.post(f"{URL}{batch_id}/retry/", follow=True)

    assert "1 alert(s) queued" in response.content.decode()
    assert Batch.objects.get(pk=batch_id).status == "pending"
    assert Alert.objects.get(external_id="broken").status == "pending"
    event = AuditEvent.objects.get(verb="batch.retry")
    assert event.actor_username == "lee" and event.target_id == str(batch_id)

    # Once what broke it is fixed, the retried alert imports; the others stay as they were.
    Alert.objects.filter(external_id="broken").update(payload=good_payload)
    import_batch_now(batch_id)
    batch = Batch.objects.get(pk=batch_id)
    assert (batch.status, batch.imported, batch.failed, batch.errors) == ("imported", 2, 0, [])


def test_an_investigator_cannot_retry(client, make_user, broken_batch):
    client.force_login(make_user("investigator"))
    assert client.post(f"{URL}{broken_batch[0]}/retry/").status_code == 403
    assert Batch.objects.get(pk=broken_batch[0]).status == "partially_imported"


def test_a_finished_batch_has_nothing_to_retry(client, make_user, token):
    answer = post(client, token, [alert("fine")])
    import_batch_now(answer["batch"])
    client.force_login(make_user("lead"))
    response = client.post(f"{URL}{answer['batch']}/retry/", follow=True)
    assert "nothing to retry" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="batch.retry").exists()
