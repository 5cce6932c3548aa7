import time

import pytest
from celery import current_app

from tests.notifications.conftest import cast  # noqa: F401 - shared fixtures
from tests.webhooks.receiver_server import Receiver
from webhooks import tasks
from webhooks.models import WebhookEndpoint


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.WEBHOOK_TIMEOUT = 2.0
    settings.WEBHOOK_RETRY_BASE = 0.01
    settings.WEBHOOK_MAX_ATTEMPTS = 3


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(receiver):
    def make(*kinds: str, path: str = "/hook", **fields) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            name=fields.pop("name", path), url=receiver.url(path), event_kinds=list(kinds), **fields
        )

    return make


class Queue:
    """The tasks Dossier queued, in order, run here as a worker would run them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list, float]] = []

    def send_task(self, name, args=None, kwargs=None, countdown=None, **options):
        self.sent.append((name, list(args or []), countdown or 0))

    def names(self) -> list[str]:
        return [name for name, _, _ in self.sent]

    def run(self) -> int:
        """Run the webhook tasks queued until none are left; how many ran."""
        ran = 0
        while True:
            mine = [item for item in self.sent if item[0].startswith("webhooks.")]
            if not mine:
                return ran
            name, args, countdown = mine[0]
            self.sent.remove(mine[0])
            time.sleep(countdown)  # a retry's countdown, tiny in these tests
            {tasks.DISPATCH: tasks.dispatch, tasks.DELIVER: tasks.deliver}[name](*args)
            ran += 1


@pytest.fixture
def queue(monkeypatch):
    """Tasks sent to Celery are kept here instead of the broker; ``queue.run()`` runs them."""
    captured = Queue()
    monkeypatch.setattr(current_app, "send_task", captured.send_task)
    return captured
