"""One scale of the benchmark, in its own process (its own database): generate, measure, write JSON.

Started by bench/run.py as ``python -m bench.scale <scale> <json out> [--tasks] [--names N]``
with ``DATABASE_URL`` naming a migrated database that holds the reference data only.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gzip
import http.client
import io
import json
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import django

# Standard library only: importable before Django is set up.
from bench.load import ACCEPT_ENCODING, merged, paired

BASE_DIR = Path(__file__).resolve().parent.parent
NAME_QUERIES = (
    "jensen",  # common
    "anne",
    "søren nielsen",
    "mette hansen",
    "ægidius",  # rare
    "brøndum vinther",
    "grønbæk",
    "jnesen",  # typos
    "nielsne",
    "kirstne larsen",
)
SEARCH_QUERY = "jensen"
INPROCESS_RUNS = 15
PROFILE_RUNS = 5
# Bare view and page alternate this many times per page (bench.load.paired).
ROUNDS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(port: int, workers: int = 4):
    """The portal as production serves it, on 127.0.0.1; killed (its whole group) at the end."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv.
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "kkr_portal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=sync",
            "--log-level=warning",
            "--keep-alive=30",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited at start")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def timed_median(function, runs: int = INPROCESS_RUNS) -> float:
    function()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def profile_page(client, url: str, runs: int = PROFILE_RUNS) -> tuple[str, str]:
    """cProfile's top functions for a few requests, and how the time splits: SQL, templates, the rest."""
    from django.db import connection

    sql = [0.0]

    def timing(execute, sql_text, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            sql[0] += time.perf_counter() - started

    profiler = cProfile.Profile()
    with connection.execute_wrapper(timing):
        started = time.perf_counter()
        profiler.enable()
        for _ in range(runs):
            client.get(url)
        profiler.disable()
        total = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    template = max(
        (
            row[3]
            for func, row in stats.stats.items()
            if func[0].endswith(os.path.join("django", "template", "base.py")) and func[2] == "render"
        ),
        default=0.0,
    )
    # Two views: the portal's own functions by cumulative time (which part of the page), and
    # every function by its own time (what the machine actually does: SQL, ORM, templates).
    sections = []
    for title, order, restriction, count in (
        ("The portal's own code, by cumulative time", "cumulative", rf"^{BASE_DIR}/(?!\.venv)", 12),
        ("All functions, by own time", "tottime", "", 15),
    ):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(order).print_stats(*[part for part in (restriction, count) if part != ""])
        text = out.getvalue()
        text = text[text.find("ncalls") :] if "ncalls" in text else text
        text = text.replace(f"{BASE_DIR}/.venv/lib/python3.11/site-packages/", "").replace(f"{BASE_DIR}/", "")
        sections.append(f"{title} ({runs} request(s)):\n{text.rstrip()}")
    text = "\n\n".join(sections)
    per_request = 1000 / runs
    split = (
        f"in-process, per request: {total * per_request:.1f} ms in all, SQL {sql[0] * per_request:.1f} ms, "
        f"template rendering {template * per_request:.1f} ms (profiled, so slower than served)"
    )
    return text, split


def setup_users():
    """A signed-in member (the Blå Bog is for members) and a superuser with TOTP (the admin needs it)."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    member = users.create_user(username="bench-member", email="bench-member@bench.example")
    admin = users.create_superuser(username="bench-admin", email="bench-admin@bench.example", password=None)
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "BENCHBENCHBENCHBE"})
    # As the load client asks (a browser's Accept-Encoding): the in-process figures and profiles
    # are of the responses the load measures.
    member_client, admin_client = (
        Client(HTTP_ACCEPT_ENCODING=ACCEPT_ENCODING),
        Client(HTTP_ACCEPT_ENCODING=ACCEPT_ENCODING),
    )
    member_client.force_login(member)
    admin_client.force_login(admin)
    return member_client, admin_client


def busiest_person_slug() -> str:
    """The person with the most roles: the person page's worst case."""
    from django.db.models import Count

    from members.models import Person

    return (
        Person.objects.annotate(
            roles=Count("council_seats", distinct=True)
            + Count("memberships", distinct=True)
            + Count("appointments", distinct=True)
        )
        .order_by("-roles", "pk")
        .values_list("slug", flat=True)
        .first()
    )


def search_data(query: str) -> None:
    """What the Blå Bog search costs without its template: the page of people and their rows."""
    from django.core.paginator import Paginator
    from django.http import QueryDict

    from members.filters import PAGE_SIZE, DirectoryFilterSet, build_entries

    filterset = DirectoryFilterSet(QueryDict(f"q={query}"))
    criteria = filterset.criteria()
    page = Paginator(filterset.qs, PAGE_SIZE).page(1)
    build_entries(list(page.object_list), criteria)


def name_search(query: str) -> list:
    from members.models import Person
    from members.search import name_matches, search_words

    return list(Person.objects.filter(name_matches(search_words(query))).order_by("sort_name", "name")[:50])


def name_search_median() -> float:
    """Median over the mix of names: every query once per round, several rounds."""
    for query in NAME_QUERIES:
        name_search(query)
    times = []
    for _ in range(5):
        for query in NAME_QUERIES:
            started = time.perf_counter()
            name_search(query)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fetch(port: int, path: str, cookie: str) -> str:
    """One GET from the served portal (127.0.0.1 only), as a browser asks for it, as text."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": ACCEPT_ENCODING})
        response = connection.getresponse()
        body = response.read()
        return (gzip.decompress(body) if response.getheader("Content-Encoding") == "gzip" else body).decode()
    finally:
        connection.close()


def fresh_after_change(port: int, path: str, cookie: str) -> bool:
    """Caching must never show a stale Blå Bog: after a change, the next served page has it."""
    from django.utils import timezone

    from members.models import KKRMembership, Person

    person = Person.objects.get(pk=KKRMembership.objects.active_on(timezone.localdate()).values("person")[:1])
    fetch(port, path, cookie)  # warm, as under load
    renamed = f"{person.name} Ændret"
    Person.objects.filter(pk=person.pk).update(name=renamed)
    try:
        return renamed in fetch(port, path, cookie)
    finally:
        Person.objects.filter(pk=person.pk).update(name=person.name)


def measure_pages(scale: str, *, seconds: float, max_requests: int) -> tuple[dict, dict]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.urls import BARE_PATH

    cache.clear()
    member, admin = setup_users()
    pages = {
        "person": (member, f"/personer/{busiest_person_slug()}/"),
        "council": (member, "/kkr/syddanmark/"),
        "search": (member, f"/blaa-bog/?q={SEARCH_QUERY}"),
        "whole": (member, "/blaa-bog/udskriv/"),
        # No target: the same page for a client that asks for no compression.
        "whole-identity": (member, "/blaa-bog/udskriv/"),
        "admin": (admin, "/admin/fora/appointment/"),
        "feed": (member, "/moeder/kkr/syddanmark.ics"),
        # No target: the floor of every signed-in page (bench/report.py REFERENCES).
        "signed": (member, "/" + BARE_PATH),
    }
    if scale == "40x":
        # The whole Blå Bog's target is Denmark's; at 40x it is tens of thousands of rows per
        # request, which would take minutes of the run's 15 and say nothing new.
        del pages["whole"], pages["whole-identity"]
    results: dict[str, dict] = {}
    for page, (client, url) in pages.items():
        if page == "whole-identity":
            # The same work in-process as "whole" but for the compression, which is done once.
            results[page] = {"url": url, "queries": results["whole"]["queries"]}
            continue
        started = time.perf_counter()
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} in-process")
        slow = time.perf_counter() - started > 1.0
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        row = {"url": url, "queries": len(queries)}
        if page == "search":
            row["inprocess_ms"] = timed_median(lambda: search_data(SEARCH_QUERY))
        profile, split = profile_page(client, url, runs=1 if slow else PROFILE_RUNS)
        row.update(profile=profile, split=split)
        results[page] = row
        print(f"  {scale} {page}: {row['queries']} queries", flush=True)
    results["names"] = {"inprocess_ms": name_search_median()}

    port = free_port()
    # Every cookie the client holds, as a browser sends them: the session and the CSRF cookie the
    # pages set (without it every page with a form would make a new CSRF secret each time).
    cookies = {
        role: "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
        for role, client in (("member", member), ("admin", admin))
    }
    bares = []
    with gunicorn(port):
        for page, (client, url) in pages.items():
            cookie = cookies["admin" if client is admin else "member"]
            result = paired(
                port,
                url,
                "/" + BARE_PATH,
                cookie=cookie,
                rounds=ROUNDS,
                seconds=seconds,
                max_requests=max_requests,
                accept_encoding="identity" if page == "whole-identity" else ACCEPT_ENCODING,
            )
            bares.append(result.bare)
            results[page].update(
                median_ms=result.page.median_ms,
                p95_ms=result.page.p95_ms,
                rps=result.page.rps,
                ratio=result.ratio,
                errors=result.page.errors,
            )
            print(
                f"  {scale} {page}: {result.page.rps:.1f} req/s ({result.ratio:.3f}× the bare view's "
                f"{result.bare.rps:.0f}), median {result.page.median_ms:.1f} ms",
                flush=True,
            )
        bare_result = merged(bares)
        bare = {"median_ms": bare_result.median_ms, "p95_ms": bare_result.p95_ms, "rps": bare_result.rps}
        if "whole" in pages:
            results["whole"]["fresh"] = fresh_after_change(port, pages["whole"][1], cookies["member"])
            print(f"  {scale} whole: a change is on the next request: {results['whole']['fresh']}", flush=True)
    return results, bare


def measure_tasks(target_deliveries: int = 10_000, send_seconds: float = 5.0, send_max: int = 1_500) -> dict:
    """Reminder planning for ``target_deliveries`` due rows, then sending to a local SMTP sink."""
    from aiosmtpd.controller import Controller
    from django.test.utils import override_settings
    from django.utils import timezone

    from members.models import Council, KKRMembership, Meeting
    from reminders import emails, services
    from reminders.models import Delivery, ReminderRule

    now = timezone.now()
    rule = ReminderRule.objects.filter(kind="meeting", audience="members", is_active=True).order_by("days_before")
    rule = rule.filter(days_before=7).first() or rule.first()
    starts_at = now + dt.timedelta(days=rule.days_before) - dt.timedelta(hours=1)
    day = timezone.localdate(starts_at)
    per_council = {
        council.pk: KKRMembership.objects.filter(council=council).active_on(day).exclude(person__email="").count()
        for council in Council.objects.all()
    }
    meetings, planned = [], 0
    councils = [pk for pk, count in per_council.items() if count]
    while planned < target_deliveries:
        council_id = councils[len(meetings) % len(councils)]
        meetings.append(
            Meeting(
                council_id=council_id,
                title="Bench-møde",
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=2),
                status=Meeting.Status.PLANNED,
            )
        )
        planned += per_council[council_id]
    Meeting.objects.bulk_create(meetings)

    started = time.perf_counter()
    rows = services.plan_deliveries(now=now)
    plan_seconds = time.perf_counter() - started
    print(f"  planning: {rows} deliveries in {plan_seconds:.2f} s", flush=True)

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ids = list(Delivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)[:send_max])
        sent = 0
        # What a worker process does when it starts (reminders.tasks.warm_up), not per message.
        emails.warm_up()
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
        ):
            started = time.perf_counter()
            for delivery_id in ids:
                if services.send_delivery(delivery_id=delivery_id) == "sent":
                    sent += 1
                if time.perf_counter() - started > send_seconds:
                    break
            elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    print(f"  sending: {sent} in {elapsed:.2f} s", flush=True)
    return {
        "plan": {"seconds": plan_seconds, "deliveries": rows},
        "send": {"rate": sent / elapsed if elapsed else 0.0, "sent": sent},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scale")
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=10_000)
    parser.add_argument("--tasks", action="store_true")
    parser.add_argument("--names", type=int, default=0, help="only the name search, at this many people")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.utils import timezone

    from bench.generate import SCALES, copy_names, generate

    started = time.perf_counter()
    if args.names:
        copy_names(args.names)
        print(f"  {args.names:,} names written in {time.perf_counter() - started:.0f} s", flush=True)
        output = {"results": {"names": {"inprocess_ms": name_search_median()}}, "bare": None}
    else:
        counts = generate(SCALES[args.scale], today=timezone.localdate())
        print(f"  {args.scale}: generated {counts} in {time.perf_counter() - started:.0f} s", flush=True)
        results, bare = measure_pages(args.scale, seconds=args.seconds, max_requests=args.max_requests)
        if args.tasks:
            results.update(measure_tasks())
        output = {"results": results, "bare": bare, "counts": counts}
    Path(args.out).write_text(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()
