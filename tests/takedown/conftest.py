import pytest

from tests.takedown.platform_server import Platform

SECRET = "first-shared-secret"
NEXT_SECRET = "next-shared-secret"


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
