"""The benchmark harness itself (bench/): its data generator and its verdicts, not the timings.

Performance targets belong to ``make bench``; these tests check that the harness builds data the
pages can use and that a missed target says FAIL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bench import load as bench_load
from bench import report
from bench.generate import SCALES, generate
from bench.load import LoadResult, percentile
from fora.models import Appointment
from members.models import KKRMembership, Person
from members.search import fold

TODAY = dt.date(2026, 11, 23)


def passing_results() -> dict[str, dict]:
    """Results that meet every target."""
    page = {"queries": 7, "median_ms": 5.0, "p95_ms": 9.0, "rps": 500.0, "ratio": 0.9, "inprocess_ms": 3.0}
    results = {report.key(target.key, scale): dict(page) for target in report.TARGETS for scale in report.PAGE_SCALES}
    results[report.key("names", "1m")] = {"inprocess_ms": 4.0}
    results[report.key("whole", "denmark")]["fresh"] = True
    results[report.key("plan", "-")] = {"seconds": 0.5}
    results[report.key("send", "-")] = {"rate": 300.0}
    return results


def target(key: str) -> report.Target:
    return next(t for t in report.TARGETS if t.key == key)


def test_every_target_passes_when_every_figure_meets_it():
    results = passing_results()
    assert {report.evaluate(t, results)[0] for t in report.TARGETS} == {"PASS"}


def test_a_ratio_below_the_target_fails():
    results = passing_results()
    results[report.key("council", "denmark")]["ratio"] = 0.19
    verdict, reasons = report.evaluate(target("council"), results)
    assert verdict == "FAIL"
    assert "0.190" in reasons[0]


def test_a_query_count_that_grows_with_the_data_fails():
    results = passing_results()
    results[report.key("admin", "40x")]["queries"] = 8
    assert report.evaluate(target("admin"), results)[0] == "FAIL"
    # The person page has no such rule broken: its counts are equal.
    assert report.evaluate(target("person"), results)[0] == "PASS"


def test_slow_tasks_and_slow_in_process_searches_fail():
    results = passing_results()
    results[report.key("plan", "-")]["seconds"] = 2.5
    results[report.key("send", "-")]["rate"] = 99.0
    results[report.key("names", "1m")]["inprocess_ms"] = 31.0
    assert [report.evaluate(target(k), results)[0] for k in ("plan", "send", "names")] == ["FAIL"] * 3


def test_a_cached_page_that_stays_stale_after_a_change_fails_however_fast():
    results = passing_results()
    results[report.key("whole", "denmark")]["fresh"] = False
    verdict, reasons = report.evaluate(target("whole"), results)
    assert verdict == "FAIL"
    assert "stale" in reasons[0]


def test_a_target_never_measured_is_missing_not_passed():
    results = passing_results()
    del results[report.key("feed", "40x")]
    assert report.evaluate(target("feed"), results)[0] == "MISSING"


def test_the_table_and_the_report_say_pass_and_fail_and_profile_the_failure(tmp_path):
    results = passing_results()
    results[report.key("search", "40x")].update(ratio=0.01, profile="ncalls tottime ... render", split="SQL 1 ms")
    bare = {"denmark": {"median_ms": 0.5, "p95_ms": 1.0, "rps": 1000.0}}
    table = report.text_table(results, bare)
    assert "FAIL" in table
    assert "PASS" in table
    document = report.markdown(results, bare, {"Python": "3.11"}, ["note"])
    assert "## Where the time goes" in document
    assert "ncalls tottime ... render" in document
    assert "- Python: 3.11" in document
    report.plot(results, bare, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes().startswith(b"\x89PNG")


def test_the_signed_in_floor_is_a_row_of_its_own_without_a_verdict():
    results = passing_results()
    results[report.key("signed", "denmark")] = {
        "queries": 2,
        "median_ms": 1.0,
        "p95_ms": 2.0,
        "rps": 500.0,
        "ratio": 0.5,
    }

    rows = [row for row in report.table_rows(results) if row[0] == "bare Django view, signed in"]

    assert [row[1] for row in rows] == ["Denmark"]
    assert rows[0][6] == "0.500"
    assert rows[0][-1] == ""  # no target, no PASS or FAIL
    assert {report.evaluate(t, results)[0] for t in report.TARGETS} == {"PASS"}


def test_percentile_is_the_nearest_rank():
    assert percentile([], 0.95) == 0.0
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([3.0], 0.5) == 3.0


def fake_load(rates: dict[str, list[float]]):
    """bench.load.load, answering each path with the next of its request rates (1 s, 2 ms each)."""
    calls: list[str] = []

    def load(port, path, *, cookie="", seconds, max_requests, accept_encoding=bench_load.ACCEPT_ENCODING):
        calls.append(path)
        load.encodings.append((path, accept_encoding))
        rps = rates[path].pop(0)
        return LoadResult(
            requests=int(rps), errors=0, seconds=1.0, median_ms=2.0, p95_ms=3.0, durations=(2.0,) * int(rps)
        )

    load.encodings = []
    return load, calls


def test_a_page_is_compared_with_the_bare_view_of_its_own_round(monkeypatch):
    # The machine slows down twofold after the first round: each round's ratio is still 0.5.
    load, calls = fake_load({"/bare/": [2000, 1000, 1000], "/page/": [1000, 500, 500]})
    monkeypatch.setattr(bench_load, "load", load)

    result = bench_load.paired(1, "/page/", "/bare/", cookie="", rounds=3, seconds=3, max_requests=300)

    assert calls == ["/bare/", "/page/"] * 3
    assert result.ratio == pytest.approx(0.5)
    assert result.page.rps == pytest.approx(2000 / 3)
    assert result.bare.requests == 4000


def test_pages_are_asked_for_as_a_browser_asks_unless_told_otherwise(monkeypatch):
    load, _ = fake_load({"/bare/": [2000] * 4, "/page/": [1000] * 4})
    monkeypatch.setattr(bench_load, "load", load)

    bench_load.paired(1, "/page/", "/bare/", cookie="", rounds=2, seconds=2, max_requests=200)
    bench_load.paired(
        1, "/page/", "/bare/", cookie="", rounds=2, seconds=2, max_requests=200, accept_encoding="identity"
    )

    assert "gzip" in bench_load.ACCEPT_ENCODING
    browser, identity = load.encodings[:4], load.encodings[4:]
    assert browser == [("/bare/", bench_load.ACCEPT_ENCODING), ("/page/", bench_load.ACCEPT_ENCODING)] * 2
    assert identity == [("/bare/", bench_load.ACCEPT_ENCODING), ("/page/", "identity")] * 2


def test_the_ratio_is_the_median_round_so_one_disturbed_round_does_not_decide_it(monkeypatch):
    load, _ = fake_load({"/bare/": [2000, 2000, 2000], "/page/": [1000, 200, 1100]})
    monkeypatch.setattr(bench_load, "load", load)

    result = bench_load.paired(1, "/page/", "/bare/", cookie="", rounds=3, seconds=3, max_requests=300)

    assert result.ratio == pytest.approx(0.5)


def test_merged_loads_keep_every_server_time():
    fast = LoadResult(requests=3, errors=0, seconds=1.0, median_ms=1.0, p95_ms=1.0, durations=(1.0, 1.0, 1.0))
    slow = LoadResult(requests=2, errors=1, seconds=1.0, median_ms=9.0, p95_ms=9.0, durations=(9.0, 9.0))

    both = bench_load.merged([fast, slow])

    assert (both.requests, both.errors, both.rps, both.median_ms, both.p95_ms) == (5, 1, 2.5, 1.0, 9.0)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_generator_fills_what_the_pages_need_at_a_tiny_scale():
    counts = generate(SCALES["tiny"], today=TODAY)

    assert counts["person"] == SCALES["tiny"].people
    assert counts["appointment"] == SCALES["tiny"].appointments
    # COPY bypasses Person.save(): the generator folds the names itself.
    person = Person.objects.order_by("?").first()
    assert person.search_name == fold(person.name)
    assert Person.objects.filter(search_name="").count() == 0
    # Every KKR has a current chair, ex officio members with their substitutes, and appointees.
    current = KKRMembership.objects.active_on(TODAY)
    assert current.filter(basis="ex_officio", role="substitute").exists()
    assert Appointment.objects.filter(status="appointed").exists()
    # The pages the benchmark loads answer with the generated data.
    client = Client()
    client.force_login(Person.objects.first().user or _member())
    assert client.get(f"/personer/{person.slug}/").status_code == 200
    assert client.get("/kkr/syddanmark/").status_code == 200
    assert client.get("/blaa-bog/?q=jensen").status_code == 200


def _member():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="bench", email="bench@example.org")
