"""Template helpers for case pages."""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# What a note may contain once rendered: text formatting, lists, code, links.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def _renderer() -> markdown_lib.Markdown:
    md = markdown_lib.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
    # Raw HTML a person typed is shown as text, not passed through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML with raw HTML shown as text, then cleaned by nh3 as a second guard."""
    html = _renderer().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 (cleaned by nh3 just above)


@register.filter
def capped(count: int, cap: int | None = None) -> str:
    """``25,000``; a count that stopped at ``cap`` reads ``1,000+`` once it reached it."""
    if cap is not None and count >= cap:
        return f"{cap:,}+"
    return f"{count:,}"
