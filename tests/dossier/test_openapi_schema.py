import re

import pytest
import yaml
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


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def properties(schema, component):
    return schema["components"]["schemas"][component]["properties"]


def enum_values(schema, field) -> set:
    choices = field.get("oneOf") or field.get("allOf") or [field]
    values = set()
    for choice in choices:
        target = choice
        if "$ref" in choice:
            target = schema["components"]["schemas"][choice["$ref"].rsplit("/", 1)[-1]]
        values.update(target.get("enum", []))
    return values


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Action", "approved_by"),
        ("Action", "second_approved_by"),
        ("Case", "assignee"),
        ("CaseDetail", "assignee"),
        ("CaseDetail", "merged_into"),
        ("ReviewFlag", "resolved_by"),
    ],
)
def test_fields_answered_as_null_are_declared_nullable(schema, component, field):
    assert properties(schema, component)[field].get("nullable") is True


@pytest.mark.parametrize("field", ["resolution", "escalation_level"])
def test_a_cases_empty_choice_is_in_its_enum(schema, field):
    assert "" in enum_values(schema, properties(schema, "Case")[field])


def test_every_operation_declares_its_error_answers_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]["errors"]["items"]["required"]) == {"index", "field", "message"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            answers = operation["responses"]
            detector = {"detectorToken": []} in operation["security"]
            expected = {"400", "401", "429"} | (set() if detector else {"403"})
            if "{" in path:
                expected.add("404")
            if method != "get" and not detector:
                expected.add("409")
            if "requestBody" in operation:
                expected |= {"413", "415"}
            assert expected <= set(answers), (method, path, sorted(answers))
            for status in expected:
                media = answers[status]["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_alerts_post_declares_413_415_and_429(schema):
    answers = schema["paths"]["/api/v1/alerts/"]["post"]["responses"]
    assert {"202", "400", "401", "413", "415", "429"} <= set(answers)
    assert "Retry-After" in answers["429"]["headers"]


def test_the_alerts_body_is_the_published_alert_schema(schema):
    body = schema["paths"]["/api/v1/alerts/"]["post"]["requestBody"]["content"]
    one_alert, envelope = body["application/json"]["schema"]["oneOf"]
    assert set(one_alert["required"]) == {"external_id", "kind", "severity", "observed_at"}
    assert one_alert["properties"]["severity"]["enum"] == ["low", "medium", "high", "critical"]
    assert one_alert["properties"]["title"] == {
        "type": "string",
        "maxLength": 300,
        "nullable": True,
    }
    assert envelope["properties"]["alerts"]["maxItems"] == 1000
    assert envelope["properties"]["alerts"]["items"] == one_alert


def test_action_steps_take_their_own_bodies(schema):
    def body(path):
        media = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return media["schema"]["$ref"].rsplit("/", 1)[-1]

    assert body("/api/v1/actions/") == "Propose"
    assert body("/api/v1/actions/{id}/approve/") == "Comment"
    assert body("/api/v1/actions/{id}/revert/") == "Revert"
