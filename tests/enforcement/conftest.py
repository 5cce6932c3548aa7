import pytest

from tests.enforcement.platform_server import Platform
from tests.ingestion.worker.conftest import redis_broker, start_worker  # noqa: F401 - shared fixtures

SECRET = "first-shared-secret"
NEXT_SECRET = "next-shared-secret"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def platform():
    """The platform's enforcement service on 127.0.0.1, trusting SECRET."""
    server = Platform([SECRET]).start()
    yield server
    server.stop()


@pytest.fixture
def webhook(settings, platform):
    """Dossier configured to call ``platform`` through the webhook backend, retrying fast."""
    settings.ENFORCEMENT_BACKEND = "webhook"
    settings.ENFORCEMENT_URL = platform.url
    settings.ENFORCEMENT_SECRETS = [SECRET]
    settings.ENFORCEMENT_TIMEOUT = 2.0
    settings.ENFORCEMENT_MAX_ATTEMPTS = 4
    settings.ENFORCEMENT_BACKOFF_BASE = 0.05
    settings.ENFORCEMENT_BACKOFF_MAX = 0.2
    return platform


def worker_env(platform, **extra):
    """Environment for a real worker calling ``platform`` through the webhook backend."""
    return {
        "ENFORCEMENT_BACKEND": "webhook",
        "ENFORCEMENT_URL": platform.url,
        "ENFORCEMENT_SECRET": SECRET,
        "ENFORCEMENT_CONCURRENCY": "4",
        "ENFORCEMENT_BACKOFF_BASE": "0.1",
        "ENFORCEMENT_BACKOFF_MAX": "0.5",
        "ENFORCEMENT_SWEEP_INTERVAL": "1",
        **extra,
    }


def make_case_with_accounts(
    n=3, *, protected=(), prefix="acct", status="investigating", title=None
):
    """A case in ``status`` with ``n`` linked accounts; indexes in ``protected`` are protected."""
    from cases.models import SEVERITY_RANK, Account, Case, CaseAccount

    case = Case.objects.create(
        title=title or "Distillation network", status=status, severity_rank=SEVERITY_RANK["medium"]
    )
    accounts = Account.objects.bulk_create(
        [
            Account(external_id=f"{prefix}_{case.pk}_{i:05d}", is_protected=i in protected)
            for i in range(n)
        ]
    )
    CaseAccount.objects.bulk_create(
        [
            CaseAccount(case=case, account=a, reason="shared fingerprint", linked_by_detector="d1")
            for a in accounts
        ]
    )
    return case, accounts


@pytest.fixture
def people(make_user):
    """The cast: an investigator, two leads, a manager, and a superuser lead."""

    class Cast:
        investigator = make_user("investigator", username="ivy")
        lead = make_user("lead", username="lee")
        other_lead = make_user("lead", username="lou")
        manager = make_user("manager", username="max")
        super_lead = make_user("lead", username="root", is_superuser=True, is_staff=True)

    return Cast
