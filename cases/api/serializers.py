"""API representations. Input serializers validate shape only; the workflow decides."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import workflow
from cases.models import (
    STRONG_INDICATOR_CHOICES,
    Account,
    Case,
    CaseAccount,
    CaseStatus,
    EscalationLevel,
    Evidence,
    EvidenceKind,
    Indicator,
    KnownSharedValue,
    Note,
    Resolution,
    ReviewFlag,
    Severity,
    Tlp,
)
from cases.queries import related_cases, review_flags
from core import text_limits as limits
from core.text_limits import api_text

# The detail answer lists this many related cases, newest first.
RELATED_LIMIT = 50


class AttributionSerializer(serializers.Serializer):
    actor = serializers.CharField(source="attribution_actor")
    confidence = serializers.CharField(source="attribution_confidence")
    rationale = serializers.CharField(source="attribution_rationale")


class CaseSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The assignee's username; null while nobody is assigned.",
    )
    # Declared, not derived: a derived read-only field loses allow_blank, and the
    # schema would then leave out the "" an unresolved or unescalated case has.
    resolution = serializers.ChoiceField(
        choices=Resolution.choices, allow_blank=True, read_only=True
    )
    escalation_level = serializers.ChoiceField(
        choices=EscalationLevel.choices, allow_blank=True, read_only=True
    )
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    attribution = AttributionSerializer(source="*", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="cases-api:case-detail")

    class Meta:
        model = Case
        fields = [
            "id",
            "url",
            "title",
            "summary",
            "status",
            "resolution",
            "severity",
            "assignee",
            "escalation_level",
            "tlp",
            "sla_due_at",
            "tags",
            "attribution",
            "is_possible_evasion",
            "alert_count",
            "account_count",
            "evidence_count",
            "version",
            "created_at",
            "updated_at",
            "last_activity_at",
            "triaged_at",
            "escalated_at",
            "actioned_at",
            "closed_at",
        ]
        read_only_fields = fields


class ReviewFlagSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="indicator.type")
    value = serializers.CharField(source="indicator.value")
    why = serializers.CharField(source="get_kind_display")
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    shared_accounts = serializers.IntegerField(
        help_text="Accounts carrying it (a too-common value's count stops where it became so)."
    )
    other_cases = serializers.IntegerField(
        help_text="Other cases you may see whose accounts carry it, up to 1000."
    )

    class Meta:
        model = ReviewFlag
        fields = [
            "id",
            "type",
            "value",
            "kind",
            "why",
            "detail",
            "status",
            "shared_accounts",
            "other_cases",
            "raised_at",
            "resolved_by",
            "resolved_at",
            "resolution_reason",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    allowed_transitions = serializers.SerializerMethodField()
    related_cases = serializers.SerializerMethodField()
    review_flags = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "allowed_transitions",
            "related_cases",
            "review_flags",
            "merged_into",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewFlagSerializer(many=True))
    def get_review_flags(self, case: Case) -> list[dict]:
        """Strong values flagged on the case for a lead to decide, open ones first."""
        flags = review_flags(self.context["request"].user, case)
        return ReviewFlagSerializer(flags, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, case: Case) -> list[str]:
        """Each as its label (``closed as a|b``); ``/transitions/`` has them as data."""
        allowed = workflow.allowed_transitions(case, self.context["request"].user)
        return [transition.label for transition in allowed]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_related_cases(self, case: Case) -> list[int]:
        visible = related_cases(self.context["request"].user, case).order_by("-id")
        return list(visible.values_list("pk", flat=True)[:RELATED_LIMIT])


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    body = api_text(limits.NOTE, "The note", help_text="Markdown.")

    class Meta:
        model = Note
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class EvidenceSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by_label", read_only=True)
    content_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "title",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "created_by",
            "created_at",
            "redacted_at",
            "removed_sha256",
            "content_url",
        ]
        read_only_fields = fields

    def get_content_url(self, item: Evidence) -> str:
        from django.urls import reverse

        return self.context["request"].build_absolute_uri(
            reverse("cases-api:evidence-content", args=[item.case_id, item.pk])
        )


class EvidenceInputSerializer(serializers.Serializer):
    """Either a ``file`` (multipart) or a ``title`` and ``content`` (text or link)."""

    file = serializers.FileField(required=False)
    title = api_text(limits.TITLE, "The title", required=False, allow_blank=True)
    content = api_text(limits.EVIDENCE_TEXT, "The content", required=False, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=[EvidenceKind.TEXT, EvidenceKind.LINK], default=EvidenceKind.TEXT
    )
    reason = api_text(limits.REASON, "The reason", required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("content"):
            raise serializers.ValidationError({"file": "Send a file, or a title and content."})
        return attrs


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The case version this change is based on: refused with 409 when the "
        "fields this change edits were changed since (a merge: when anything was).",
    )


class TransitionInputSerializer(VersionedInput):
    to_status = serializers.ChoiceField(choices=CaseStatus.choices)
    resolution = serializers.ChoiceField(
        choices=Resolution.choices, required=False, allow_blank=True
    )
    level = serializers.ChoiceField(
        choices=EscalationLevel.choices, required=False, allow_blank=True
    )
    reason = api_text(limits.REASON, "The reason", required=False, allow_blank=True, default="")


class AllowedTransitionSerializer(serializers.Serializer):
    to_status = serializers.CharField()
    resolutions = serializers.ListField(
        child=serializers.CharField(), help_text="For closing: the resolutions allowed."
    )
    levels = serializers.ListField(
        child=serializers.CharField(),
        help_text="For escalating: the levels allowed (only higher ones once escalated).",
    )
    label = serializers.CharField(help_text='As in "allowed": "closed as a|b" for closing.')


class TransitionsSerializer(serializers.Serializer):
    status = serializers.CharField()
    version = serializers.IntegerField()
    allowed = serializers.ListField(child=serializers.CharField(), help_text="Labels.")
    transitions = AllowedTransitionSerializer(many=True)


class AssignInputSerializer(VersionedInput):
    assignee = serializers.CharField(
        allow_blank=True, help_text='A username, "me", or empty to unassign.'
    )
    reason = api_text(limits.REASON, "The reason", required=False, allow_blank=True, default="")


class MergeInputSerializer(VersionedInput):
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=100,
        help_text="The cases to merge into this one; each is closed as a duplicate of it.",
    )
    reason = api_text(limits.REASON, "The reason")
    confirm = serializers.BooleanField(
        help_text="Must be true: the merged cases are closed, and a merge is not undone."
    )

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Confirm the merge (true).")
        return value


class SeverityInputSerializer(VersionedInput):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = api_text(limits.REASON, "The reason", required=False, allow_blank=True, default="")


class AttributionInputSerializer(VersionedInput):
    actor = api_text(limits.SUSPECTED_ACTOR, "The suspected actor", allow_blank=True)
    confidence = serializers.ChoiceField(
        choices=["", "low", "medium", "high"], required=False, default=""
    )
    rationale = api_text(
        limits.RATIONALE, "The rationale", allow_blank=True, required=False, default=""
    )


class TlpInputSerializer(VersionedInput):
    tlp = serializers.ChoiceField(choices=Tlp.choices)
    reason = api_text(limits.REASON, "The reason", required=False, allow_blank=True, default="")


class TlpChoiceSerializer(serializers.Serializer):
    tlp = serializers.CharField()
    allowed = serializers.BooleanField(help_text="Whether you may mark the case so.")
    no_longer_see = serializers.ListField(
        child=serializers.CharField(),
        help_text="Roles whose holders (other than the assignee) would no longer see the case.",
    )
    would_see = serializers.ListField(
        child=serializers.CharField(), help_text="Roles whose holders would see it then."
    )
    you_still_see = serializers.BooleanField()


class TlpSerializer(serializers.Serializer):
    tlp = serializers.CharField()
    version = serializers.IntegerField()
    choices = TlpChoiceSerializer(many=True)


class TagsInputSerializer(serializers.Serializer):
    """Each tag is checked against the case as it is: no version is needed."""

    add = serializers.ListField(
        child=api_text(limits.TAG, "A tag"), required=False, default=list, max_length=50
    )
    remove = serializers.ListField(
        child=api_text(limits.TAG, "A tag"), required=False, default=list, max_length=50
    )


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()
    suggested = serializers.ListField(
        child=serializers.CharField(), help_text="Labels of the case's alerts, not yet tags."
    )


class ProtectionInputSerializer(serializers.Serializer):
    protected = serializers.BooleanField()
    reason = api_text(limits.REASON, "The reason")
    case = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The case this is decided from: the event is on its trail too.",
    )


class CaseAccountSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(source="account.external_id", read_only=True)
    account_id = serializers.IntegerField(source="account.id", read_only=True)
    is_protected = serializers.BooleanField(source="account.is_protected", read_only=True)
    linked_by = serializers.CharField(source="linked_by_label", read_only=True)

    class Meta:
        model = CaseAccount
        fields = ["account_id", "external_id", "is_protected", "reason", "linked_by", "linked_at"]
        read_only_fields = fields


class LinkAccountInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=200)
    reason = api_text(limits.REASON, "The reason")


class UnlinkAccountInputSerializer(VersionedInput):
    reason = api_text(limits.REASON, "The reason")


class AccountSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cases-api:account-detail")

    class Meta:
        model = Account
        fields = [
            "id",
            "url",
            "external_id",
            "organization_id",
            "email_domain",
            "country",
            "platform_created_at",
            "payment_fingerprint",
            "is_protected",
            "protected_reason",
            "enforcement_state",
            "first_seen",
            "last_seen",
        ]
        read_only_fields = fields


class AccountCaseSerializer(serializers.Serializer):
    case = serializers.IntegerField(source="case_id")
    reason = serializers.CharField()
    linked_by = serializers.CharField(source="linked_by_label")
    linked_at = serializers.DateTimeField()


class IndicatorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "type", "value", "is_too_common"]
        read_only_fields = fields


class AccountDetailSerializer(AccountSerializer):
    cases = AccountCaseSerializer(many=True, read_only=True, source="visible_links")
    indicators = IndicatorRefSerializer(many=True, read_only=True, source="indicator_list")

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "cases", "indicators"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cases-api:indicator-detail")
    is_strong = serializers.BooleanField(read_only=True)
    shared_accounts = serializers.IntegerField(
        read_only=True, help_text="Accounts carrying it, counted up to 1000."
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "url",
            "type",
            "value",
            "is_strong",
            "is_too_common",
            "shared_accounts",
            "first_seen",
            "last_seen",
        ]
        read_only_fields = fields


class IndicatorDetailSerializer(IndicatorSerializer):
    accounts = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        source="account_list",
        help_text="External ids of the accounts carrying it (up to 1000).",
    )
    cases = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, source="case_list"
    )

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "accounts", "cases"]
        read_only_fields = fields


class KnownSharedSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cases-api:known-shared-detail")
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = KnownSharedValue
        fields = ["id", "url", "type", "value", "reason", "added_by", "added_at"]
        read_only_fields = fields


class KnownSharedInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=STRONG_INDICATOR_CHOICES,
        help_text="Only strong values join cases, so only they are listed.",
    )
    value = serializers.CharField(
        max_length=1300,
        trim_whitespace=False,
        help_text="As Dossier stores it; a prompt cluster as <detector>/<cluster>.",
    )
    reason = api_text(limits.DECISION, "The reason")


class ReasonInputSerializer(serializers.Serializer):
    reason = api_text(limits.DECISION, "The reason")


class ResolveFlagInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["list", "dismiss"],
        help_text="list: put the value on the known-shared list; dismiss: close this flag.",
    )
    reason = api_text(limits.DECISION, "The reason")
