"""One bad alert fails alone, with its error; the rest of its batch imports."""

from __future__ import annotations

import pytest
from django.db import connection

from ingestion.detectors import create_detector
from ingestion.importing import import_batch_now
from ingestion.models import Alert, Batch
from tests.ingestion.correlation_helpers import alert, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return create_detector("scanner", rate=0).token


def test_an_unreadable_alert_fails_alone_with_its_error(client, token):
    answer = post(client, token, [alert(f"a-{n}") for n in range(3)])
    # As if stored by an older release: an address the import cannot normalise.
    Alert.objects.filter(external_id="a-1").update(
        payload={**alert("a-1"), "indicators": [{"type": "ip", "value": "010.1.1.1"}]}
    )

    outcome = import_batch_now(answer["batch"])

    assert outcome.status == "partially_imported"
    batch = Batch.objects.get(pk=answer["batch"])
    assert (batch.imported, batch.failed) == (2, 1)
    assert batch.errors[0]["external_id"] == "a-1"
    assert "010.1.1.1" in batch.errors[0]["message"]
    bad = Alert.objects.get(external_id="a-1")
    assert bad.status == "failed" and bad.case_id is None


def test_an_alert_the_database_refuses_fails_alone(client, token):
    with connection.cursor() as cursor:
        # A database that refuses one account: the import must isolate that alert.
        cursor.execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'account % refused', NEW.external_id
                  USING ERRCODE = 'check_violation'; END $$;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON cases_account FOR EACH ROW
              WHEN (NEW.external_id = 'acct_poison') EXECUTE FUNCTION refuse_poison();
            """
        )
    alerts = [alert(f"b-{n}", accounts=[{"external_id": f"acct_{n}"}]) for n in range(9)]
    alerts[4]["accounts"] = [{"external_id": "acct_poison"}]
    answer = post(client, token, alerts)

    outcome = import_batch_now(answer["batch"])

    assert outcome.status == "partially_imported"
    failed = Alert.objects.get(status="failed")
    assert failed.external_id == "b-4"
    assert "acct_poison refused" in failed.error
    assert Alert.objects.filter(status="imported").count() == 8
    assert Batch.objects.get(pk=answer["batch"]).errors == [
        {"external_id": "b-4", "message": failed.error}
    ]


def test_a_batch_whose_alerts_all_fail_is_failed(client, token):
    answer = post(client, token, [alert("only")])
    Alert.objects.filter(external_id="only").update(payload={"not": "an alert"})

    assert import_batch_now(answer["batch"]).status == "failed"
    assert Batch.objects.get(pk=answer["batch"]).failed == 1


def test_a_batch_claimed_too_often_is_given_up_with_the_last_error(client, token, settings):
    settings.IMPORT_MAX_ATTEMPTS = 2
    answer = post(client, token, [alert("stuck")])
    Batch.objects.filter(pk=answer["batch"]).update(
        attempts=2, errors=[{"external_id": None, "message": "attempt 2: deadlock detected"}]
    )

    outcome = import_batch_now(answer["batch"])

    assert outcome.status == "failed"
    error = Alert.objects.get(external_id="stuck").error
    assert "not imported after 2 attempts" in error and "deadlock detected" in error
