"""The SMTP connection a worker process keeps from one send task to the next (reminders.smtp).

A real SMTP server (aiosmtpd, in a thread of this process) that counts its connections and can
drop them, or say goodbye first, the way an idle timeout or a restart does. Every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import socket
import threading
import time
from collections import Counter

import pytest
import time_machine
from aiosmtpd.controller import Controller
from celery.signals import worker_process_shutdown

from reminders import smtp, tasks
from reminders.models import Delivery
from tests.reminders.conftest import MEETING_AT

pytestmark = pytest.mark.django_db

WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)


def wait_until(condition, *, timeout: float = 10, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class Server(Controller):
    """aiosmtpd that records messages, connections and QUITs; answers DATA as told."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        super().__init__(self, hostname="127.0.0.1", port=port)
        self.messages: list[email.message.Message] = []
        self.sessions: list = []
        self.connections = 0  # client connections (EHLO); start() makes one of its own without
        self.quits = 0
        self.data_reply = "250 2.0.0 Ok: queued"

    def factory(self):
        session = super().factory()
        self.sessions.append(session)
        return session

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply.startswith("250"):
            self.messages.append(email.message_from_bytes(envelope.content))
        return self.data_reply

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"

    def recipients(self) -> Counter:
        return Counter(message["To"] for message in self.messages)

    def open_sessions(self) -> list:
        return [session for session in self.sessions if session.transport is not None]

    def drop_connections(self, *, goodbye: bytes = b"") -> None:
        """Close every open connection from the server's side, as an idle timeout or a restart
        does (a 421 first if ``goodbye``). ``shutdown`` sends the FIN before it returns."""
        for session in self.open_sessions():
            sock = session.transport.get_extra_info("socket")
            if goodbye:
                os.write(sock.fileno(), goodbye)
            sock.shutdown(socket.SHUT_RDWR)
        wait_until(lambda: not self.open_sessions(), what="the server to close its connections")


@pytest.fixture
def server(settings):
    running = Server()
    running.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", running.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield running
    smtp.discard()
    running.stop()


@pytest.fixture
def deliveries(meeting) -> dict[str, Delivery]:
    """Anne's, Bo's and Carl's reminders of the meeting, due now."""
    with time_machine.travel(WEEK_BEFORE, tick=False):
        from reminders import services

        services.plan_deliveries()
    return {row.email.split("@")[0]: row for row in Delivery.objects.all()}


def send(delivery: Delivery, at: dt.datetime = WEEK_BEFORE) -> str:
    with time_machine.travel(at, tick=False):
        return tasks.send_delivery(delivery.pk)


def test_one_connection_carries_the_reminders_of_several_send_tasks(server, deliveries):
    assert [send(deliveries[name]) for name in ("anne", "bo", "carl")] == ["sent"] * 3
    assert server.connections == 1
    assert server.quits == 0
    assert sorted(server.recipients()) == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]


@pytest.mark.parametrize(
    "goodbye", [b"", b"421 4.4.2 Idle timeout, closing connection\r\n"], ids=["dropped", "421-then-dropped"]
)
def test_a_connection_the_server_has_closed_is_reopened_without_a_lost_or_doubled_reminder(
    server, deliveries, queued, django_capture_on_commit_callbacks, goodbye
):
    assert send(deliveries["anne"]) == "sent"
    server.drop_connections(goodbye=goodbye)
    with django_capture_on_commit_callbacks(execute=True):
        assert send(deliveries["bo"]) == "sent"
        assert send(deliveries["carl"]) == "sent"
    assert server.connections == 2
    assert server.recipients() == {"anne@example.dk": 1, "bo@example.dk": 1, "carl@example.dk": 1}
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.SENT, 1)}
    assert queued == []


def test_a_connection_lost_after_the_check_is_retried_later_and_sent_once(
    server, deliveries, queued, django_capture_on_commit_callbacks, monkeypatch
):
    """The server closes the connection in the instant between the check and MAIL FROM: nothing
    was accepted, so the reminder is retried with backoff, not lost and not sent twice."""
    assert send(deliveries["anne"]) == "sent"
    server.drop_connections()
    monkeypatch.setattr(smtp, "_alive", lambda backend: True)
    bo = deliveries["bo"]
    with django_capture_on_commit_callbacks(execute=True):
        assert send(bo) == "retry"
    bo.refresh_from_db()
    assert (bo.status, bo.attempts) == (Delivery.Status.PENDING, 1)
    assert "SMTPServerDisconnected" in bo.last_error
    assert send(bo, bo.next_attempt_at) == "sent"
    assert server.recipients() == {"anne@example.dk": 1, "bo@example.dk": 1}
    assert queued == [(bo.pk, 60.0)]


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [("451 4.7.1 Greylisted, try again later", "retry"), ("554 5.7.1 Rejected", "failed")],
    ids=["4xx", "5xx"],
)
def test_after_an_error_while_sending_the_connection_is_not_used_again(server, deliveries, queued, reply, outcome):
    server.data_reply = reply
    assert send(deliveries["anne"]) == outcome
    server.data_reply = "250 2.0.0 Ok: queued"
    assert send(deliveries["bo"]) == "sent"
    assert server.connections == 2
    assert server.recipients() == {"bo@example.dk": 1}


def test_a_connection_idle_longer_than_the_limit_is_not_trusted(server, deliveries, monkeypatch):
    monkeypatch.setattr(smtp, "MAX_IDLE", 0.0)
    assert send(deliveries["anne"]) == "sent"
    assert send(deliveries["bo"]) == "sent"
    assert server.connections == 2
    assert server.recipients() == {"anne@example.dk": 1, "bo@example.dk": 1}


def test_other_email_settings_get_a_connection_of_their_own(server, deliveries, settings):
    assert send(deliveries["anne"]) == "sent"
    other = Server()
    other.start()
    try:
        settings.EMAIL_PORT = other.port
        assert send(deliveries["bo"]) == "sent"
        assert server.recipients() == {"anne@example.dk": 1}
        assert other.recipients() == {"bo@example.dk": 1}
        # The first server's connection was closed politely when the settings changed.
        wait_until(lambda: server.quits == 1, what="QUIT to the first server")
    finally:
        smtp.discard()
        other.stop()


def test_each_thread_has_a_connection_of_its_own(server):
    backends = []

    def acquire() -> None:
        backend = smtp.acquire()
        backends.append(backend)
        smtp.release(backend)

    threads = [threading.Thread(target=acquire) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(backends) == 2
    assert backends[0] is not backends[1]
    assert backends[0].connection is not backends[1].connection
    for backend in backends:
        backend.close()


def test_a_connection_inherited_from_the_parent_process_is_neither_used_nor_closed(server, deliveries, monkeypatch):
    assert send(deliveries["anne"]) == "sent"
    monkeypatch.setattr(smtp, "getpid", lambda: -1)  # as in a child forked after the send
    assert send(deliveries["bo"]) == "sent"
    assert server.connections == 2
    assert server.quits == 0  # the parent's session was not ended from the child


def test_the_connection_is_closed_when_the_worker_process_ends(server, deliveries):
    assert send(deliveries["anne"]) == "sent"
    worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    wait_until(lambda: server.quits == 1, what="QUIT")
    assert send(deliveries["bo"]) == "sent"
    assert server.connections == 2
