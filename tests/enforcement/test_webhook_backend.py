"""The webhook backend against a real HTTP server: wire format and the answer table."""

import hashlib
import json
from datetime import UTC, datetime

from enforcement.backends import (
    APPLY,
    Call,
    Done,
    Paused,
    Refused,
    Retry,
    WebhookBackend,
    build_body,
    idempotency_key,
)
from tests.enforcement.conftest import NEXT_SECRET, SECRET


def make_call(value="acct_8f2c", operation=APPLY):
    body = build_body(
        action_id=41,
        kind="suspend_accounts",
        operation=operation,
        target_type="account",
        target_value=value,
        params={},
        case_id=7,
        case_url="http://dossier.test/cases/7/",
        notice="Your account was suspended.",
        expires_at=None,
        requested_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
    )
    return Call(41, operation, "account", value, body)


def test_the_key_is_action_operation_and_hash_of_type_and_value():
    digest = hashlib.sha256(b"account\nacct_8f2c").hexdigest()[:32]
    assert idempotency_key(41, "apply", "account", "acct_8f2c") == f"41.apply.{digest}"


def test_the_body_has_the_contract_fields():
    document = json.loads(make_call().body)
    assert document == {
        "action": "41",
        "kind": "suspend_accounts",
        "operation": "apply",
        "target": {"type": "account", "value": "acct_8f2c"},
        "params": {},
        "case": {"id": "7", "url": "http://dossier.test/cases/7/"},
        "notice": "Your account was suspended.",
        "expires_at": None,
        "requested_at": "2026-11-29T12:00:00Z",
    }


def test_a_success_answer_is_done_with_the_platforms_reference(webhook):
    outcome = WebhookBackend().send(make_call())
    assert isinstance(outcome, Done) and outcome.reference.startswith("ref-")
    (received,) = webhook.requests
    assert received.verified
    assert received.headers["Content-Type"] == "application/json"
    assert received.key == make_call().idempotency_key
    assert received.body == make_call().body


def test_the_signature_verifies_with_each_of_two_secrets(webhook, settings):
    settings.ENFORCEMENT_SECRETS = [SECRET, NEXT_SECRET]
    WebhookBackend().send(make_call())
    header = webhook.requests[0].headers["Dossier-Signature"]
    assert header.count("v1=") == 2
    for secret in (SECRET, NEXT_SECRET):
        webhook.secrets = [secret]
        assert webhook.verify(header, webhook.requests[0].body)


def test_a_receiver_with_another_secret_pauses(webhook, settings):
    settings.ENFORCEMENT_SECRETS = ["not-the-platforms-secret"]
    outcome = WebhookBackend().send(make_call())
    assert isinstance(outcome, Paused)
    assert webhook.executions.total() == 0


def test_each_failure_is_classified_per_the_contract(webhook):
    backend = WebhookBackend()
    expected = {
        "500": Retry,
        "409": Retry,
        "garbage": Retry,
        "reset": Retry,
        "401": Paused,
        "403": Paused,
        "refuse": Refused,
    }
    for mode, kind in expected.items():
        webhook.plan(mode)
        outcome = backend.send(make_call(value=f"acct_{mode}"))
        assert isinstance(outcome, kind), (mode, outcome)
        assert outcome.counts if isinstance(outcome, Retry) else True


def test_429_asks_to_wait_and_does_not_count_as_an_attempt(webhook):
    webhook.retry_after = "7"
    webhook.plan("429")
    outcome = WebhookBackend().send(make_call())
    assert outcome == Retry("HTTP 429: slow down", retry_after=7.0, counts=False)


def test_a_slow_answer_is_a_timeout_to_retry(webhook, settings):
    settings.ENFORCEMENT_TIMEOUT = 0.3
    webhook.slow_seconds = 1.0
    webhook.plan("slow")
    outcome = WebhookBackend().send(make_call())
    assert isinstance(outcome, Retry) and "no answer" in outcome.reason


def test_a_closed_port_is_a_retry(webhook):
    webhook.stop()
    outcome = WebhookBackend().send(make_call())
    assert isinstance(outcome, Retry) and "connection failed" in outcome.reason


def test_a_repeated_key_is_answered_as_the_first_time_and_carried_out_once(webhook):
    backend = WebhookBackend()
    first = backend.send(make_call())
    second = backend.send(make_call())
    assert first == second
    assert webhook.executions[make_call().idempotency_key] == 1
