"""One SMTP connection per worker process (and thread), reused from one send task to the next.

Opening a connection (TCP, the greeting, EHLO, perhaps STARTTLS and AUTH) and saying goodbye
cost more round trips than the message itself, so a send task leaves its connection open for
the next task on the same process. The rules that keep that safe:

- A reused connection the server has closed meanwhile (its idle timeout, a restart) is noticed
  *before* anything is sent: the server's goodbye, or its FIN, makes the socket readable while
  no reply is due. It is then dropped and a new connection opened, so nothing is lost and
  nothing is sent twice. A connection unused for longer than ``MAX_IDLE`` is not trusted at
  all (a firewall may have dropped it without a word).
- After any error while sending, the connection is dropped unread: its state is unknown. If the
  server closes the connection in the instant between that check and MAIL FROM, the send fails
  like any lost connection and the delivery is retried with backoff (never sent twice: nothing
  was accepted).
- One connection per thread (``threading.local``) and per process: a connection inherited
  through ``fork`` belongs to the parent and is never used or closed politely by the child.
- Only Django's SMTP backend is kept open; other backends (locmem, file, console) are opened
  and closed per message as before.

``discard()`` closes the connection (QUIT); the worker calls it at process shutdown.
"""

from __future__ import annotations

import logging
import select
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from os import getpid

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

logger = logging.getLogger(__name__)

# Seconds a connection may sit unused and still be reused. Servers close idle connections after
# minutes (Postfix: 300 s, 10 s under stress), which the check before sending notices; a NAT or
# firewall that drops an idle flow silently cannot be noticed, hence this limit.
MAX_IDLE = 60.0

_local = threading.local()


@dataclass
class _Held:
    backend: BaseEmailBackend
    key: tuple
    pid: int
    used_at: float


def _settings_key() -> tuple:
    """What the connection was opened with: other settings (a test, the benchmark) get a new one."""
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_HOST_PASSWORD,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
        settings.EMAIL_SSL_CERTFILE,
        settings.EMAIL_SSL_KEYFILE,
        settings.EMAIL_TIMEOUT,
    )


def acquire() -> BaseEmailBackend:
    """An open mail backend for one message: this thread's connection from an earlier task if it
    is still good, else a new one. Pass it to ``release`` after the commit, or to ``drop`` if
    sending failed."""
    held: _Held | None = getattr(_local, "held", None)
    if held is not None:
        if held.pid != getpid():
            # The parent's socket: closing it here would end the parent's session too.
            _local.held = None
        elif held.key != _settings_key():
            discard()
        elif time.monotonic() - held.used_at > MAX_IDLE:
            # Not even QUIT: on a connection dropped silently it would wait for EMAIL_TIMEOUT.
            drop(held.backend)
        elif not _alive(held.backend):
            logger.info("The SMTP server has closed the connection; opening a new one")
            drop(held.backend)
        else:
            return held.backend
    backend = get_connection(fail_silently=False)
    backend.open()
    if isinstance(backend, SMTPBackend):
        _local.held = _Held(backend, _settings_key(), getpid(), time.monotonic())
    return backend


def release(backend: BaseEmailBackend) -> None:
    """After a successful send (and its commit): keep an SMTP connection for the next task, close
    any other backend. An error on closing is logged, never raised: the message is sent."""
    held: _Held | None = getattr(_local, "held", None)
    if held is not None and held.backend is backend:
        held.used_at = time.monotonic()
        return
    _close_quietly(backend)


def drop(backend: BaseEmailBackend | None) -> None:
    """Forget the connection after an error, without a word to the server: whatever it was in
    the middle of, that connection is not used again."""
    if backend is None:
        return
    held: _Held | None = getattr(_local, "held", None)
    if held is not None and held.backend is backend:
        _local.held = None
    connection = getattr(backend, "connection", None)
    if isinstance(backend, SMTPBackend) and connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing a broken SMTP connection failed", exc_info=True)
        finally:
            backend.connection = None
    else:
        _close_quietly(backend)


def discard() -> None:
    """Close this thread's connection, if any, politely (QUIT); errors are logged, not raised."""
    held: _Held | None = getattr(_local, "held", None)
    _local.held = None
    if held is not None and held.pid == getpid():
        _close_quietly(held.backend)


def _close_quietly(backend: BaseEmailBackend) -> None:
    try:
        backend.close()
    except Exception:
        # A timeout or 421 on QUIT, the soft time limit: the messages were sent already.
        logger.warning("Closing the mail connection failed", exc_info=True)


def _alive(backend: BaseEmailBackend) -> bool:
    """Whether the server still holds the connection open: no reply is due, so anything to read
    (a 421 goodbye, the end of the stream) means it has closed or is closing it."""
    connection = getattr(backend, "connection", None)
    if connection is None:
        return False
    sock = getattr(connection, "sock", None)
    if sock is None:
        # smtplib's SMTP without a socket is closed; a stand-in without one (tests) is not.
        return not isinstance(connection, smtplib.SMTP)
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return False
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)
