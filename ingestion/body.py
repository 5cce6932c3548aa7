"""Read an alerts request body: media type, optional gzip, and the size limit.

The stream is read directly with a cap: Django's own upload limit would
answer 400 where docs/alerts-api.md promises 413, and a gzip body is measured after
decompression without ever holding more than the limit in memory.
"""

from __future__ import annotations

import zlib

from django.conf import settings
from django.http import HttpRequest
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType

CHUNK = 64 * 1024


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The body exceeds {limit} bytes; split the alerts over several requests."
    )


def read_json_body(request: HttpRequest) -> bytes:
    media_type = request.content_type.strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(
            media_type or "none", detail="Content-Type must be application/json."
        )
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise UnsupportedMediaType(encoding, detail="Content-Encoding must be gzip or absent.")
    limit = settings.ALERTS_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # A compressed body larger than the limit cannot decompress to less.
    if declared > limit:
        raise _too_large(limit)
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # No Content-Length: Django's stream would read nothing. The WSGI
        # server has removed the chunk framing from wsgi.input.
        raw = request.META["wsgi.input"].read(limit + 1)
    else:
        raw = request.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    if encoding == "identity":
        return raw
    return _gunzip(raw, limit)


def _gunzip(data: bytes, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    pending = data
    try:
        # A gzip stream may hold several members; they decode to one body.
        while pending:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            while True:
                # max_length bounds memory: a gzip bomb stops at the limit.
                out = inflater.decompress(pending, limit + 1 - size)
                parts.append(out)
                size += len(out)
                if size > limit:
                    raise _too_large(limit)
                pending = inflater.unconsumed_tail
                if not pending:
                    break
            if not inflater.eof:
                raise ParseError("The gzip body is truncated.")
            pending = inflater.unused_data
    except zlib.error:
        raise ParseError("The body is not valid gzip.") from None
    return b"".join(parts)
