"""The form renderer: Django's widget templates, the plainest widgets written in Python.

A page renders dozens of widgets (the case page about forty), and Django
renders each through a template that includes ``input.html`` and
``attrs.html`` (and, for a select, one more template per option): most of the
time of a form is spent there. The inputs, selects and text areas below are
written here instead, to exactly the HTML Django's templates write
(``tests/dossier/test_form_renderer.py`` compares the two); every other
template, and any widget of a kind not below, renders as Django's.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
# The widget templates that are ``input.html`` and nothing else.
INPUTS = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
        "file",
    )
)
SELECT = f"{WIDGETS}select.html"
OPTION = f"{WIDGETS}select_option.html"
TEXTAREA = f"{WIDGETS}textarea.html"


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's templates, with inputs, selects and text areas in Python.

    A widget marks what its renderer returns safe (``Widget._render``); every
    value written here is escaped as the templates escape it.
    """

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in INPUTS:
                return _input(widget)
            if template_name == TEXTAREA:
                return _textarea(widget)
            if template_name == SELECT and _plain_options(widget):
                return _select(widget)
        return super().render(template_name, context, request)


def _shown(value: Any) -> str:
    """``{{ value }}``: localized, as text, escaped unless already safe."""
    return render_value_in_context(value, _CONTEXT)


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: each attribute, a bare name when True, left out when False."""
    written = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            written.append(f" {_shown(name)}")
        else:
            written.append(f' {_shown(name)}="{_formatted(value)}"')
    return "".join(written)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _plain_options(widget: dict[str, Any]) -> bool:
    return all(
        option["template_name"] == OPTION
        for _, options, _ in widget["optgroups"]
        for option in options
    )


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            # The option's template ends with a newline, which its include keeps.
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


# The context a widget template is rendered in: autoescape on, the defaults otherwise.
_CONTEXT = Context()
