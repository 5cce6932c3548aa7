"""The case page benchmark's data builder writes what it says, in the caller's
transaction, on top of what the database already holds."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from audit.events import record
from audit.verify import verify_chain
from bench.page_data import Sizes, build
from cases.models import Case, CaseAccount, CaseIndicator, Indicator
from ingestion.models import Alert

pytestmark = pytest.mark.django_db

TINY = Sizes(accounts=300, indicators=120, alerts=600, timeline=60, other_cases=30)


def indicators_of(case_id: int) -> int:
    return (
        Indicator.objects.filter(account_links__account__case_links__case_id=case_id)
        .distinct()
        .count()
    )


def test_the_big_case_holds_the_sizes_asked_for_among_cases_sharing_its_values():
    with transaction.atomic():
        record("case.noted", system="test")  # the chain goes on after an existing head
    connection.ensure_connection()
    built = build(connection.connection, TINY)

    big = Case.objects.get(pk=built.big_case)
    assert big.account_count == CaseAccount.objects.filter(case=big).count() == 300
    assert big.alert_count == Alert.objects.filter(case=big).count() == 600
    assert indicators_of(big.pk) == 120
    assert CaseIndicator.objects.filter(case=big).count() == 120  # kept by PostgreSQL
    assert Case.objects.get(pk=built.small_case).account_count == TINY.small_accounts
    assert Case.objects.count() == 2 + TINY.other_cases
    sharing = (
        CaseAccount.objects.filter(
            account__indicator_links__indicator__account_links__account__case_links__case=big
        )
        .exclude(case=big)
        .values("case")
        .distinct()
        .count()
    )
    assert sharing == TINY.other_cases + 1  # every other case, the small one too

    head = verify_chain()
    assert head.sequence > 1


def test_its_people_can_work_the_cases_it_built(client):
    connection.ensure_connection()
    built = build(connection.connection, TINY)
    lead = get_user_model().objects.get(pk=built.people["lead"][0])
    assert built.usernames[lead.pk] == lead.username == "campaign-lead-1"
    client.force_login(lead)
    page = client.get(f"/cases/{built.big_case}/")
    assert page.status_code == 200
    assert "Distillation network" in page.content.decode()
    assignee = Case.objects.get(pk=built.big_case).assignee
    assert assignee.pk == built.people["investigator"][0]
    assert assignee.groups.filter(name="investigator").exists()
