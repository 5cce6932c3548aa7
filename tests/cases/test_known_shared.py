"""The known-shared list: kept by leads only, audited, on a page, an API and (read-only) the admin."""

from __future__ import annotations

import pytest
from django.contrib import admin

from audit.models import AuditEvent
from cases import workflow
from cases.models import KnownSharedValue
from core.refusals import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db

NOT_LEADS = ["investigator", "manager", "policy", "legal", "executive", "administrator"]


@pytest.fixture
def lead(person):
    return person("lead")


@pytest.fixture
def processor(lead):
    return workflow.add_known_shared(
        "payment_fingerprint", " pf_reseller ", actor=lead, reason="Reseller's processor"
    )


def test_a_lead_adds_a_value_in_its_stored_form_with_one_audit_event(lead, processor):
    assert (processor.type, processor.value) == ("payment_fingerprint", "pf_reseller")
    assert processor.added_by == lead and processor.reason == "Reseller's processor"
    (event,) = AuditEvent.objects.filter(verb="known_shared.added")
    assert event.actor_id == lead.pk
    assert event.target_id == str(processor.pk)
    assert event.after == {"type": "payment_fingerprint", "value": "pf_reseller"}
    assert event.reason == "Reseller's processor"


def test_a_prompt_cluster_is_written_with_its_detector(lead):
    entry = workflow.add_known_shared(
        "prompt_cluster", "scanner/ pc-1 ", actor=lead, reason="University course"
    )
    assert entry.value == "scanner/pc-1"
    with pytest.raises(Invalid) as refused:
        workflow.add_known_shared("prompt_cluster", "pc-1", actor=lead, reason="x")
    assert refused.value.field == "value"


def test_weak_values_duplicates_and_missing_reasons_are_refused(lead, processor):
    with pytest.raises(Invalid) as weak:
        workflow.add_known_shared("asn", "AS64500", actor=lead, reason="proxy")
    assert weak.value.field == "type"
    with pytest.raises(Conflict):
        workflow.add_known_shared("payment_fingerprint", "pf_reseller", actor=lead, reason="x")
    with pytest.raises(Invalid) as no_reason:
        workflow.add_known_shared("device_fingerprint", "dev-1", actor=lead, reason="  ")
    assert no_reason.value.field == "reason"
    assert KnownSharedValue.objects.count() == 1


@pytest.mark.parametrize("role", [*NOT_LEADS, "superuser", "nobody"])
def test_only_leads_keep_the_list_and_a_refusal_is_audited(person, processor, role):
    someone = person(role)
    assert not workflow.may_keep_known_shared(someone)
    with pytest.raises(Forbidden):
        workflow.add_known_shared("device_fingerprint", "dev-1", actor=someone, reason="fleet")
    with pytest.raises(Forbidden):
        workflow.remove_known_shared(processor, actor=someone, reason="no")
    refusals = AuditEvent.objects.filter(verb="case.operation_refused", actor_id=someone.pk)
    assert sorted(e.after["operation"] for e in refusals) == [
        "add_known_shared",
        "remove_known_shared",
    ]
    assert KnownSharedValue.objects.count() == 1


def test_a_lead_removes_a_value_with_a_reason_and_the_trail_keeps_what_it_was(lead, processor):
    workflow.remove_known_shared(processor, actor=lead, reason="Reseller went rogue")
    assert not KnownSharedValue.objects.exists()
    (event,) = AuditEvent.objects.filter(verb="known_shared.removed")
    assert event.before["value"] == "pf_reseller"
    assert event.before["reason"] == "Reseller's processor"
    assert event.reason == "Reseller went rogue"
    with pytest.raises(NotFound):
        workflow.remove_known_shared(processor.pk, actor=lead, reason="again")


# The page.


def test_a_lead_lists_adds_and_removes_on_the_page(client, lead, processor):
    client.force_login(lead)
    page = client.get("/cases/known-shared/")
    assert page.status_code == 200
    assert b"pf_reseller" in page.content and b"Reseller&#x27;s processor" in page.content

    added = client.post(
        "/cases/known-shared/add/",
        {"type": "device_fingerprint", "value": "dev-fleet", "reason": "Enterprise fleet"},
    )
    assert added.status_code == 302
    assert KnownSharedValue.objects.filter(value="dev-fleet").exists()

    again = client.post(
        "/cases/known-shared/add/",
        {"type": "device_fingerprint", "value": "dev-fleet", "reason": "twice"},
    )
    assert again.status_code == 409
    assert b"already on the known-shared list" in again.content

    filtered = client.get("/cases/known-shared/", {"type": "device_fingerprint"})
    assert b"dev-fleet" in filtered.content and b"pf_reseller" not in filtered.content

    url = f"/cases/known-shared/{processor.pk}/remove/"
    assert client.get(url).status_code == 200
    unconfirmed = client.post(url, {"reason": "gone"})
    assert unconfirmed.status_code == 400
    assert KnownSharedValue.objects.filter(pk=processor.pk).exists()
    assert client.post(url, {"reason": "gone", "confirm": "on"}).status_code == 302
    assert not KnownSharedValue.objects.filter(pk=processor.pk).exists()


def test_the_page_is_paginated(client, lead):
    for number in range(55):
        KnownSharedValue.objects.create(
            type="device_fingerprint", value=f"dev-{number:02}", reason="fleet", added_by=lead
        )
    client.force_login(lead)
    first = client.get("/cases/known-shared/")
    assert first.content.count(b'<tr data-entry="') == 50
    second = client.get("/cases/known-shared/", {"page": 2})
    assert second.content.count(b'<tr data-entry="') == 5


@pytest.mark.parametrize("role", [*NOT_LEADS, "superuser"])
def test_the_page_refuses_everyone_but_leads(client, person, processor, role):
    client.force_login(person(role))
    assert client.get("/cases/known-shared/").status_code == 403
    add = {"type": "device_fingerprint", "value": "dev-1", "reason": "x"}
    assert client.post("/cases/known-shared/add/", add).status_code == 403
    url = f"/cases/known-shared/{processor.pk}/remove/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert KnownSharedValue.objects.count() == 1


# The API.


def test_a_lead_keeps_the_list_through_the_api(api, lead, processor):
    api.force_authenticate(lead)
    listed = api.get("/api/v1/known-shared/")
    assert listed.status_code == 200
    assert [row["value"] for row in listed.json()["results"]] == ["pf_reseller"]
    assert listed.json()["results"][0]["added_by"] == lead.username

    created = api.post(
        "/api/v1/known-shared/",
        {"type": "api_key_prefix", "value": "sk-uni-2026", "reason": "University programme"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["value"] == "sk-uni-2026"
    assert (
        api.get("/api/v1/known-shared/", {"type": "api_key_prefix"}).json()["results"][0]["value"]
        == "sk-uni-2026"
    )

    weak = api.post(
        "/api/v1/known-shared/",
        {"type": "asn", "value": "AS64500", "reason": "proxy"},
        format="json",
    )
    assert weak.status_code == 400
    duplicate = api.post(
        "/api/v1/known-shared/",
        {"type": "payment_fingerprint", "value": "pf_reseller", "reason": "again"},
        format="json",
    )
    assert duplicate.status_code == 409

    url = f"/api/v1/known-shared/{processor.pk}/"
    assert api.delete(url, {}, format="json").status_code == 400
    assert api.delete(url, {"reason": "Reseller gone"}, format="json").status_code == 204
    assert not KnownSharedValue.objects.filter(pk=processor.pk).exists()
    assert AuditEvent.objects.filter(verb="known_shared.removed").count() == 1


@pytest.mark.parametrize("role", [*NOT_LEADS, "superuser"])
def test_the_api_refuses_everyone_but_leads(api, person, processor, role):
    api.force_authenticate(person(role))
    assert api.get("/api/v1/known-shared/").status_code == 403
    assert api.get(f"/api/v1/known-shared/{processor.pk}/").status_code == 403
    body = {"type": "device_fingerprint", "value": "dev-1", "reason": "x"}
    assert api.post("/api/v1/known-shared/", body, format="json").status_code == 403
    url = f"/api/v1/known-shared/{processor.pk}/"
    assert api.delete(url, {"reason": "x"}, format="json").status_code == 403
    assert KnownSharedValue.objects.count() == 1


def test_the_api_wants_a_signed_in_person(api, processor):
    assert api.get("/api/v1/known-shared/").status_code == 401


# The admin.


def test_the_admin_shows_the_list_read_only(client, person, processor):
    assert admin.site.is_registered(KnownSharedValue)
    client.force_login(person("administrator", is_staff=True, is_superuser=True))
    assert client.get("/admin/cases/knownsharedvalue/").status_code == 200
    assert client.get(f"/admin/cases/knownsharedvalue/{processor.pk}/change/").status_code == 200
    assert client.get("/admin/cases/knownsharedvalue/add/").status_code == 403
    client.post(f"/admin/cases/knownsharedvalue/{processor.pk}/delete/", {"post": "yes"})
    assert KnownSharedValue.objects.filter(pk=processor.pk).exists()
