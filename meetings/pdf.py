"""PDFs of meetings (List of Participants, approved minutes) with WeasyPrint.

WeasyPrint fetches every URL a document names (stylesheets, fonts, images).
Minutes are written by people, so the fetcher loads nothing from outside the
app: only our own static files, read from disk through the staticfiles finders.
Anything else (http, file, data, a path outside /static/) is refused, and the
PDF renders without it.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# WeasyPrint logs every rendering step at INFO; keep its warnings only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402 (after the logger is quietened: the import logs)
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

# The base URL documents are rendered against; never resolved over the network.
BASE_URL = "https://app.internal/"


class RefusedURL(ValueError):
    """A document named a resource outside the app."""


class AppOnlyFetcher(URLFetcher):
    """Serves /static/ files of the app from disk and refuses everything else."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
        if not url.startswith(prefix):
            raise RefusedURL(f"Refused to fetch {url!r}: only the app's static files are loaded.")
        relative = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
        if ".." in relative.split("/"):
            raise RefusedURL(f"Refused to fetch {url!r}.")
        path = finders.find(relative)
        if not path:
            raise RefusedURL(f"No static file {relative!r}.")
        with open(path, "rb") as handle:
            body = handle.read()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mimetype})


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, {"static_base": BASE_URL.rstrip("/") + settings.STATIC_URL, **context})
    return HTML(string=html, base_url=BASE_URL, url_fetcher=AppOnlyFetcher()).write_pdf()
