"""What an import changes on a case a person may have open: the trail and the version."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases.models import Case
from ingestion.detectors import create_detector
from ingestion.models import Alert
from tests.ingestion.correlation_helpers import alert, post_and_import

pytestmark = pytest.mark.django_db

ACCOUNT = [{"external_id": "acct_trail", "payment_fingerprint": "pf_trail"}]


@pytest.fixture
def token():
    return create_detector("trail", rate=0).token


def case_of(external_id: str) -> Case:
    return Case.objects.get(pk=Alert.objects.get(external_id=external_id).case_id)


def test_a_severity_raised_by_an_import_is_on_the_case_trail_and_bumps_its_version(client, token):
    post_and_import(client, token, [alert("first", severity="low", accounts=ACCOUNT)])
    opened = case_of("first")

    post_and_import(client, token, [alert("second", severity="critical", accounts=ACCOUNT)])

    case = case_of("second")
    assert case.pk == opened.pk
    assert (case.severity, case.version) == ("critical", opened.version + 1)
    (event,) = AuditEvent.objects.for_case(case.pk).filter(verb="case.severity_changed")
    assert event.system == "import"
    assert (event.before["severity"], event.after["severity"]) == ("low", "critical")


def test_alerts_joining_without_raising_severity_leave_the_version(client, token):
    post_and_import(client, token, [alert("first", severity="high", accounts=ACCOUNT)])
    opened = case_of("first")

    post_and_import(
        client,
        token,
        [alert(f"more-{n}", severity="medium", accounts=ACCOUNT) for n in range(3)],
    )

    case = case_of("more-2")
    assert case.pk == opened.pk
    assert case.alert_count == opened.alert_count + 3
    assert (case.severity, case.version) == ("high", opened.version)
    assert not AuditEvent.objects.for_case(case.pk).filter(verb="case.severity_changed").exists()


def test_a_batch_shows_on_the_case_timeline_as_one_line_of_what_it_added(client, token, make_user):
    accounts = [{"external_id": f"acct_{n}", "payment_fingerprint": "pf_group"} for n in range(3)]
    post_and_import(client, token, [alert(f"a{n}", accounts=accounts) for n in range(4)])
    case = case_of("a0")
    batch = Alert.objects.get(external_id="a0").batch_id
    client.force_login(make_user("investigator"))
    body = client.get(f"/cases/{case.pk}/panels/timeline/?show=imports").content.decode()
    assert f"Batch {str(batch)[:8]}… added 4 alerts and 3 accounts" in body
    assert body.count('class="tl tl-import"') == 1
