"""Time zones named by place and offset ("Yangon, UTC+6:30").

`%Z` prints a bare offset such as "+0630" for most ASEAN zones, so each zone
gets a label here. Offsets are computed at the moment shown, never assumed
fixed: dialogue partners may observe daylight saving time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

PLACES = {
    "Asia/Brunei": "Bandar Seri Begawan",
    "Asia/Phnom_Penh": "Phnom Penh",
    "Asia/Jakarta": "Jakarta",
    "Asia/Makassar": "Makassar",
    "Asia/Jayapura": "Jayapura",
    "Asia/Vientiane": "Vientiane",
    "Asia/Kuala_Lumpur": "Kuala Lumpur",
    "Asia/Yangon": "Yangon",
    "Asia/Manila": "Manila",
    "Asia/Singapore": "Singapore",
    "Asia/Bangkok": "Bangkok",
    "Asia/Dili": "Dili",
    "Asia/Ho_Chi_Minh": "Ho Chi Minh City",
    "UTC": "UTC",
}


def place(zone_name: str) -> str:
    return PLACES.get(zone_name) or zone_name.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset(zone_name: str, at: dt.datetime | None = None) -> str:
    """'UTC+6:30', 'UTC+8', 'UTC-5' for the zone at the given moment."""
    moment = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(zone_name))
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone_name: str, at: dt.datetime | None = None) -> str:
    if zone_name == "UTC":
        return "UTC"
    return f"{place(zone_name)}, {utc_offset(zone_name, at)}"
