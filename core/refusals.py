"""How a workflow says no: one exception family, each refusal with a code.

A workflow function raises a ``Refused`` and, when its app keeps a trace of
refusals, writes that trace itself (``audits_refusals``) before the refusal
leaves it. Callers only translate the code: the API's exception handler
(``core.api``) and the pages' ``core.pages.RefusalPageMixin`` each do it once,
with the same message.

=========  ======  ==============================================
code       HTTP    meaning
=========  ======  ==============================================
forbidden  403     this person may not do this
conflict   409     not in this state (or changed since it was read)
invalid    400     the request itself is wrong (``field`` names where)
not_found  404     what the request names does not exist
=========  ======  ==============================================
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])


class Refused(Exception):
    """A step the workflow did not take; nothing was changed. The message says why."""

    code = "refused"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self)


# Also a PermissionDenied, so that Django answers an unhandled one with a 403 too.
class Forbidden(Refused, PermissionDenied):
    code = "forbidden"


class Conflict(Refused):
    code = "conflict"


class Invalid(Refused):
    code = "invalid"


class NotFound(Refused):
    code = "not_found"


HTTP_STATUS = {
    Forbidden.code: 403,
    Conflict.code: 409,
    Invalid.code: 400,
    NotFound.code: 404,
}


def http_status(exc: Refused) -> int:
    return HTTP_STATUS.get(exc.code, 400)


def audits_refusals(
    write: Callable[..., None], *, kinds: tuple[type[Exception], ...] = (Refused,)
) -> Callable[[F], F]:
    """Wrap a workflow function so a refusal of ``kinds`` is written down, then raised again.

    ``write(exc, *args, **kwargs)`` receives the refusal and the call's own
    arguments. It runs after the function's transaction was rolled back, so
    the trace it writes survives the refusal.
    """

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def run(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except kinds as exc:
                write(exc, *args, **kwargs)
                raise

        return run  # type: ignore[return-value]

    return wrap
