"""An export streams from a live gunicorn: its first rows reach the client while
the rest of the trail is still unread.

The test reads the first bytes, then locks the trail's table so the server
cannot read another page. If the export were built whole before sending, the
rest would keep arriving; streamed, the download stalls at the lock, and goes
on to a file that verifies once the lock is released.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import transaction

from audit.events import record_many
from audit.exportfile import load_public_key, verify_export
from audit.models import AuditEvent
from people.roles import Role
from people.tokens import issue_personal_token
from tests.processes import url_of_test_database

EVENTS = 20_000
# About a kilobyte a record: the file is far larger than the sockets' buffers.
REASON = "seen through a residential proxy; " * 28


def raw_get(base_url: str, path: str, token: str) -> socket.socket:
    """An HTTP/1.0 GET on a socket with a small receive buffer: the answer's
    bytes come as the server sends them, to the connection's close."""
    where = urlsplit(base_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.connect((where.hostname, where.port))
    sock.sendall(
        f"GET {path} HTTP/1.0\r\nHost: {where.hostname}\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    return sock


def receive(sock: socket.socket, until_stalled: float | None) -> tuple[bytes, bool]:
    """What arrives, and whether it stopped arriving for ``until_stalled`` seconds
    (None: read to the end)."""
    sock.settimeout(until_stalled if until_stalled is not None else 60)
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if until_stalled is None:
                raise
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


@pytest.mark.django_db(transaction=True)
def test_the_first_rows_arrive_while_the_rest_is_unread(gunicorn_server, make_user, api):
    with transaction.atomic():
        record_many(
            {"verb": "case.noted", "system": "test", "cases": [n % 50 + 1], "reason": REASON}
            for n in range(EVENTS)
        )
    _, token = issue_personal_token(make_user(Role.MANAGER, username="mia"), "export")
    key = load_public_key(api.get("/api/v1/audit/public-key").json()["public_key"])
    base_url = gunicorn_server(AUDIT_EXPORT_PAGE_SIZE="500")
    stored = AuditEvent.objects.count()

    sock = raw_get(base_url, "/api/v1/audit/export?output=jsonl", token)
    with sock, psycopg.connect(url_of_test_database(), autocommit=True) as locker:
        first = sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200") or first.startswith(b"HTTP/1.0 200"), first
        locker.execute("BEGIN")
        locker.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
        before_release, stalled = receive(sock, until_stalled=3)
        locker.execute("ROLLBACK")
        rest, _ = receive(sock, until_stalled=None)

    answer = first + before_release + rest
    head, _, body = answer.partition(b"\r\n\r\n")
    assert stalled, "the whole export arrived while the trail was locked: it was not streamed"
    assert len(first + before_release) < len(answer) / 2
    assert b"content-length" not in head.lower()
    assert verify_export(body, key).rows == stored
