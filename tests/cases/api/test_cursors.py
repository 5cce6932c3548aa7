"""A list's cursor that cannot be read is the caller's mistake: a 400 naming it."""

import pytest

from tests.cases.factories import make_account, make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/indicators/", "/notes/"])
def test_an_unreadable_cursor_is_a_400_naming_it(as_role, path):
    api = as_role("lead")
    make_account("acct_1")
    if path == "/notes/":
        path = f"/api/v1/cases/{make_case().pk}/notes/"

    response = api.get(path, {"cursor": "H"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": None, "field": "cursor", "message": "Invalid cursor."}
    ]
