"""Request ids: taken from ``X-Request-ID`` when a proxy sets one, else made up.

The id is echoed in the response and recorded with every audit event written
while serving the request.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
current_remote_addr: ContextVar[str | None] = ContextVar("current_remote_addr", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = current_request_id.set(request_id)
        addr_token = current_remote_addr.set(request.META.get("REMOTE_ADDR"))
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(id_token)
            current_remote_addr.reset(addr_token)
        response["X-Request-ID"] = request_id
        return response
