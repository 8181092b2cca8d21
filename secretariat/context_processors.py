from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"DEMO": settings.DEMO, "SITE_NAME": "ASEAN AI Safe"}
