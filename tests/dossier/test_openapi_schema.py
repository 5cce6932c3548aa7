import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/notes/",
        "/api/v1/cases/{id}/evidence/",
        "/api/v1/cases/{id}/transitions/",
        "/api/v1/cases/{id}/accounts/",
        "/api/v1/cases/{id}/tlp/",
        "/api/v1/cases/{id}/tags/",
        "/api/v1/accounts/{id}/protection/",
        "/api/v1/accounts/",
        "/api/v1/indicators/",
    ):
        assert f"  {path}:" in text
    assert "personalToken" in text


def test_the_interactive_docs_load_nothing_from_a_cdn(client, make_user):
    client.force_login(make_user("investigator"))
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert any("drf_spectacular_sidecar" in s for s in sources)
