"""Template helpers shared by every app's pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils import formats, timezone

from secretariat.zones import zone_label

register = template.Library()


@register.filter
def in_zone(value: dt.datetime | None, zone_name: str | None = None) -> str:
    """A moment in the given zone (default: the active one), with the zone named."""
    if not value:
        return ""
    zone = zoneinfo.ZoneInfo(zone_name) if zone_name else timezone.get_current_timezone()
    local = value.astimezone(zone)
    text = formats.date_format(local, "D j M Y, H:i")
    return f"{text} ({zone_label(zone.key, value)})"


@register.simple_tag(takes_context=True)
def zone_name(context: template.Context) -> str:
    return zone_label(timezone.get_current_timezone_name())


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key)
