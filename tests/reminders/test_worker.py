"""The reminder pipeline with real Celery workers, real Redis and a real SMTP server (issue 5).

Not eager mode: each test starts ``celery worker`` processes on a queue of its own against the
Redis in CELERY_BROKER_URL and the test's PostgreSQL database (``transactional_db``, so the
workers see committed rows), and an aiosmtpd server in this process that records every message.
The worker processes and this process share a travelled clock (``worker_at.py``). Every wait is
bounded, and the workers are killed in teardown whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from fora import services as fora_services
from members import services as member_services
from members.models import Council, ElectionPeriod, Meeting, Municipality, Person, SecretariatContact
from reminders import services, tasks
from reminders.models import Delivery, ReminderKind, ReminderRule
from tests import factories
from tests.conftest import redis_url, with_totp
from tests.reminders.conftest import kkr_member
from tests.rules_helpers import COPENHAGEN, councillor

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(settings.BASE_DIR)
WORKER_AT = Path(__file__).with_name("worker_at.py")
# "Now" in these tests: a Monday inside the 2026-2029 period, 12:00 in Copenhagen.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=COPENHAGEN)
# Small backoff so a retried delivery fails within seconds, not hours.
WORKER_SETTINGS = {
    "REMINDERS_RETRY_BACKOFF": "0.5",
    "REMINDERS_MAX_ATTEMPTS": "3",
    "EMAIL_TIMEOUT": "2",
}


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


# --- the SMTP server ------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: records accepted messages; can answer 4xx, 5xx, or hang."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.data_commands = 0
        self.rcpt_commands = 0
        self.mode = "accept"
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_commands += 1
        if self.mode == "reject":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address  # noqa: UP031
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_commands += 1
        if self.mode == "greylist":
            return "451 4.7.1 Greylisted, please try again later"
        if self.mode == "hang":
            await asyncio.sleep(4)
            return "451 4.4.2 Too late"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.messages.append(message)
        return "250 2.0.0 Ok: queued"

    def recipients(self) -> Counter:
        with self._lock:
            return Counter(message["To"] for message in self.messages)

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


# --- the clock, the data and the workers ----------------------------------------------------------


class Clock:
    """This process's travelled clock; the workers get the same offset from the real clock."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._traveller = None

    def set(self, at: dt.datetime) -> None:
        self.stop()
        self.offset = (at - dt.datetime.now(dt.UTC)).total_seconds()
        self._traveller = time_machine.travel(at, tick=True)
        self._traveller.start()

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


@pytest.fixture
def clock():
    clock = Clock()
    clock.set(NOW)
    yield clock
    clock.stop()


@pytest.fixture
def portal(transactional_db, clock):
    """The reference data (a transactional test empties the database after it) and the places used."""
    call_command("load_reference_data", verbosity=0)
    syddanmark = Council.objects.get(slug="syddanmark")
    return {
        "council": syddanmark,
        "odense": Municipality.objects.get(code=461),
        "period": ElectionPeriod.objects.get(name="2026-2029"),
    }


@pytest.fixture
def queue_name(monkeypatch):
    """A queue of this test's own, so tests (and parallel runs) never see each other's messages."""
    name = f"kkr-test-reminders-{uuid.uuid4().hex[:12]}"

    def publish(delivery_ids, *, countdown=None):
        for delivery_id in delivery_ids:
            tasks.send_delivery.apply_async((delivery_id,), countdown=countdown, queue=name)

    monkeypatch.setattr("reminders.services._queue", publish)
    yield name
    client = redis.Redis.from_url(redis_url())
    client.delete(name)
    client.close()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Celery worker processes for one test; each in a process group of its own, killed in teardown."""

    def __init__(self, tmp_path: Path, queue: str, smtp: Mailbox, clock: Clock) -> None:
        self.tmp_path = tmp_path
        self.queue = queue
        self.smtp = smtp
        self.clock = clock
        self.processes: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kkr_portal.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis_url(),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "SITE_URL": "https://kkr.example.dk",
            "KKR_CLOCK_OFFSET": str(self.clock.offset),
            **WORKER_SETTINGS,
        }
        env.update(extra)
        return env

    def start(self, *, concurrency: int = 1, **extra: str) -> subprocess.Popen:
        log = self.tmp_path / f"worker-{len(self.processes)}.log"
        command = [
            sys.executable,
            str(WORKER_AT),
            "-A",
            "kkr_portal",
            "worker",
            "-Q",
            self.queue,
            "-n",
            f"{self.queue}-{len(self.processes)}@%h",
            "-c",
            str(concurrency),
            "-P",
            "prefork",
            "-l",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(  # a fixed command line, no shell
                command,
                cwd=ROOT,
                env=self.env(**extra),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        wait_until(lambda: b" ready." in log.read_bytes() or process.poll() is not None, timeout=60, what="worker")
        if process.poll() is not None:
            pytest.fail(f"the worker exited:\n{log.read_text()[-3000:]}")
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool processes (its own process group), as a lost host would."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def kill_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                self.kill(process)


@pytest.fixture
def workers(portal, queue_name, smtp, clock, tmp_path):
    running = Workers(tmp_path, queue_name, smtp, clock)
    yield running
    running.kill_all()
    # The workers' database sessions end with them; ours to the test database too, before the flush.
    connections.close_all()


def plan_tick() -> None:
    """What beat does every few minutes, in this process (on this thread's own connection)."""
    tasks.plan_reminders()


def plan_ticks_at_once(count: int) -> None:
    """``count`` plan ticks at the same moment, each on its own thread and database connection."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=10)
            plan_tick()
        except BaseException as error:  # reported in the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def kkr_members(portal, count: int) -> list[Person]:
    return [kkr_member(portal["odense"], portal["period"], f"medlem{n:03}@example.dk").person for n in range(count)]


def due_meeting(portal, **fields) -> Meeting:
    """A meeting whose 7-day reminder came due a minute ago (its 1-day reminder is days away)."""
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=7) - dt.timedelta(minutes=1)
    return factories.MeetingFactory(
        council=portal["council"], starts_at=starts, ends_at=starts + dt.timedelta(hours=2), **fields
    )


def settled(*, count: int) -> Callable[[], bool]:
    return lambda: (
        Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 0 and (Delivery.objects.count() >= count)
    )


def assert_quiet(smtp: Mailbox, seconds: float = 2.0) -> None:
    """Nothing more arrives (the assertion that no duplicate is still on its way)."""
    before = smtp.count()
    time.sleep(seconds)
    assert smtp.count() == before


# --- 1. planning twice, in a row and at the same moment ---------------------------------------------


def test_planning_twice_in_a_row_sends_each_of_25_recipients_one_email(portal, workers, smtp):
    kkr_members(portal, 25)
    due_meeting(portal)
    workers.start()
    plan_tick()
    plan_tick()
    wait_until(lambda: smtp.count() >= 25, timeout=60, what="25 emails")
    assert_quiet(smtp)
    assert Delivery.objects.count() == 25
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert set(smtp.recipients().values()) == {1}
    assert len(smtp.recipients()) == 25


def test_planning_twice_at_the_same_moment_sends_each_of_25_recipients_one_email(portal, workers, smtp):
    kkr_members(portal, 25)
    due_meeting(portal)
    workers.start()
    workers.start()
    plan_ticks_at_once(2)
    plan_ticks_at_once(2)
    wait_until(lambda: smtp.count() >= 25, timeout=60, what="25 emails")
    assert_quiet(smtp)
    assert Delivery.objects.count() == 25
    assert set(smtp.recipients().values()) == {1}
    assert len(smtp.recipients()) == 25


# --- 2. one message delivered three times to two workers --------------------------------------------


def test_the_same_send_message_three_times_to_two_workers_sends_one_email(portal, workers, smtp, queue_name):
    kkr_members(portal, 1)
    due_meeting(portal)
    services.plan_deliveries()
    delivery = Delivery.objects.get()
    # Slow enough that the second worker takes a copy while the first holds the row.
    smtp.delay = 1.5
    workers.start()
    workers.start()
    for _ in range(3):
        tasks.send_delivery.apply_async((delivery.pk,), queue=queue_name)
    wait_until(lambda: smtp.count() >= 1, timeout=30, what="the email")
    assert_quiet(smtp, 4)
    assert smtp.count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)


# --- 3. a worker killed mid-batch ---------------------------------------------------------------------


def test_a_worker_killed_mid_batch_of_100_loses_nothing_and_duplicates_at_most_the_one_in_flight(
    portal, workers, smtp, settings
):
    """The bound: with one pool process, at most the one message in flight at the SIGKILL (SMTP
    accepted, commit not done) can arrive twice; it carries the same Message-ID both times."""
    kkr_members(portal, 100)
    due_meeting(portal)
    smtp.delay = 0.03
    first = workers.start()
    plan_tick()
    wait_until(lambda: smtp.count() >= 30, timeout=60, what="the first 30 emails")
    workers.kill(first)
    sent_before_restart = smtp.count()
    assert sent_before_restart < 100, "the batch finished before the kill; nothing was tested"
    # The killed worker's unacknowledged message waits for Redis' visibility timeout; the next
    # plan tick re-queues every pending row queued longer ago than REQUEUE_AFTER (the database is
    # the truth). Run it after the restart, as beat would.
    settings.REMINDERS_REQUEUE_AFTER = 1
    time.sleep(1.5)
    workers.start()
    plan_tick()
    wait_until(settled(count=100), timeout=120, what="all 100 deliveries settled")
    assert_quiet(smtp)
    recipients = smtp.recipients()
    assert len(recipients) == 100
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    duplicates = {address: n for address, n in recipients.items() if n > 1}
    assert len(duplicates) <= 1, duplicates
    assert all(n == 2 for n in duplicates.values())
    for address in duplicates:
        ids = {message["Message-ID"] for message in smtp.messages if message["To"] == address}
        assert len(ids) == 1


# --- 4. SMTP errors -------------------------------------------------------------------------------------


@pytest.fixture
def one_reminder(portal):
    kkr_members(portal, 1)
    due_meeting(portal)
    services.plan_deliveries()
    return Delivery.objects.get()


def failed(delivery: Delivery) -> Callable[[], bool]:
    return lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.FAILED


def test_a_greylisting_server_is_retried_with_backoff_then_the_delivery_fails_and_shows_in_the_admin(
    one_reminder, workers, smtp, client
):
    smtp.mode = "greylist"
    workers.start()
    plan_tick()
    wait_until(failed(one_reminder), timeout=60, what="the delivery to fail")
    one_reminder.refresh_from_db()
    assert one_reminder.attempts == 3
    assert smtp.data_commands == 3
    assert "451" in one_reminder.last_error
    assert "Greylisted" in one_reminder.last_error
    assert smtp.count() == 0
    admin = with_totp(factories.UserFactory(email="kl@example.dk", is_staff=True, is_superuser=True))
    client.force_login(admin)
    page = client.get(reverse("admin:reminders_delivery_changelist"), {"status__exact": "failed"})
    assert "Greylisted" in page.content.decode()
    assert one_reminder.email in page.content.decode()


def test_a_server_that_times_out_is_retried_then_the_delivery_fails(one_reminder, workers, smtp):
    smtp.mode = "hang"
    workers.start(EMAIL_TIMEOUT="1")
    plan_tick()
    wait_until(failed(one_reminder), timeout=60, what="the delivery to fail")
    one_reminder.refresh_from_db()
    assert one_reminder.attempts == 3
    assert "timed out" in one_reminder.last_error


def test_a_rejected_recipient_fails_at_once_without_retry(one_reminder, workers, smtp):
    smtp.mode = "reject"
    workers.start()
    plan_tick()
    wait_until(failed(one_reminder), timeout=30, what="the delivery to fail")
    assert_quiet(smtp)
    one_reminder.refresh_from_db()
    assert one_reminder.attempts == 1
    assert smtp.rcpt_commands == 1
    assert "550" in one_reminder.last_error


def test_a_retried_delivery_is_sent_once_the_server_accepts_again(one_reminder, workers, smtp):
    smtp.mode = "greylist"
    workers.start(REMINDERS_RETRY_BACKOFF="2")
    plan_tick()
    wait_until(lambda: smtp.data_commands >= 1, timeout=30, what="the first attempt")
    smtp.mode = "accept"
    wait_until(lambda: smtp.count() == 1, timeout=30, what="the email")
    assert_quiet(smtp)
    one_reminder.refresh_from_db()
    assert (one_reminder.status, one_reminder.attempts) == (Delivery.Status.SENT, 2)


# --- 5. stale occasions -----------------------------------------------------------------------------------


def test_nothing_is_sent_for_stale_occasions_and_a_moved_meeting_is_reminded_at_its_new_time(portal, workers, smtp):
    council, period = portal["council"], portal["period"]
    people = kkr_members(portal, 2)
    cancelled, moved = due_meeting(portal, title="Aflyses"), due_meeting(portal, title="Flyttes")
    # Left as it is: only the preference switch can keep its reminder from the second person.
    unchanged = due_meeting(portal, title="Uændret")
    SecretariatContact.objects.create(council=council, kind="kkr", unit="KKR-sekretariatet", email="sara@kl.dk")
    seat = factories.SeatFactory(forum=factories.ForumFactory(council=council), period=period)
    # 59 days ahead: its 60-day reminder is due (since yesterday morning) whatever the hour now.
    term_ends = (dt.datetime.now(COPENHAGEN) + dt.timedelta(days=59)).date()
    appointment = fora_services.propose(
        seat=seat, person=councillor(portal["odense"], period), starts_on=period.starts_on, term_ends_on=term_ends
    )
    appointment = fora_services.appoint(appointment=appointment, appointed_on=period.starts_on)
    services.plan_deliveries()
    planned = Delivery.objects.count()
    assert planned == 3 * 2 + 1
    # After planning: one meeting cancelled, one moved an hour earlier, the appointment ended,
    # and the second person turns meeting reminders off.
    member_services.cancel_meeting(meeting=cancelled)
    moved.starts_at -= dt.timedelta(hours=1)
    moved.ends_at -= dt.timedelta(hours=1)
    member_services.save_meeting(meeting=moved)
    fora_services.end(appointment=appointment, ended_on=timezone.localdate(), reason="resigned")
    services.set_reminder_preferences(person=people[1], wanted_kinds={"milestone", "term_end"})
    workers.start()
    plan_tick()
    wait_until(settled(count=planned + 1), timeout=60, what="every delivery settled")
    assert_quiet(smtp)
    assert dict(smtp.recipients()) == {people[0].email: 2}
    assert sorted("Flyttes" in message.as_string() for message in smtp.messages) == [False, True]
    sent = Delivery.objects.filter(status=Delivery.Status.SENT)
    assert set(sent.values_list("occasion_id", "occasion_at")) == {
        (moved.pk, moved.starts_at),
        (unchanged.pk, unchanged.starts_at),
    }
    assert set(sent.values_list("recipient", flat=True)) == {people[0].pk}
    skipped = Delivery.objects.filter(status=Delivery.Status.SKIPPED)
    # Cancelled (2), moved from its old time (2), the ended appointment (1), and the unchanged
    # meeting's reminder to the person who switched meeting reminders off (1).
    assert skipped.count() == planned - 1
    assert skipped.get(occasion_type="meeting", occasion_id=unchanged.pk).recipient == people[1]
    assert "fravalgt" in skipped.get(occasion_type="meeting", occasion_id=unchanged.pk).last_error


# --- 6. daylight saving ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "ticks_from"),
    [
        # Due 02:30 on 29 March, the hour the clocks skip: 01:30 UTC.
        (dt.datetime(2026, 3, 30, 2, 30, tzinfo=COPENHAGEN), dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC)),
        # Due 02:30 on 25 October, the hour that happens twice: 00:30 UTC (its first occurrence).
        (dt.datetime(2026, 10, 26, 2, 30, tzinfo=COPENHAGEN), dt.datetime(2026, 10, 24, 23, 0, tzinfo=dt.UTC)),
    ],
    ids=["spring", "autumn"],
)
def test_a_reminder_due_in_the_skipped_or_repeated_hour_is_sent_exactly_once(
    portal, workers, smtp, clock, start, ticks_from
):
    # Only the one-day reminder: the seven-day one, due since the meeting was created, is not the point.
    ReminderRule.objects.filter(kind=ReminderKind.MEETING, days_before=7).update(is_active=False)
    people = kkr_members(portal, 3)
    ends = start + dt.timedelta(hours=2)
    meeting = factories.MeetingFactory(council=portal["council"], starts_at=start, ends_at=ends)
    # The worker's clock stands four hours after the first tick, past the due time.
    clock.set(ticks_from + dt.timedelta(hours=4))
    workers.start()
    # Beat ticks every five minutes through the night of the change, in UTC.
    for n in range(48):
        with time_machine.travel(ticks_from + dt.timedelta(minutes=5 * n), tick=False):
            plan_tick()
    wait_until(settled(count=3), timeout=60, what="the three deliveries")
    assert_quiet(smtp)
    assert dict(smtp.recipients()) == {person.email: 1 for person in people}
    (due,) = set(Delivery.objects.filter(occasion_id=meeting.pk).values_list("due_at", flat=True))
    assert due == start.astimezone(dt.UTC) - dt.timedelta(hours=23 if start.month == 3 else 25)
