"""Endpoints are managed in the admin, their secret written, never shown back;
deliveries are read-only there (docs/webhooks.md, "The admin pages")."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client, make_user):
    user = make_user("administrator", username="ada")
    client.force_login(user)
    return user


@pytest.fixture
def delivery():
    hook = WebhookEndpoint.objects.create(
        name="chat", url="https://chat.example.org/hook", event_kinds=["case.escalated"]
    )
    return WebhookDelivery.objects.create(
        endpoint=hook, event_id=1, verb="case.escalated", attempts=2, last_status_code=500
    )


def test_an_administrator_adds_an_endpoint_and_sees_its_generated_secret_once(
    client, administrator
):
    response = client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "name": "chat",
            "url": "https://chat.example.org/hook",
            "event_kinds": ["case.escalated", "case.sla_breached"],
            "active": "on",
            "new_secret": "",
        },
    )
    assert response.status_code == 200
    hook = WebhookEndpoint.objects.get()
    assert hook.event_kinds == ["case.escalated", "case.sla_breached"]
    assert len(hook.secret) >= 32 and hook.secret in response.content.decode()
    page = client.get(f"/admin/webhooks/webhookendpoint/{hook.pk}/change/").content.decode()
    assert hook.secret not in page
    event = AuditEvent.objects.get(verb="webhook.endpoint_added")
    assert event.after["secret"] == "(new secret)" and hook.secret not in str(event.after)


def test_an_unknown_event_kind_is_refused(client, administrator):
    response = client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"name": "chat", "url": "https://chat.example.org/hook", "event_kinds": ["note.added"]},
    )
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()


def test_a_new_secret_replaces_the_old_and_is_not_shown(client, administrator, delivery):
    hook = delivery.endpoint
    response = client.post(
        f"/admin/webhooks/webhookendpoint/{hook.pk}/change/",
        {
            "name": "chat",
            "url": hook.url,
            "event_kinds": ["case.escalated"],
            "active": "on",
            "new_secret": "rotated-secret-value",
        },
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.secret == "rotated-secret-value"
    event = AuditEvent.objects.get(verb="webhook.endpoint_changed")
    assert "rotated-secret-value" not in str(event.after)


def test_deliveries_are_listed_read_only(client, administrator, delivery):
    listing = client.get("/admin/webhooks/webhookdelivery/")
    assert listing.status_code == 200
    assert b"case.escalated" in listing.content
    page = client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    response = client.post(
        f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/", {"state": "delivered"}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/webhooks/webhookdelivery/{delivery.pk}/delete/").status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == "pending"


def test_other_roles_do_not_reach_the_webhooks_admin(client, make_user):
    client.force_login(make_user("lead"))
    assert client.get("/admin/webhooks/webhookendpoint/").status_code == 302
