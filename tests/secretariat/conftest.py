"""Real services for the delivery engine's tests: an SMTP server on loopback and a Celery worker.

- `smtp`: an aiosmtpd server on a free loopback port that records what it receives,
  counts connections, can be told to refuse (answer 421 or 550 to DATA) and can be
  stopped and started again on the same port; Django's SMTP backend points at it.
- `broker`: the test Redis queue, purged before the test.
- `celery_worker`: a context manager that runs a real worker of `secretariat.celery.app`
  in a thread of this process, and waits until every published task has run.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from celery import signals
from celery.contrib.testing.worker import start_worker

from secretariat.celery import app as celery_app


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """The aiosmtpd handler: keeps what it accepts, or answers `refusal` to DATA."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[EmailMessage] = []
        self.refused = 0
        self.connections = 0
        self.refusal: str | None = None
        # Called in the server's thread with each message, before it is accepted.
        self.on_data: Callable[[EmailMessage], None] | None = None

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self.on_data is not None:
            self.on_data(message)
        with self.lock:
            if self.refusal:
                self.refused += 1
                return self.refusal
            self.received.append(message)
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        with self.lock:
            return [message["To"] for message in self.received]


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:`port` around one `Mailbox`; it survives stop/start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        mailbox = self.mailbox

        class CountingController(Controller):
            def factory(self) -> SMTP:
                # asyncio calls the factory once per accepted connection.
                with mailbox.lock:
                    mailbox.connections += 1
                return super().factory()

        # A stopped controller's loop is closed: each start needs a new one.
        self.controller = CountingController(mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        with mailbox.lock:
            mailbox.connections = 0  # start() opens one connection to check the server is up

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, reply: str) -> None:
        self.mailbox.refusal = reply

    def accept(self) -> None:
        self.mailbox.refusal = None

    @property
    def received(self) -> list[EmailMessage]:
        with self.mailbox.lock:
            return list(self.mailbox.received)

    @property
    def connections(self) -> int:
        return self.mailbox.connections

    @property
    def refused(self) -> int:
        return self.mailbox.refused


@pytest.fixture
def smtp(settings: object) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, with Django's SMTP backend pointed at it."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def point_celery_at(url: str) -> None:
    """Make the Celery app publish to (and consume from) `url` from now on.

    The read and write URLs win over `broker_url`, which the CELERY_BROKER_URL
    environment variable overrides. The app caches its connection and producer
    pools: dropping them makes the next publish use `url` (kombu keeps one pool
    per URL, so going back finds the first pool again).
    """
    celery_app.conf.broker_read_url = url
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(settings: object) -> Iterator[str]:
    """The test Redis queue (CELERY_BROKER_URL), emptied before the test.

    Its keys carry a prefix of this process, so that another test session on the
    same Redis database (a colleague's, or another pytest-xdist worker) neither
    empties our queue nor runs our tasks against its own database.
    """
    url = settings.CELERY_BROKER_URL
    prefix = f"tests-{os.getpid()}:"
    shared_options = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = {**shared_options, "global_keyprefix": prefix}
    point_celery_at(url)
    celery_app.control.purge()
    try:
        yield url
    finally:
        celery_app.conf.broker_transport_options = shared_options
        point_celery_at(url)
        with redis.Redis.from_url(url) as client:
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)


class TaskCounter:
    """Counts tasks published and tasks run in this process (the worker runs here too)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.published = 0
        self.finished = 0

    def on_publish(self, **kwargs: object) -> None:
        with self.lock:
            self.published += 1

    def on_postrun(self, **kwargs: object) -> None:
        with self.lock:
            self.finished += 1

    def wait_until_idle(self, *, at_least: int, timeout: float = 20.0) -> None:
        """Wait until at least `at_least` tasks were published and every published task has run."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.published >= at_least and self.finished >= self.published:
                    return
            time.sleep(0.05)
        raise AssertionError(f"Tasks still running: published {self.published}, finished {self.finished}")


@pytest.fixture
def celery_worker(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., contextlib.AbstractContextManager[TaskCounter]]:
    """`with celery_worker() as tasks:` runs a real worker (two threads) on the test Redis."""

    @contextlib.contextmanager
    def run(concurrency: int = 2) -> Iterator[TaskCounter]:
        counter = TaskCounter()
        # The worker would run Django's system checks on start; the suite runs them once.
        monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
        signals.after_task_publish.connect(counter.on_publish, weak=False)
        signals.task_postrun.connect(counter.on_postrun, weak=False)
        try:
            with start_worker(
                celery_app,
                pool="threads",
                concurrency=concurrency,
                perform_ping_check=False,
                shutdown_timeout=15,
            ):
                yield counter
        finally:
            signals.after_task_publish.disconnect(counter.on_publish)
            signals.task_postrun.disconnect(counter.on_postrun)

    return run
