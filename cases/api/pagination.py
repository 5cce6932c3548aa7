"""Pagination of API lists: keyset for cases (any sort), cursor by id for the rest."""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from cases.pagination import InvalidCursor, KeysetPage, Sort, page_of, paginate

MAX_PAGE_SIZE = 200


def _page_size(request, default: int) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({"page_size": "A whole number."}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": f"Between 1 and {MAX_PAGE_SIZE}."})
    return size


class CaseKeysetPagination(BasePagination):
    """``?sort=due|severity|activity&cursor=...``: pages that cost the same at any depth."""

    page_size = 50

    def page(self, queryset, request, cursor: str | None, size: int) -> KeysetPage:
        return paginate(queryset, sort=request.query_params.get("sort"), cursor=cursor, size=size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = self.page(
                queryset,
                request,
                cursor=request.query_params.get("cursor"),
                size=_page_size(request, self.page_size),
            )
        except InvalidCursor:
            raise ValidationError({"cursor": "Invalid cursor."}) from None
        return self.page.items

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous answer's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 50).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


class FixedSortPagination(CaseKeysetPagination):
    """Keyset pages of cases in one order of the view's choosing (``?cursor=`` only)."""

    sort: Sort

    def page(self, queryset, request, cursor: str | None, size: int) -> KeysetPage:
        return page_of(queryset, self.sort, cursor=cursor, size=size)


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination, answering a cursor it cannot read with a 400 that
    names it (DRF's own answer is a 404, as if the list did not exist)."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": "Invalid cursor."}) from None


class IdCursorPagination(CheckedCursorPagination):
    """Newest first by id: unique and stable, as cursor pagination needs."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class CaseAccountPagination(IdCursorPagination):
    """A case's accounts in the case page's order: newest account first, read
    from the link's own index (case, account)."""

    ordering = "-account_id"
