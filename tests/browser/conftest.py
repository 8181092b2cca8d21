"""Browser fixtures: Debian's Chromium, driven by Playwright, beside Django's live server.

Playwright cannot download its own browsers here, so it launches the system
Chromium. Its sync API runs an event loop in the test thread; Django refuses
ORM calls from such a thread unless DJANGO_ALLOW_ASYNC_UNSAFE is set (the
Makefile sets it too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"  # every factory-made person's password


@pytest.fixture(autouse=True)
def _static_files_by_source_name(settings: object) -> None:
    """Serve the stylesheet and scripts to the browser under their plain names.

    pytest-django's live server answers /static/ itself, through the staticfiles
    finders, which know source names but not the hashed names of the manifest
    (whitenoise serves those in production). Plain names load the very same files.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test gets its own context."""
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def page(browser: Browser, live_server: object) -> Iterator[Page]:
    """A fresh page (own cookies) on the live server, at a desktop width."""
    context = browser.new_context(base_url=str(live_server), viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
