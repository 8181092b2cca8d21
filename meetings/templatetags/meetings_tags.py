"""Template helpers of meeting pages: status shown as text and colour together."""

from __future__ import annotations

from django import template

register = template.Library()

TONES = {
    # Meeting status
    "draft": "muted",
    "scheduled": "info",
    "postponed": "warning",
    "cancelled": "danger",
    "held": "success",
    "closed": "muted",
    # Minutes status
    "circulated": "info",
    "submitted": "warning",
    "approved": "success",
    # Agenda
    "adopted": "success",
    # RSVP
    "pending": "muted",
    "attending": "success",
    "not_attending": "danger",
}


@register.filter
def tone(status: str) -> str:
    """The tag modifier for a status: `<span class="tag tag--{{ status|tone }}">`."""
    return TONES.get(str(status), "muted")
