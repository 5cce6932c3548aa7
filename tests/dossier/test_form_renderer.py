"""The form renderer writes its widgets exactly as Django's own templates do."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core.form_renderer import FormRenderer


class Everything(forms.Form):
    text = forms.CharField(
        max_length=20,
        help_text="hint",
        widget=forms.TextInput(attrs={"list": "people", "autofocus": True, "hidden": False}),
    )
    number = forms.IntegerField(min_value=1, required=False)
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    email = forms.EmailField(required=False)
    when = forms.DateTimeField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tick = forms.BooleanField(required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    empty_body = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", gettext_lazy("A & B")), (3, "<three>")], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "Other")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    upload = forms.FileField(required=False, widget=forms.FileInput)


DATA = [
    {},
    {
        "text": 'say "<hi>" & go',
        "number": "12",
        "hidden": "7",
        "email": "not an email",
        "when": "2026-01-02 03:04",
        "day": "2026-01-02",
        "tick": "on",
        "body": "line <b>one</b>\nline two",
        "choice": "3",
        "grouped": "pear",
        "many": ["2"],
    },
]


@pytest.mark.parametrize("data", DATA, ids=["blank", "filled"])
@pytest.mark.parametrize("bound", [True, False], ids=["bound", "initial"])
def test_every_widget_reads_as_djangos_templates_write_it(data, bound):
    initial = {"text": mark_safe("<i>safe</i>"), "when": datetime.datetime(2026, 1, 2, 3, 4)}
    made = {"data": data} if bound else {"initial": {**initial, **data}}
    ours = Everything(renderer=FormRenderer(), **made)
    theirs = Everything(renderer=DjangoTemplates(), **made)
    for field in ours:
        assert str(field) == str(theirs[field.name]), field.name
    assert ours.as_div() == theirs.as_div()
