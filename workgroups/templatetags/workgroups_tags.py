"""Template helpers of the work plan: status in words and colour, due dates in words."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date
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
def action_item_row(item: object) -> str:
    """A row of the action items list, built in Python: fifty rows a page, each a few
    dozen template nodes otherwise. Columns: item, owner, due, status, priority."""
    if item.owner_kind == "state":
        owner = format_html('<span class="state-code">{}</span> {}', item.owner_state.code, item.owner_state.name)
    else:
        owner = item.owner_label
    words = due_in_words(item)
    return format_html(
        '<tr>\n    <td><a href="{}">{}</a><span class="muted">{} · #{}</span></td>\n    <td>{}</td>\n'
        '    <td class="nowrap"><time datetime="{}">{}</time>{}</td>\n    <td>{}</td>\n    <td>{}</td>\n  </tr>',
        item.get_absolute_url(),
        item.title,
        item.body.code,
        item.pk,
        owner,
        date(item.due_date, "Y-m-d"),
        date(item.due_date, "j M Y"),
        format_html('<span class="muted">{}</span>', words) if words else "",
        item_status(item),
        item.get_priority_display(),
    )


@register.simple_tag
def item_status(item: object) -> str:
    """An action item's status tag, and "Overdue" beside it while it is: what
    workgroups/includes/item_status.html renders, without an include per row of a list."""
    tag = format_html('<span class="tag tag--{}">{}</span>', status_tone(item.status), item.get_status_display())
    if item.is_overdue:
        tag += format_html(' <span class="tag tag--danger">{}</span>', _("Overdue"))
    return tag
