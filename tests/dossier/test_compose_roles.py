"""``docker/compose.yaml`` runs migrations as the owner and the app as the runtime role.

Read as compose reads it (YAML merge keys; ``${VAR:?message}`` stops
``docker compose up`` when VAR is unset): only ``migrate`` holds the owner's
password; web, worker and beat sign in as the role ``migrate`` creates and
grants, so the audit trail's append-only triggers bind them.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker" / "compose.yaml"
APP = ("web", "worker", "beat")


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def signed_in_as(service: dict) -> tuple[str, str]:
    """The database user and the variable its password comes from."""
    url = service["environment"]["DATABASE_URL"]
    user = urlsplit(re.sub(r"\$\{[^}]*\}", "PASSWORD", url)).username
    variable = re.search(r"\$\{(\w+):\?", url).group(1)
    return user, variable


def test_web_workers_and_beat_sign_in_as_the_runtime_role_migrate_creates():
    found = services()
    owner = found["postgres"]["environment"]["POSTGRES_USER"]
    assert signed_in_as(found["migrate"]) == (owner, "POSTGRES_PASSWORD")
    migrate = " ".join(found["migrate"]["command"])
    assert re.search(r"manage\.py migrate --noinput && .*manage\.py audit grant-runtime", migrate)
    role = re.search(r"grant-runtime (\w+) --create", migrate).group(1)
    assert role != owner
    assert "RUNTIME_DB_PASSWORD:?" in found["migrate"]["environment"]["RUNTIME_DB_PASSWORD"]
    for name in APP:
        assert signed_in_as(found[name]) == (role, "RUNTIME_DB_PASSWORD"), name
        assert "POSTGRES_PASSWORD" not in str(found[name]["environment"]), name
        assert found[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
