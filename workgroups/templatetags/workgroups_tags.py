"""Template helpers of the work plan: status in words and colour, due dates in words."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

TONES = {
    "open": "info",
    "in_progress": "warning",
    "done": "success",
    "dropped": "muted",
    "planned": "muted",
    "active": "info",
    "on_hold": "warning",
    "completed": "success",
    "pending": "warning",
    "noted": "info",
    "endorsed": "success",
    "approved": "success",
    "returned": "danger",
}


@register.filter
def status_tone(status: str) -> str:
    """The tag modifier for a status: "info", "warning", "success", "muted" or "danger"."""
    return TONES.get(str(status), "muted")


@register.filter
def due_in_words(item: object) -> str:
    """ "Overdue by 3 days", "Due today", "Due in 2 days" for an open item; empty once closed."""
    if not getattr(item, "is_open", False):
        return ""
    days = item.days_left
    if days < 0:
        return ngettext("Overdue by %(n)s day", "Overdue by %(n)s days", -days) % {"n": -days}
    if days == 0:
        return _("Due today")
    return ngettext("Due in %(n)s day", "Due in %(n)s days", days) % {"n": days}


@register.filter
def get_count(counts: dict, key: str) -> int:
    return counts.get(key, 0)


@register.simple_tag
def item_status(item: object) -> str:
    """An action item's status tag, and "Overdue" beside it while it is: what
    workgroups/includes/item_status.html renders, without an include per row of a list."""
    tag = format_html('<span class="tag tag--{}">{}</span>', status_tone(item.status), item.get_status_display())
    if item.is_overdue:
        tag += format_html(' <span class="tag tag--danger">{}</span>', _("Overdue"))
    return tag
