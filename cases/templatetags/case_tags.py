"""Template helpers for case pages."""

from __future__ import annotations

import threading
from datetime import datetime

import markdown as markdown_lib
import nh3
from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# What a note may contain once rendered: text formatting, lists, code, links.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


# Building a Markdown instance loads its extensions (an entry-point scan each
# time); a case page shows a page of notes, so each thread keeps one and
# resets it between notes. An instance is not safe to share across threads.
_local = threading.local()


def _renderer() -> markdown_lib.Markdown:
    md = getattr(_local, "markdown", None)
    if md is None:
        md = markdown_lib.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
        # Raw HTML a person typed is shown as text, not passed through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _local.markdown = md
    return md.reset()


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


STAMP = "Y-m-d H:i T"
STAMP_FORMATS = {"minutes": "%Y-%m-%d %H:%M", "seconds": "%Y-%m-%d %H:%M:%S"}


@register.filter
def stamp(moment: datetime | None, precision: str = "minutes") -> str:
    """``moment|date:"Y-m-d H:i T"`` (``"Y-m-d H:i:s T"`` with ``"seconds"``), as
    plain ``strftime``: a case page shows some two hundred times, and Django's
    date filter costs several times as much each."""
    if not moment:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    zone = local.tzname() or timezone.get_current_timezone_name()
    return f"{local.strftime(STAMP_FORMATS[precision])} {zone}"


def duration(seconds: float) -> str:
    """A time left or past as people say it: "40 min", "3 h", "4 d"."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} h"
    return f"{round(hours / 24)} d"


@register.simple_tag
def sla(case) -> SafeString:
    """A case's SLA as "due in 3 h" or "3 h overdue", the due time (with its zone) on hover;
    "paused, 3 h left" while its clock stands still (the time left when it stopped), and
    "breached" once the breach task marked it (docs/case-workflow.md, "SLA").

    A closed case shows only the due time: the clock stopped."""
    due = case.sla_due_at
    if due is None:
        return mark_safe("—")
    stamp = date_format(timezone.localtime(due), STAMP)
    if not case.is_open:
        shown = format_html('<time class="sla" datetime="{}">{}</time>', due.isoformat(), stamp)
        return shown + _breached(case)
    if case.sla_paused_at is not None:
        left = (due - case.sla_paused_at).total_seconds()
        told = f"{duration(left)} left" if left >= 0 else f"{duration(-left)} overdue"
        text, state = f"paused, {told}", "sla paused"
        stamp = f"{stamp}, moved on by the pause when it resumes"
    else:
        left = (due - timezone.now()).total_seconds()
        if left < 0:
            text, state = f"{duration(-left)} overdue", "sla overdue"
        else:
            text, state = f"due in {duration(left)}", "sla"
    shown = format_html(
        '<time class="{}" datetime="{}" title="{}">{}</time>', state, due.isoformat(), stamp, text
    )
    return shown + _breached(case)


def _breached(case) -> SafeString:
    at = case.sla_breached_at
    if at is None:
        return mark_safe("")
    stamp = date_format(timezone.localtime(at), STAMP)
    return format_html(
        ' <strong class="sla-breached" title="SLA breached at {}">breached</strong>', stamp
    )
