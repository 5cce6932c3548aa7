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


def test_the_approval_page_lists_the_first_protected_accounts_and_counts_the_rest(client, people):
    case, accounts = make_case_with_accounts(300, protected=set(range(0, 300, 2)))
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    client.force_login(people.lead)
    url = reverse("enforcement:action", args=[action.pk])
    page = client.get(url).content.decode()
    assert "<strong>150</strong> accounts acted on" in page
    assert "<strong>150</strong> protected accounts" in page
    assert page.count('class="protected-target"') == 50
    assert "and 100 more" in page and 'href="?state=excluded#targets"' in page
    # Each one left out can be included from the targets table.
    page = client.get(url + "?state=excluded&page=2").content.decode()
    last = accounts[298].external_id
    assert f'data-value="{last}"' in page and 'class="override-one"' in page


def test_the_propose_page_counts_the_case_s_accounts_and_names_a_few_protected(client, people):
    case, accounts = make_case_with_accounts(1_200, protected={3, 5, *range(100, 120)})
    client.force_login(people.investigator)
    page = client.get(reverse("enforcement:propose", args=[case.pk])).content.decode()
    assert "The case links <strong>1,200</strong> accounts." in page
    assert "an account action covers <strong>1,178</strong> of them" in page
    assert "<strong>22</strong> protected accounts are left out" in page
    assert accounts[3].external_id in page and accounts[119].external_id not in page
    assert accounts[0].external_id not in page
