"""A real HTTP server on 127.0.0.1 standing in for the platform's enforcement service.

It implements the receiving end of ``docs/enforcement-webhook.md``:
verifies signatures, records every request (headers and raw body), honours
``Idempotency-Key`` (a repeat answers as the first time and is not carried
out again) and keeps the state of every target. Tests tell it to fail in
each way docs/enforcement-webhook.md names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scripts.services import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    verified: bool
    answered: int | None = None

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")

    @property
    def json(self) -> dict:
        return json.loads(self.body)


# Modes a test can plan: what the next matching request gets.
MODES = {"ok", "500", "409", "slow", "garbage", "401", "403", "429", "refuse", "reset"}


@dataclass
class _Plan:
    mode: str
    value: str | None = None  # only requests for this target value
    operation: str | None = None


class Platform:
    def __init__(self, secrets: list[str], *, port: int | None = None) -> None:
        self.secrets = list(secrets)
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.executions: Counter[str] = Counter()
        self.answers: dict[str, tuple[int, bytes]] = {}
        # (type, value) -> "applied" | "reverted"
        self.state: dict[tuple[str, str], str] = {}
        self.history: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.plans: deque[_Plan] = deque()
        self.default_mode = "ok"
        self.delay = 0.0  # seconds before every answer
        self.slow_seconds = 3.0
        self.retry_after = "1"
        self.refuse_values: set[str] = set()
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/dossier"

    def start(self) -> Platform:
        platform = self

        class Handler(_Handler):
            pass

        Handler.platform = platform
        server = _QuietServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def down_for(self, seconds: float) -> None:
        """Close the port now and open it again after ``seconds``."""
        self.stop()
        timer = threading.Timer(seconds, self.start)
        timer.daemon = True
        timer.start()

    def plan(self, *modes: str, value: str | None = None, operation: str | None = None) -> None:
        """The next requests (for ``value``, if given) get these answers, in order."""
        for mode in modes:
            assert mode in MODES, mode
            self.plans.append(_Plan(mode, value, operation))

    def requests_for(self, value: str, operation: str | None = None) -> list[Received]:
        return [
            r
            for r in list(self.requests)
            if r.json["target"]["value"] == value
            and (operation is None or r.json["operation"] == operation)
        ]

    def executed_keys(self) -> Counter[str]:
        return Counter(self.executions)

    # --- receiving ---------------------------------------------------------

    def _next_mode(self, document: dict) -> str:
        with self.lock:
            for plan in list(self.plans):
                if plan.value is not None and plan.value != document["target"]["value"]:
                    continue
                if plan.operation is not None and plan.operation != document["operation"]:
                    continue
                self.plans.remove(plan)
                return plan.mode
        return self.default_mode

    def verify(self, header: str, body: bytes) -> bool:
        fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
        stamps = [v for k, v in fields if k == "t"]
        if len(stamps) != 1 or not stamps[0].isdigit():
            return False
        t = int(stamps[0])
        if abs(time.time() - t) > 300:
            return False
        signed = f"{t}.".encode() + body
        for secret in self.secrets:
            expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
            if any(k == "v1" and hmac.compare_digest(expected, v) for k, v in fields):
                return True
        return False

    def carry_out(self, key: str, document: dict) -> tuple[int, bytes]:
        """Execute once per key; a repeat answers as the first time."""
        with self.lock:
            if key in self.answers:
                return self.answers[key]
            target = (document["target"]["type"], document["target"]["value"])
            if document["target"]["value"] in self.refuse_values:
                answer = (404, json.dumps({"error": "unknown account"}).encode())
            else:
                self.executions[key] += 1
                state = "applied" if document["operation"] == "apply" else "reverted"
                already = self.state.get(target) == state
                self.state[target] = state
                self.history[target].append(document["operation"])
                reference = f"ref-{len(self.executions)}"
                body = {"status": "already_done" if already else "done", "reference": reference}
                answer = (200, json.dumps(body).encode())
            self.answers[key] = answer
            return answer


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up (killed worker, timeout) is part of the tests


class _Handler(BaseHTTPRequestHandler):
    platform: Platform
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_POST(self):
        platform = self.platform
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            # The sender died mid-request (a killed worker): nothing arrived to act on,
            # and a real server drops such a request the same way.
            self.close_connection = True
            return None
        verified = platform.verify(self.headers.get("Dossier-Signature", ""), body)
        received = Received(dict(self.headers.items()), body, time.time(), verified)
        with platform.lock:
            platform.requests.append(received)
        if platform.delay:
            time.sleep(platform.delay)
        if not verified:
            return self._answer(received, 401, {"error": "bad signature"})
        try:
            document = json.loads(body)
        except ValueError:
            return self._answer(received, 400, {"error": "body is not JSON"})
        mode = platform._next_mode(document)
        if mode == "reset":
            received.answered = 0
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if mode == "slow":
            time.sleep(platform.slow_seconds)
            mode = "ok"
        if mode == "500":
            return self._answer(received, 500, {"error": "internal error"})
        if mode == "409":
            return self._answer(received, 409, {"error": "still in progress"})
        if mode == "garbage":
            return self._raw(received, 200, b"<html>gateway</html>", "text/html")
        if mode in ("401", "403"):
            return self._answer(received, int(mode), {"error": "not trusted"})
        if mode == "429":
            return self._answer(
                received, 429, {"error": "slow down"}, {"Retry-After": platform.retry_after}
            )
        if mode == "refuse":
            return self._answer(received, 422, {"error": "bad parameters"})
        status, answer = platform.carry_out(received.key, document)
        return self._raw(received, status, answer, "application/json")

    def _answer(self, received, status, document, headers=None):
        return self._raw(
            received, status, json.dumps(document).encode(), "application/json", headers
        )

    def _raw(self, received, status, body, content_type, headers=None):
        received.answered = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); what was done stays done


__all__ = ["Platform", "Received", "free_port"]
