"""How long the text people write into Dossier may be, in characters: every limit in one place.

Each limit is generous for what its field is for, and small enough that a
page showing the text (a note is rendered on the case page and again on its
trail) stays a page. The forms (``LimitedText``) and the API's serializers
(``api_text``) refuse longer text with a message naming the field, and the
workflow functions check again (``too_long``), so the pages, the API and any
other caller agree. Only new text is bound: there is no database constraint,
so what was written before the limits stays readable as it is.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from rest_framework import serializers

# A note on a case (Markdown).
NOTE = 20_000
# A case's or an evidence item's title (the columns hold 300).
TITLE = 300
# Why a step on a case was taken: assigning, severity, status, TLP, a merge,
# linking or unlinking an account, protecting one, adding or redacting evidence.
REASON = 2_000
# A lead's decision on the known-shared list or a flagged value, and the
# comments and reasons of an action's steps (approve, reject, withdraw, revert,
# override, retry): the proposer and the trail read them.
DECISION = 4_000
# Why an actor is suspected, or why an action is proposed.
RATIONALE = 10_000
# The suspected actor's name (the column holds 200).
SUSPECTED_ACTOR = 200
# What the platform shows an account it acts on (kept for appeals).
NOTICE = 2_000
# What a partner is told by a notify_partner action.
PARTNER_SUMMARY = 10_000
# One tag (a label), and the comma-separated tags one form adds at once.
TAG = 100
TAGS_AT_ONCE = 2_000
# A text or link item of evidence (a prompt and its answer, say); files are
# bounded by EVIDENCE_MAX_BYTES instead.
EVIDENCE_TEXT = 1_000_000


def message(what: str, limit: int, length: int | None = None) -> str:
    """``what`` names the field in words: "The note", "The reason"."""
    has = f"{length:,} characters, " if length is not None else ""
    return f"{what} is too long: {has}at most {limit:,} characters."


def too_long(value: str | None, limit: int, what: str) -> str | None:
    """The error for ``value`` if it is longer than ``limit``, else None."""
    length = len(value or "")
    return message(what, limit, length) if length > limit else None


@deconstructible
class LengthLimit:
    """A validator: at most ``limit`` characters, said in words naming the field."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what

    def __call__(self, value) -> None:
        if error := too_long(value, self.limit, self.what):
            raise ValidationError(error, code="max_length")

    def __eq__(self, other) -> bool:
        return isinstance(other, LengthLimit) and (self.limit, self.what) == (
            other.limit,
            other.what,
        )


class LimitedText(forms.CharField):
    """A form's text field of at most ``limit`` characters.

    It gives the browser no ``maxlength``: that would cut pasted text short
    without a word, where the form's error says what is too long and by how much.
    """

    def __init__(self, limit: int, what: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.validators.append(LengthLimit(limit, what))


def api_text(limit: int, what: str, **kwargs) -> serializers.CharField:
    """An API text field of at most ``limit`` characters (``maxLength`` in the schema)."""
    return serializers.CharField(
        max_length=limit, error_messages={"max_length": message(what, limit)}, **kwargs
    )
