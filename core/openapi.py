"""The error answers of the OpenAPI schema, declared once for every operation.

Every 4xx answer has one shape (``core.api``, docs/alerts-api.md):
``{"errors": [{"index": null, "field": "...", "message": "..."}]}``. Which
statuses an operation can give follows from how it is reached, so a
postprocessing hook adds them to every operation rather than each view
repeating them:

* 400 to every operation: any address may carry a NUL character
  (``core.middleware``), any body or filter may be wrong;
* 401 to every operation: no credential, or an unknown, revoked or expired token;
* 429 to every operation: too many bad tokens from the caller's address
  (``people.bad_tokens``), and on the detector endpoints each detector's rate;
* 403 to the people's endpoints: a role the endpoint or the workflow refuses,
  or a detector token (detector endpoints answer a person's token 401);
* 404 where the path names something, and where the body or the query does
  (``NAMES_IN_BODY``);
* 409 to every change on the people's endpoints: the workflow's ``Conflict``,
  a state that does not allow the step or a stale ``version``;
* 413 and 415 to every operation with a body: larger than the route takes
  (``core.middleware``; docs/alerts-api.md for the alerts), or another
  content type.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx answer: what was wrong, and where.",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {
                        "type": "integer",
                        "nullable": True,
                        "description": "The alert at fault in a posted body (0 for a single "
                        "alert); null elsewhere.",
                    },
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "The field at fault (``accounts[0].external_id``); null "
                        "when the request as a whole is refused.",
                    },
                    "message": {"type": "string", "description": "What was wrong, in words."},
                },
                "required": ["index", "field", "message"],
            },
        }
    },
    "required": ["errors"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

DESCRIPTIONS = {
    400: "The request is wrong; each error names the field at fault.",
    401: "No credential, or an unknown, revoked or expired token.",
    403: "The caller may not do this.",
    404: "What the request names does not exist, or the caller may not see it.",
    409: "Not in a state that allows this, or changed since the given version.",
    413: "The body is larger than the configured limit.",
    415: "The body is not of a content type this operation reads.",
    429: "Over this detector's rate, or too many bad tokens from this address; "
    "Retry-After says when to try again.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The scheme: Bearer."}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}

# Operations whose body or query names something that may not exist or be
# hidden from the caller: a case to act on, an alert by its external id.
NAMES_IN_BODY = frozenset({"v1_actions_create", "v1_alerts_lookup_retrieve"})

_METHODS = ("get", "put", "patch", "post", "delete")


def error_statuses(path: str, method: str, operation: dict) -> list[int]:
    detector = any("detectorToken" in way for way in operation.get("security", []))
    statuses = {400, 401, 429}
    if "{" in path or operation.get("operationId") in NAMES_IN_BODY:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {413, 415}
    if not detector:
        statuses.add(403)
        if method != "get":
            statuses.add(409)
    return sorted(statuses)


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                answer = {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
                if status in HEADERS:
                    answer["headers"] = HEADERS[status]
                responses.setdefault(str(status), answer)
    return result
