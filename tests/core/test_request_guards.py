"""Addresses Dossier cannot serve are refused as bad requests, never as a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_query_is_a_400_naming_the_query(as_role):
    client = as_role("lead")
    response = client.get("/api/v1/actions/1/targets/?state=pending%00")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "query"
    assert "NUL character" in error["message"]


def test_a_nul_in_an_api_path_is_a_400_naming_the_path(as_role):
    client = as_role("investigator")
    response = client.delete("/api/v1/cases/1/accounts/acct%00one/")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "path"


def test_a_nul_in_a_detector_lookup_is_refused_before_any_query(api):
    response = api.get("/api/v1/alerts/lookup/?external_id=a%00b")
    assert response.status_code == 400
    assert "NUL character" in response.json()["errors"][0]["message"]


def test_a_nul_in_a_page_address_is_a_plain_400(client):
    response = client.get("/cases/?q=%00")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("step", ["approve", "reject", "withdraw", "retry", "revert"])
def test_an_action_id_that_is_not_a_number_is_not_found(as_role, step):
    client = as_role("lead")
    response = client.post(f"/api/v1/actions/12abc/{step}/", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["actions/x1/", "actions/x1/targets/", "cases/1e3/", "accounts/-/"]
)
def test_a_row_id_that_is_not_a_number_is_not_found(as_role, path):
    response = as_role("lead").get(f"/api/v1/{path}")
    assert response.status_code == 404
