"""Template helpers of the document register."""

from __future__ import annotations

from django import template

from secretariat.documents.status import tone as _tone

register = template.Library()


@register.filter
def tone(value: str) -> str:
    """The tag colour for a status, answer or classification: success, danger, warning, info, muted."""
    return _tone(value)
