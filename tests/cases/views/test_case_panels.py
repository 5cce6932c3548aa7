import re
from html import unescape

import pytest

from cases import workflow
from tests.cases.bulk import fill_case, record_batches
from tests.cases.factories import link, make_account, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivy(make_user):
    return make_user("investigator", username="ivy")


def next_link(body: str) -> str:
    return unescape(re.search(r'<a href="([^"]+)" rel="next"', body).group(1))


def test_an_investigator_pages_through_accounts_without_script(client, ivy):
    case = make_case()
    for n in range(120):
        link(case, make_account(f"acct_{n:03}"))
    client.force_login(ivy)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    first = re.findall(r"<td>(acct_\d{3})", body.split('id="accounts"')[1].split("</section>")[0])
    assert len(first) == 50 and first[0] == "acct_119"
    url = next_link(body.split('id="accounts"')[1])
    assert url.startswith(f"/cases/{case.pk}/?accounts-after=") and url.endswith("#accounts")
    body = client.get(url.split("#")[0]).content.decode()
    second = re.findall(r"<td>(acct_\d{3})", body.split('id="accounts"')[1].split("</section>")[0])
    assert second[0] == "acct_069" and len(second) == 50


def test_a_panel_alone_is_its_section_with_a_next_link(client, ivy):
    case = make_case()
    for n in range(60):
        link(case, make_account(f"acct_{n:03}"))
    client.force_login(ivy)
    response = client.get(f"/cases/{case.pk}/panels/accounts/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="accounts">')
    url = next_link(body)
    assert url.startswith(f"/cases/{case.pk}/panels/accounts/?after=")
    rest = client.get(url).content.decode()
    assert re.findall(r"<td>(acct_\d{3})", rest)[:1] == ["acct_009"]
    assert 'rel="next"' not in rest


def test_a_panel_of_a_hidden_case_or_an_unknown_panel_is_not_found(client, ivy):
    hidden = make_case(tlp="red")
    case = make_case()
    client.force_login(ivy)
    assert client.get(f"/cases/{hidden.pk}/panels/accounts/").status_code == 404
    assert client.get(f"/cases/{case.pk}/panels/nothing/").status_code == 404


def test_a_panel_refuses_people_without_a_case_role(client, make_user):
    case = make_case()
    client.force_login(make_user("administrator"))
    assert client.get(f"/cases/{case.pk}/panels/timeline/").status_code == 403


def test_the_newest_note_tops_the_timeline(client, ivy):
    case = make_case()
    workflow.add_note(case.pk, "first look", actor=ivy)
    workflow.add_note(case.pk, "the operator is back", actor=ivy)
    client.force_login(ivy)
    body = client.get(f"/cases/{case.pk}/panels/timeline/").content.decode()
    assert body.index("the operator is back") < body.index("first look")


def test_a_person_s_steps_are_never_buried_under_imports(client, ivy):
    case = make_case()
    workflow.add_note(case.pk, "my own finding", actor=ivy)
    record_batches(case, 80)
    client.force_login(ivy)
    people = client.get(f"/cases/{case.pk}/panels/timeline/?show=people").content.decode()
    assert "my own finding" in people and "tl-import" not in people
    imports = client.get(f"/cases/{case.pk}/panels/timeline/?show=imports").content.decode()
    assert imports.count('class="tl tl-import"') == 30 and "my own finding" not in imports
    assert "added 40 alerts and 8 accounts" in imports
    # On the case page the same choice is the timeline's own parameter.
    body = client.get(f"/cases/{case.pk}/?timeline-show=people").content.decode()
    timeline = body.split('id="timeline"')[1].split("</section>")[0]
    assert "my own finding" in timeline and "tl-import" not in timeline


def test_accounts_and_indicators_filter_on_the_case_page(client, ivy):
    case = fill_case(make_case(), accounts=60, indicators=10)
    client.force_login(ivy)
    body = client.get(f"/cases/{case.pk}/?accounts-protected=true").content.decode()
    accounts = body.split('id="accounts"')[1].split("</section>")[0]
    assert accounts.count('class="account-row protected"') == 6
    assert 'class="account-row"' not in accounts
    body = client.get(f"/cases/{case.pk}/?indicators-strength=strong").content.decode()
    indicators = body.split('id="indicators"')[1].split("</section>")[0]
    assert indicators.count('class="indicator-row"') == 5 and "indicator-row weak" not in indicators
    body = client.get(f"/cases/{case.pk}/panels/indicators/?type=asn").content.decode()
    assert body.count('class="indicator-row weak"') == 5
