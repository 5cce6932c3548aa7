"""Request bodies larger than their route takes are refused with 413 before they are read."""

from __future__ import annotations

import io
import json
import select
import socket
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Evidence, Note
from ingestion.detectors import create_detector
from ingestion.models import Batch
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db

HUGE = str(10 * 1024**3)  # 10 GiB, declared and never sent


class Unreadable(io.RawIOBase):
    """A body that fails the test if anyone reads it."""

    def read(self, size=-1):
        pytest.fail("the body was read")

    readline = read


@pytest.fixture
def ivy(make_user):
    return make_user("investigator", username="ivy")


@pytest.fixture
def case():
    return make_case(title="Operator cluster A")


def declared(client, path: str, length: str, content_type: str, **extra):
    """POST a body whose declared size is ``length`` and which may not be read."""
    return client.generic(
        "POST",
        path,
        b"x",
        content_type=content_type,
        CONTENT_LENGTH=length,
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def test_a_form_declared_over_the_limit_gets_the_too_large_page_unread(client, ivy, case):
    client.force_login(ivy)

    response = declared(
        client, f"/cases/{case.pk}/notes/", HUGE, "application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert "<h1>Too large to accept</h1>" in page
    assert "10.0 GB (10,737,418,240 bytes), more than the 2.0 MB (2,097,152 bytes)" in page
    assert "Nothing was stored." in page
    assert not Note.objects.exists()


def test_an_api_body_declared_over_the_limit_gets_the_error_shape_unread(api, ivy, case):
    api.force_authenticate(ivy)

    response = declared(api, f"/api/v1/cases/{case.pk}/notes/", HUGE, "application/json")

    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["index"] is None and error["field"] is None
    assert "more than the 2.0 MB (2,097,152 bytes) Dossier takes here" in error["message"]


def test_the_general_limit_is_a_setting(client, ivy, case, settings):
    settings.REQUEST_MAX_BODY_BYTES = 100
    client.force_login(ivy)

    response = client.post(f"/cases/{case.pk}/notes/", {"body": "n" * 200})

    assert response.status_code == 413
    assert "more than the 100 bytes Dossier takes here" in response.content.decode()
    assert not Note.objects.exists()


def test_a_body_at_the_limit_is_read(client, ivy, case, settings):
    client.force_login(ivy)
    body = "body=" + "n" * 95
    settings.REQUEST_MAX_BODY_BYTES = len(body)

    response = client.post(
        f"/cases/{case.pk}/notes/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 302
    assert Note.objects.get().body == "n" * 95


def test_an_evidence_upload_takes_the_evidence_limit_not_the_general_one(
    client, ivy, case, settings
):
    settings.REQUEST_MAX_BODY_BYTES = 64 * 1024
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    client.force_login(ivy)
    upload = SimpleUploadedFile("capture.bin", b"x" * (512 * 1024))

    response = client.post(f"/cases/{case.pk}/evidence/", {"file": upload})

    assert response.status_code == 302
    assert Evidence.objects.get().size == 512 * 1024


def test_an_evidence_upload_declared_over_its_limit_is_refused_unread(client, ivy, case, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    client.force_login(ivy)

    response = declared(
        client,
        f"/cases/{case.pk}/evidence/",
        str(2 * 1024 * 1024),
        "multipart/form-data; boundary=b",
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert "An evidence file may be at most 1.0 MB (1,048,576 bytes)." in page
    assert "choose a smaller file" in page
    assert not Evidence.objects.exists()


def test_the_evidence_api_takes_the_evidence_limit(api, ivy, case, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    api.force_authenticate(ivy)

    response = declared(
        api, f"/api/v1/cases/{case.pk}/evidence/", HUGE, "multipart/form-data; boundary=b"
    )

    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert "An evidence file may be at most 1,000 bytes." in error["message"]


def test_the_alerts_api_takes_its_own_limit(api, settings):
    settings.ALERTS_MAX_BODY_BYTES = 4096
    token = create_detector("scanner", rate=0).token

    response = declared(
        api, "/api/v1/alerts/", "4097", "application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] is None
    assert Batch.objects.count() == 0


def test_a_body_without_a_declared_size_stops_at_the_limit_as_it_is_read(api, settings):
    # No Content-Length: the alerts API reads the raw stream, which stops at the
    # limit however much the reader asks for (here, the whole body at once).
    settings.ALERTS_MAX_BODY_BYTES = 4096
    token = create_detector("scanner", rate=0).token
    stream = io.BytesIO(b'{"alerts": [' + b" " * 100_000 + b"]}")

    response = api.generic(
        "POST",
        "/api/v1/alerts/",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **{"wsgi.input": stream},
    )

    assert response.status_code == 413
    assert (
        "more than the 4.0 KB (4,096 bytes) Dossier takes here"
        in (response.json()["errors"][0]["message"])
    )
    assert stream.tell() <= 4097
    assert Batch.objects.count() == 0


# Over real HTTP, as production serves Dossier.


def raw_request(url: str, head: str, body: bytes = b"", *, timeout: float = 10) -> bytes:
    """Send ``head`` and ``body`` on a socket and read the answer until it is closed."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_gunicorn_refuses_a_huge_declared_upload_at_once(gunicorn_server, case):
    url = gunicorn_server()
    head = (
        f"POST /cases/{case.pk}/evidence/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {HUGE}\r\n"
    )
    # Only 1,000 of the declared bytes are sent: an answer at all means the
    # server refused without waiting for the rest (raw_request times out after 10 s).
    answer = raw_request(url, head, b"--b\r\n" + b"x" * 1000)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"An evidence file may be at most 50.0 MB (52,428,800 bytes)." in answer
    assert not Evidence.objects.exists()


def test_gunicorn_refuses_a_huge_declared_api_body_in_the_error_shape(gunicorn_server, case):
    url = gunicorn_server()
    head = (
        f"POST /api/v1/cases/{case.pk}/notes/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {HUGE}\r\n"
    )

    answer = raw_request(url, head, b'{"body": "')

    assert answer.startswith(b"HTTP/1.1 413 ")
    # One chunk: its size, then the JSON.
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1].split(b"\r\n")[1])["errors"][0]
    assert error["field"] is None and "Dossier takes here" in error["message"]


def test_gunicorn_stops_reading_a_chunked_body_at_the_limit(gunicorn_server):
    url = urlsplit(gunicorn_server(ALERTS_MAX_BODY_BYTES="65536"))
    token = create_detector("scanner", rate=0).token
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/alerts/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n\r\n" + b"1\r\n[\r\n"
        )
        # Keep sending until the server answers: it must not wait for the end.
        while not select.select([sock], [], [], 0)[0] and sent < 256 * 1024 * 1024:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = sock.recv(65536)

    assert sent < 256 * 1024 * 1024
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert Batch.objects.count() == 0
