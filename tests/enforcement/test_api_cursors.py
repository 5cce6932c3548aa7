"""The actions list and an action's targets answer an unreadable cursor with a 400."""

import pytest

from enforcement.workflow import propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def test_an_unreadable_cursor_is_a_400_naming_it(as_role, make_user):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=make_user("investigator"), kind="suspend_accounts")
    api = as_role("lead")

    for path in ("/api/v1/actions/", f"/api/v1/actions/{action.pk}/targets/"):
        response = api.get(path, {"cursor": "H"})

        assert response.status_code == 400, path
        assert response.json()["errors"][0]["field"] == "cursor"
