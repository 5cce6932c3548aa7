"""A case's indicators follow its accounts, whoever writes the links."""

import pytest

from cases import workflow
from cases.models import AccountIndicator, CaseIndicator
from tests.cases.factories import link, make_account, make_case, make_indicator

pytestmark = pytest.mark.django_db


def values_of(case) -> set[str]:
    return set(CaseIndicator.objects.filter(case=case).values_list("indicator__value", flat=True))


def test_linking_an_account_gives_the_case_its_indicators(make_user):
    lead = make_user("lead")
    case = make_case()
    account = make_account("acct_1")
    make_indicator("payment_fingerprint", "pf_1", account)
    make_indicator("asn", "AS64500", account)
    workflow.link_account(case.pk, account, actor=lead, reason="same card")
    assert values_of(case) == {"pf_1", "AS64500"}


def test_a_linked_account_s_new_indicator_joins_its_cases():
    case, other = make_case(), make_case()
    account = make_account("acct_1")
    link(case, account)
    link(other, account)
    indicator = make_indicator("device_fingerprint", "df_1")
    AccountIndicator.objects.create(account=account, indicator=indicator)
    assert values_of(case) == values_of(other) == {"df_1"}


def test_unlinking_keeps_the_values_another_account_still_carries(make_user):
    lead = make_user("lead")
    case = make_case()
    first, second = make_account("acct_1"), make_account("acct_2")
    link(case, first)
    link(case, second)
    make_indicator("payment_fingerprint", "shared", first, second)
    make_indicator("device_fingerprint", "only_first", first)
    case.refresh_from_db()
    workflow.unlink_account(case.pk, first, actor=lead, reason="different person")
    assert values_of(case) == {"shared"}


def test_a_merge_moves_the_merged_case_s_values_to_the_survivor(make_user):
    lead = make_user("lead")
    survivor, merged = make_case(), make_case()
    account = make_account("acct_1")
    link(merged, account)
    make_indicator("api_key_prefix", "sk-abc", account)
    workflow.merge_cases(survivor.pk, [merged.pk], actor=lead, reason="same operator")
    assert values_of(survivor) == {"sk-abc"}
    assert values_of(merged) == set()
