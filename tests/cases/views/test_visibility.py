import pytest

from cases.visibility import can_see, visible_cases
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(make_user):
    owner = make_user("investigator", username="owner")
    return {
        "open": make_case(title="Open amber"),
        "red_owned": make_case(title="Red owned", tlp="red", assignee=owner),
        "red_legal": make_case(
            title="Red legal", tlp="red", status="escalated", escalation_level="legal"
        ),
        "owner": owner,
    }


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (("investigator",), {"Open amber"}),
        (("lead",), {"Open amber", "Red owned", "Red legal"}),
        (("manager",), {"Open amber", "Red owned", "Red legal"}),
        (("legal",), {"Open amber", "Red legal"}),
        (("policy",), {"Open amber"}),
        (("administrator",), set()),
        ((), set()),
    ],
)
def test_restricted_cases_are_seen_only_by_the_people_named(make_user, cases, roles, expected):
    user = make_user(*roles)
    titles = set(visible_cases(user).values_list("title", flat=True))
    assert titles == expected
    for key in ("open", "red_owned", "red_legal"):
        assert can_see(user, cases[key]) == (cases[key].title in expected)


def test_the_assignee_sees_their_restricted_case(cases):
    owner = cases["owner"]
    assert set(visible_cases(owner).values_list("title", flat=True)) == {
        "Open amber",
        "Red owned",
    }
    assert can_see(owner, cases["red_owned"])


def test_a_superuser_without_a_role_sees_nothing(make_user, cases):
    root = make_user(is_superuser=True, is_staff=True)
    assert not visible_cases(root).exists()
    assert not can_see(root, cases["open"])


def test_restricted_cases_leak_through_no_queue_count_or_search(client, make_user, cases):
    client.force_login(make_user("investigator"))
    response = client.get("/cases/?q=Red")
    assert response.context["total"] == 0
    assert "Red" not in "".join(c.title for c in response.context["cases"])
    response = client.get("/cases/?tlp=red")
    assert response.context["total"] == 0
    assert "Red owned" not in response.content.decode()
    assert client.get(f"/cases/{cases['red_owned'].pk}/").status_code == 404
