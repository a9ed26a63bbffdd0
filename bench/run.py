"""``make bench``: build the data at each scale, measure every page and task, print the table and
write docs/performance.md with docs/performance.png.

Each scale runs in its own PostgreSQL database, cloned from a migrated template that holds the
reference data (``kkr_bench_template``), and in its own process (bench/scale.py). The databases
are throwaway: dropped and recreated at every run, dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django
import psycopg

from bench import report
from bench.scale import ROUNDS

BASE_DIR = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PREFIX = "kkr_bench_"
TEMPLATE = f"{PREFIX}template"
NAMES_AT = 1_000_000


def admin_sql(*statements: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def recreate(name: str, *, template: str | None = None) -> str:
    """Drop and create database ``name`` (a copy of ``template`` if given); returns its URL."""
    assert name.startswith(PREFIX)  # noqa: S101 - never anything but the bench's own databases.
    clone = f" TEMPLATE {template}" if template else ""
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}{clone}")
    return f"{SERVER}/{name}"


def run(args: list[str], database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, check=True)  # noqa: S603


def environment() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = f"{models[0]} ({len(models)} cores)" if models else cpu
    with psycopg.connect(f"{SERVER}/postgres") as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True).stdout.strip()  # noqa: S603, S607

    commit = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Git commit": commit,
        "CPU": cpu,
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "PostgreSQL": postgres,
        "Server": "gunicorn, 4 sync workers, DEBUG off, CONN_MAX_AGE=600, whitenoise; client: 8 keep-alive threads",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="denmark,40x")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per page, at most")
    parser.add_argument("--max-requests", type=int, default=10_000, help="requests per page, at most")
    parser.add_argument("--names", type=int, default=NAMES_AT, help="people for the name search (0: skip)")
    parser.add_argument("--docs", default=str(BASE_DIR / "docs"), help="where performance.md/.png go")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    scales = [scale for scale in args.scales.split(",") if scale]
    databases = [TEMPLATE]
    results: dict[str, dict] = {}
    bare: dict[str, dict] = {}
    try:
        print("Template database: migrate and load the reference data", flush=True)
        template_url = recreate(TEMPLATE)
        run(["manage.py", "migrate", "--no-input", "--verbosity", "0"], template_url)
        run(["manage.py", "load_reference_data"], template_url)
        run(["manage.py", "collectstatic", "--no-input", "--verbosity", "0"], template_url)
        with tempfile.TemporaryDirectory() as scratch:
            for scale in scales:
                name = f"{PREFIX}{scale.replace('x', 'x')}"
                databases.append(name)
                print(f"Scale {scale}", flush=True)
                out = Path(scratch) / f"{scale}.json"
                extra = ["--tasks"] if scale == scales[-1] else []
                run(
                    ["-m", "bench.scale", scale, str(out), "--seconds", str(args.seconds),
                     "--max-requests", str(args.max_requests), *extra],
                    recreate(name, template=TEMPLATE),
                )  # fmt: skip
                data = json.loads(out.read_text())
                bare[scale] = data["bare"]
                for page, row in data["results"].items():
                    scale_key = "-" if page in ("plan", "send") else scale
                    results[report.key(page, scale_key)] = row
            if args.names:
                name = f"{PREFIX}1m"
                databases.append(name)
                print(f"Name search at {args.names:,} people", flush=True)
                out = Path(scratch) / "names.json"
                run(
                    ["-m", "bench.scale", "1m", str(out), "--names", str(args.names)], recreate(name, template=TEMPLATE)
                )
                results[report.key("names", "1m")] = json.loads(out.read_text())["results"]["names"]
    finally:
        if not args.keep:
            for name in databases:
                admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    print()
    print(report.text_table(results, bare))
    elapsed = time.monotonic() - started
    notes = [
        f"The whole run took {elapsed / 60:.1f} minutes; the machine's load average was "
        f"{load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end (2 cores, shared).",
        "",
        "Notes on reading the table:",
        "",
        "- The load client is Python (threads, keep-alive) on the same two cores, so its own cost is in",
        "  every figure: the ratios of fast pages are therefore optimistic; those of slow pages (where",
        "  the server is the bottleneck) are not affected.",
        f"- Each page is loaded in {ROUNDS} rounds, each right after a round of the bare view, and its",
        f"  ratio is the median of the {ROUNDS} rounds' ratios: this machine's speed drifts by tens of per",
        "  cent from one minute to the next, and a bare view measured once would carry its minute's",
        "  speed into every ratio. The bare view's row is all its rounds together. The client sends",
        "  what a browser sends: the session and the CSRF cookie the pages set (without it every page",
        "  with a form would make a new CSRF secret each time) and `Accept-Encoding: gzip, deflate, br,",
        "  zstd` (Chromium's and Firefox's).",
        "- The whole Blå Bog is its print page (`/blaa-bog/udskriv/`: everyone with a role in a KKR or",
        "  a forum today, grouped by KKR), cached whole as bytes and as gzip (`pagecache.cached_page`,",
        "  `kkr_portal.compression`): the request's CSRF token and path go into slots per request,",
        "  uncompressed between the pieces compressed once, so a browser gets 25 KB instead of 224 KB",
        "  and no response is compressed per request. »uncompressed« is the same page for a client",
        "  that asks for no compression. After the load the benchmark renames a person in the database",
        "  and checks the next served page (gzip, inflated) has the new name (a FAIL otherwise).",
        "- Every page's CSRF token is masked with one `os.urandom` call (`kkr_portal.csrf`: Django's",
        "  format and checks, 5 us) instead of Django's 32 `secrets.choice` calls (50 us).",
        "- Pages are cached per data version, day, language and audience: the person, KKR, Blå Bog and",
        "  feed figures are warm (the same URL under load); the in-process figures are the uncached work.",
        "- Every page is loaded signed in as a member; the bare view is anonymous. »bare Django view,",
        "  signed in« is the same view with the member's session: the floor of every signed-in page",
        "  (one query for the session with the data and user versions, `kkr_portal.sessions`; the user",
        "  row itself is the process's copy while the user table is unchanged, `kkr_portal.auth`).",
        "- Queries are prepared by PostgreSQL from their fifth use on a connection (server-side",
        "  binding, `kkr_portal/settings.py`): the in-process figures are of planned-once queries.",
        "- The Blå Bog search's in-process figure is the data part alone (the filtered page of 50 people",
        "  and their roles, `members.filters`), without the template; the name search at a million is",
        "  `search_name__contains` per word, first 50 by sort name, over common names, rare names and",
        "  typos.",
        "- Reminder planning is timed for 10,000 due deliveries (meetings a week ahead of KKRs with",
        "  their members as recipients); sending runs `send_delivery` one by one against a local",
        "  aiosmtpd sink for at most 5 seconds, after the worker's start-up warm-up",
        "  (`reminders.tasks.warm_up`: the URLconf and the templates).",
    ]
    (docs / "performance.md").write_text(report.markdown(results, bare, environment(), notes))
    report.plot(results, bare, docs / "performance.png")
    verdicts = [report.evaluate(target, results)[0] for target in report.TARGETS]
    print(f"\n{verdicts.count('PASS')} of {len(verdicts)} targets met; see {docs / 'performance.md'}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.exit(main())
