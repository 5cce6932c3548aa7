"""What the approval page shows before a lead approves."""

import pytest
from django.urls import reverse

from cases.models import Account, AccountIndicator, Case, CaseAccount, Indicator
from enforcement.reading import blast_radius
from enforcement.workflow import propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def seen_on(account, type, value):
    indicator, _ = Indicator.objects.get_or_create(type=type, value=value)
    AccountIndicator.objects.create(account=account, indicator=indicator)


def test_a_network_block_counts_the_ordinary_accounts_seen_on_those_networks(people):
    case, members = make_case_with_accounts(2)
    seen_on(members[0], "ip", "198.51.100.7")  # in the case: not ordinary
    bystanders = [Account.objects.create(external_id=f"bystander_{i}") for i in range(3)]
    seen_on(bystanders[0], "ip", "198.51.100.9")
    seen_on(bystanders[1], "asn", "AS64500")
    seen_on(bystanders[2], "ip", "203.0.113.5")  # another network
    seen_on(bystanders[2], "email_domain", "example.com")
    action = propose_action(
        case.pk,
        actor=people.investigator,
        kind="block_network",
        targets=[("cidr", "198.51.100.0/24"), ("asn", "64500")],
    )
    radius = blast_radius(action)
    assert radius.networks == 2
    assert radius.network_accounts == 2
    assert radius.network_account_sample == ["bystander_0", "bystander_1"]


def test_the_approval_page_shows_accounts_protected_ones_and_other_open_cases(client, people):
    case, accounts = make_case_with_accounts(4, protected={2})
    other = Case.objects.create(title="Elsewhere", status="investigating")
    closed = Case.objects.create(title="Done", status="closed", resolution="benign")
    for linked in (other, closed):
        CaseAccount.objects.create(
            case=linked, account=accounts[0], reason="seen", linked_by_detector="d1"
        )
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    client.force_login(people.lead)
    page = client.get(reverse("enforcement:action", args=[action.pk])).content.decode()
    assert "<strong>3</strong> accounts acted on" in page
    assert "<strong>1</strong> protected account:" in page
    assert accounts[2].external_id in page and "Include anyway" in page
    assert "<strong>1</strong> other open case touched" in page
    assert f"#{other.pk}</a>" in page and f"#{closed.pk}</a>" not in page
