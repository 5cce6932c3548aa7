"""A failed form comes back scrolled to itself, with its error inside it."""

import re

import pytest

from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db

# Each form's action names the element it is in, so the browser shows the
# re-rendered form (and its error) rather than the top of the page.
FORMS = {
    "link-form": "accounts/",
    "note-form": "notes/",
    "evidence-form": "evidence/",
    "assign-form": "assign/",
    "severity-form": "severity/",
    "attribution-form": "attribution/",
    "transitions": "transition/",
    "tlp-form": "tlp/",
    "case-tags": "tags/",
}


def test_every_case_form_posts_to_an_address_that_shows_it(client, make_user):
    case = make_case(status="investigating")
    client.force_login(make_user("lead"))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    for anchor, route in FORMS.items():
        assert f'action="/cases/{case.pk}/{route}#{anchor}"' in body, anchor
        assert f'id="{anchor}"' in body, anchor


def test_a_failed_link_shows_its_error_inside_the_link_form(client, make_user):
    case = make_case(status="investigating")
    client.force_login(make_user("investigator"))
    response = client.post(
        f"/cases/{case.pk}/accounts/", {"external_id": "acct_nobody", "reason": "same proxy"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    form = re.search(r'<form[^>]*id="link-form".*?</form>', body, re.S).group(0)
    assert '<div class="field-error">No platform account has this id.</div>' in form
