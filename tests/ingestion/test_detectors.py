"""manage.py detectors, its audit trail, and the administrators' detectors page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from ingestion.models import Alert, Batch, Detector, DetectorToken
from people.roles import Role
from tests.ingestion.conftest import AlertsClient, make_alert


def run(*args: str) -> str:
    out = StringIO()
    call_command("detectors", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_create_prints_a_token_that_posts_alerts(client, db):
    token = run("create", "scanner", "--description", "prompt classifier", "--rate", "30")

    detector = Detector.objects.get(name="scanner")
    assert detector.description == "prompt classifier"
    assert detector.rate_per_minute == 30
    assert AlertsClient(client, token).post(make_alert("c-1")).status_code == 202


def test_the_token_is_stored_only_as_a_hash(db):
    token = run("create", "scanner")

    stored = DetectorToken.objects.get()
    assert token not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_the_default_rate_comes_from_settings(db, settings):
    settings.DETECTOR_DEFAULT_RATE = 123
    run("create", "scanner")
    assert Detector.objects.get().rate_per_minute == 123


def test_names_are_unique(db):
    run("create", "scanner")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "scanner")


def test_rotate_prints_a_new_token_and_keeps_the_old_for_the_grace(client, db):
    old = run("create", "scanner")

    new = run("rotate", "scanner", "--grace", "2")

    assert new != old
    tokens = DetectorToken.objects.order_by("created_at")
    assert tokens[0].expires_at is not None and tokens[1].expires_at is None
    assert AlertsClient(client, old).post(make_alert("o")).status_code == 202
    assert AlertsClient(client, new).post(make_alert("n")).status_code == 202


def test_rotate_defaults_to_a_day_of_grace(db):
    run("create", "scanner")
    run("rotate", "scanner")

    old = DetectorToken.objects.order_by("created_at").first()
    assert round((old.expires_at - old.created_at).total_seconds() / 3600) == 24


def test_revoke_stops_every_token(client, db):
    first = run("create", "scanner")
    second = run("rotate", "scanner")

    run("revoke", "scanner")

    for token in (first, second):
        assert AlertsClient(client, token).post(make_alert("r")).status_code == 401


def test_unknown_detector_is_an_error(db):
    with pytest.raises(CommandError, match="no detector"):
        run("rotate", "nobody")
    with pytest.raises(CommandError, match="no detector"):
        run("revoke", "nobody")


def test_list_shows_detectors_without_tokens(db):
    token = run("create", "scanner", "--rate", "0")
    run("create", "traffic")

    listing = run("list")

    assert "scanner" in listing and "traffic" in listing and "unlimited" in listing
    assert token not in listing


def test_every_change_is_audited(db):
    run("create", "scanner")
    run("rotate", "scanner")
    run("revoke", "scanner")

    events = list(AuditEvent.objects.order_by("pk").values_list("verb", "system", "target_repr"))
    assert [e[0] for e in events] == [
        "detector.created",
        "detector.token_rotated",
        "detector.revoked",
    ]
    assert all(e[1] == "manage.py" and e[2] == "scanner" for e in events)


def test_the_detectors_page_shows_volume_last_batch_and_error_rate(client, make_user, db):
    token = run("create", "scanner", "--rate", "0")
    run("create", "idle")
    api = AlertsClient(client, token)
    api.post({"alerts": [make_alert(f"v-{n}") for n in range(4)]})
    batch = Batch.objects.get()
    Batch.objects.filter(pk=batch.pk).update(status="partially_imported", imported=3, failed=1)
    client.force_login(make_user(Role.ADMINISTRATOR))

    response = client.get("/ingestion/detectors/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "scanner" in page and "idle" in page
    assert '<td class="volume">4</td>' in page
    assert "partially_imported" in page
    assert "25% (1 of 4)" in page
    assert Alert.objects.count() == 4


@pytest.mark.parametrize("roles", [(), *[(r,) for r in Role if r != Role.ADMINISTRATOR]], ids=str)
def test_only_administrators_see_the_detectors_page(client, make_user, roles):
    client.force_login(make_user(*roles, is_superuser=True, is_staff=True))

    assert client.get("/ingestion/detectors/").status_code == 403


def test_the_detectors_page_needs_a_sign_in(client, db):
    response = client.get("/ingestion/detectors/")
    assert response.status_code == 302 and "/login" in response["Location"]
