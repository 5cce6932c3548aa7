"""How the case page names its steps and its times."""

import pytest

from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def test_returning_an_escalated_case_is_offered_as_hand_back(client, make_user):
    case = make_case(status="escalated", escalation_level="legal")
    client.force_login(make_user("legal"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert ">Hand back</button>" in body
    assert "Move to investigating" not in body


def test_a_closed_case_is_offered_to_a_lead_as_reopen(client, make_user):
    case = make_case(status="closed", resolution="benign")
    client.force_login(make_user("lead"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert ">Reopen</button>" in body
