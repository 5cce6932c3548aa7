"""How the case page names its steps and its times."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.defaultfilters import date
from django.utils import timezone

from cases.templatetags.case_tags import duration, stamp
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def test_returning_an_escalated_case_is_offered_as_hand_back(client, make_user):
    case = make_case(status="escalated", escalation_level="legal")
    client.force_login(make_user("legal"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert ">Hand back</button>" in body
    assert "Move to investigating" not in body


def test_an_escalated_case_is_offered_only_higher_levels_and_asks_why(client, make_user):
    case = make_case(status="escalated", escalation_level="legal")
    client.force_login(make_user("legal"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert ">Escalate higher</button>" in body
    higher = body.split('data-to="escalated"')[1].split("</form>")[0]
    assert '<option value="executive">Executive</option>' in higher
    assert 'value="policy"' not in higher
    assert 'value="legal"' not in higher
    assert '<input type="text" name="reason" maxlength="2000" required>' in higher


def test_a_closed_case_is_offered_to_a_lead_as_reopen(client, make_user):
    case = make_case(status="closed", resolution="benign")
    client.force_login(make_user("lead"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert ">Reopen</button>" in body


def test_the_sla_reads_as_time_left_with_the_due_time_on_hover(client, make_user):
    due = timezone.now() + timedelta(hours=3, minutes=10)
    case = make_case(status="investigating", sla_due_at=due)
    client.force_login(make_user("investigator"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    stamp = due.strftime("%Y-%m-%d %H:%M UTC")
    assert f'title="{stamp}">due in 3 h</time>' in body


def test_an_overdue_sla_says_by_how_much(client, make_user):
    case = make_case(status="triage", sla_due_at=timezone.now() - timedelta(minutes=40))
    client.force_login(make_user("investigator"))
    body = client.get("/cases/").content.decode()
    assert '<time class="sla overdue"' in body and ">40 min overdue</time>" in body
    assert f'href="/cases/{case.pk}/"' in body


def test_a_closed_cases_sla_is_its_due_time_alone(client, make_user):
    due = timezone.now() - timedelta(days=3)
    case = make_case(status="closed", resolution="benign", sla_due_at=due)
    client.force_login(make_user("lead"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'<dd id="case-sla"><time class="sla" datetime="{due.isoformat()}">' in body
    assert "overdue" not in body.split('id="case-sla"')[1].split("</dd>")[0]


def test_times_on_the_case_page_name_their_zone(client, make_user):
    case = make_case(status="investigating")
    client.force_login(make_user("investigator"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    updated = case.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"at {updated}" in body


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30, "1 min"),
        (40 * 60, "40 min"),
        (3 * 3600 + 600, "3 h"),
        (47 * 3600, "47 h"),
        (5 * 86400, "5 d"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Los_Angeles"])
@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 12, 2, 9, 5, tzinfo=UTC)],
)
def test_the_panels_stamps_read_as_the_date_filter_writes_them(zone, moment):
    with timezone.override(zone):
        local = timezone.localtime(moment)
        assert stamp(moment) == date(local, "Y-m-d H:i T")
        assert stamp(moment, "seconds") == date(local, "Y-m-d H:i:s T")
    assert stamp(None) == ""
