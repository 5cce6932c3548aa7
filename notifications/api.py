"""The inbox over REST (docs/notifications.md): the same entries, order and
visibility as the page, through ``notifications.inbox``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from cases.api.base import AUTHENTICATION
from notifications import inbox
from notifications.delivery import link_of
from notifications.models import Notification
from people.permissions import HasRole
from people.roles import ALL_ROLES


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    link = serializers.SerializerMethodField(help_text="The page the entry concerns.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "text",
            "case",
            "action",
            "link",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields

    def get_link(self, entry: Notification) -> str:
        return self.context["request"].build_absolute_uri(link_of(entry))


class InboxAPI(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = ALL_ROLES


@extend_schema(tags=["notifications"])
class InboxListView(InboxAPI):
    """The caller's inbox: unread first, newest first within each, 50 a page."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="The cursor of the previous page's next.")
        ],
        responses=inline_serializer(
            "InboxPage",
            {
                "unread": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "results": NotificationSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        try:
            found = inbox.page(request.user, request.query_params.get("after") or None)
        except inbox.BadCursor:
            raise exceptions.ValidationError(
                {"after": "Not a page of this inbox: use the next link of an answer."}
            ) from None
        url = request.build_absolute_uri()
        return Response(
            {
                "unread": inbox.unread_count(request.user),
                "next": replace_query_param(url, "after", found.next_cursor)
                if found.next_cursor
                else None,
                "results": NotificationSerializer(
                    found.entries, many=True, context={"request": request}
                ).data,
            }
        )


@extend_schema(tags=["notifications"])
class MarkReadAPIView(InboxAPI):
    """Mark one of the caller's entries read (already read stays read)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        if not inbox.mark_read(request.user, pk):
            raise exceptions.NotFound("You have no such notification.")
        return Response(status=204)


@extend_schema(tags=["notifications"])
class MarkAllReadAPIView(InboxAPI):
    """Mark every unread entry of the caller's read; says how many."""

    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}),
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": inbox.mark_all_read(request.user)})
