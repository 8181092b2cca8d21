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


class PagePartNode(template.Node):
    """Renders its block and, on a page that secretariat.pagecache is keeping, records the output."""

    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        output = self.nodelist.render(context)
        parts = getattr(context.get("request"), "page_parts", None)
        if parts is not None:
            parts[self.name] = output
        return output


@register.tag
def page_part(parser: template.base.Parser, token: template.base.Token) -> PagePartNode:
    """`{% page_part "content" %}{% block content %}{% endblock %}{% endpage_part %}` (base.html only)."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("page_part takes one quoted name")
    nodelist = parser.parse(("endpage_part",))
    parser.delete_first_token()
    return PagePartNode(bits[1][1:-1], nodelist)
