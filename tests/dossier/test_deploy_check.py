"""Under the production settings the README documents, Django's deployment check is clean.

And what that check asks for holds for a visitor: plain HTTP is redirected to
HTTPS (the health check excepted, for the load balancer) and HTTPS answers
carry HSTS.
"""

from tests.dossier.production_env import run_in_production

# A request through the whole middleware stack without a database: the redirect
# and the security headers come before any view.
VISIT = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="dossier.example.org")
plain = client.get("/login/")
print("plain", plain.status_code, plain.headers.get("Location"))
secure = client.get("/no-such-page/", secure=True)
print("hsts", secure.headers.get("Strict-Transport-Security"))
print("health", client.get("/healthz").status_code)
"""


def test_the_deployment_check_finds_nothing_under_production_settings():
    result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_check_names_plain_http_when_it_is_allowed():
    result = run_in_production(
        "manage.py", "check", "--deploy", SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"
    )
    assert "security.W008" in result.stderr
    assert "security.W004" in result.stderr


def test_plain_http_is_redirected_to_https_and_https_answers_carry_hsts():
    # No database answers here: the health check says so over plain HTTP, unredirected.
    result = run_in_production("-c", VISIT, DATABASE_URL="postgres://dossier@127.0.0.1:1/dossier")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["plain"] == "301 https://dossier.example.org/login/"
    assert lines["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert lines["health"] == "503"
