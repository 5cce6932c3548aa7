"""GET batches/<id>/ and lookup/: what a detector learns about its alerts."""

from __future__ import annotations

from datetime import datetime

from cases.models import Case
from ingestion.models import Alert, Batch
from tests.ingestion.conftest import assert_error_shape, make_alert


def test_it_reports_a_new_batch_as_pending(api):
    posted = api.post({"alerts": [make_alert("s-1"), make_alert("s-2"), make_alert("s-1")]}).json()

    response = api.get(posted["status_url"])

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "batch": posted["batch"],
        "status": "pending",
        "accepted": 2,
        "imported": 0,
        "failed": 0,
        "errors": [],
        "received_at": body["received_at"],
        "finished_at": None,
    }
    assert datetime.fromisoformat(body["received_at"]).tzinfo is not None


def test_it_reports_import_results_and_errors(api):
    posted = api.post(make_alert("f-1")).json()
    Batch.objects.filter(pk=posted["batch"]).update(
        status="partially_imported",
        imported=0,
        failed=1,
        errors=[{"external_id": "f-1", "message": "no such account"}],
    )

    body = api.get(posted["status_url"]).json()

    assert body["status"] == "partially_imported"
    assert body["failed"] == 1
    assert body["errors"] == [{"external_id": "f-1", "message": "no such account"}]


def test_an_unknown_batch_is_not_found(api):
    for batch in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = api.get(f"/api/v1/alerts/batches/{batch}/")
        assert response.status_code == 404
        assert_error_shape(response)


def test_lookup_finds_a_pending_alert(api):
    posted = api.post(make_alert("look-1")).json()

    response = api.get("/api/v1/alerts/lookup/", external_id="look-1")

    assert response.status_code == 200
    assert response.json() == {
        "external_id": "look-1",
        "batch": posted["batch"],
        "status": "pending",
        "case": None,
    }


def test_lookup_reports_the_case_and_its_resolution(api):
    api.post(make_alert("look-2"))
    case = Case.objects.create(title="t", status="closed", resolution="confirmed_abuse")
    Alert.objects.filter(external_id="look-2").update(case=case, status="imported")

    body = api.get("/api/v1/alerts/lookup/", external_id="look-2").json()

    assert body["status"] == "imported"
    assert body["case"] == {"id": str(case.pk), "status": "closed", "resolution": "confirmed_abuse"}


def test_lookup_gives_a_null_resolution_for_an_open_case(api):
    api.post(make_alert("look-3"))
    case = Case.objects.create(title="t")
    Alert.objects.filter(external_id="look-3").update(case=case)

    body = api.get("/api/v1/alerts/lookup/", external_id="look-3").json()

    assert body["case"] == {"id": str(case.pk), "status": "new", "resolution": None}


def test_lookup_of_an_unknown_id_is_not_found(api):
    response = api.get("/api/v1/alerts/lookup/", external_id="never-sent")

    assert response.status_code == 404
    assert_error_shape(response)


def test_lookup_needs_an_external_id(api):
    response = api.get("/api/v1/alerts/lookup/")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "external_id"
