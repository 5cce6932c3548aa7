"""Detectors in the Django admin: administrators edit, every change audited."""

from __future__ import annotations

from audit.models import AuditEvent
from ingestion.detectors import create_detector
from ingestion.models import Detector, DetectorToken
from people.roles import Role
from tests.ingestion.conftest import AlertsClient, make_alert


def test_an_administrator_changes_a_rate_and_it_is_audited(client, make_user, db):
    detector = create_detector("scanner", rate=10).detector
    admin_user = make_user(Role.ADMINISTRATOR, username="ada")
    client.force_login(admin_user)

    response = client.post(
        f"/admin/ingestion/detector/{detector.pk}/change/",
        {
            "description": "prompt classifier",
            "active": "on",
            "rate_per_minute": "0",
            "tokens-TOTAL_FORMS": "1",
            "tokens-INITIAL_FORMS": "1",
            "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000",
            "tokens-0-id": str(detector.tokens.get().pk),
            "tokens-0-detector": str(detector.pk),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    detector.refresh_from_db()
    assert detector.rate_per_minute == 0 and detector.description == "prompt classifier"
    event = AuditEvent.objects.get(verb="detector.updated")
    assert event.actor_username == "ada"
    assert event.before == {"description": "", "rate_per_minute": 10}
    assert event.after == {"description": "prompt classifier", "rate_per_minute": 0}


def test_detectors_are_not_added_in_the_admin(client, make_user, db):
    client.force_login(make_user(Role.ADMINISTRATOR))

    assert client.get("/admin/ingestion/detector/add/").status_code == 403


def test_an_administrator_revokes_one_token(client, make_user, db):
    issued = create_detector("scanner", rate=0)
    client.force_login(make_user(Role.ADMINISTRATOR))
    token = DetectorToken.objects.get()

    response = client.post(
        "/admin/ingestion/detectortoken/",
        {"action": "revoke", "_selected_action": [str(token.pk)]},
    )

    assert response.status_code == 302
    assert AlertsClient(client, issued.token).post(make_alert("x")).status_code == 401
    assert AuditEvent.objects.filter(verb="detector.token_revoked").count() == 1


def test_other_roles_cannot_open_detectors_in_the_admin(client, make_user, db):
    detector = create_detector("scanner").detector
    for role in Role:
        if role == Role.ADMINISTRATOR:
            continue
        client.force_login(make_user(role))
        response = client.get(f"/admin/ingestion/detector/{detector.pk}/change/")
        assert response.status_code in (302, 403), role
    assert Detector.objects.get().rate_per_minute == detector.rate_per_minute
