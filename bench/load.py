"""A small HTTP load client: threads with keep-alive connections to 127.0.0.1 only.

Each page is loaded for at most ``seconds`` and at most ``max_requests`` requests, whichever
comes first. Server time is read from the ``Server-Timing`` header (bench/middleware.py): it is
the time Django spent, without the client's own cost, which on a shared 2-core machine would
otherwise dominate.
"""

from __future__ import annotations

import http.client
import math
import re
import statistics
import threading
import time
from dataclasses import dataclass

HOST = "127.0.0.1"
# What Chromium and Firefox send (the bare view ignores it).
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
_DURATION = re.compile(r"dur=([0-9.]+)")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    median_ms: float
    p95_ms: float
    durations: tuple[float, ...] = ()

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def merged(results: list[LoadResult]) -> LoadResult:
    """Several loads of one page as one: requests over the seconds they took, all server times."""
    durations = tuple(duration for result in results for duration in result.durations)
    return LoadResult(
        requests=sum(result.requests for result in results),
        errors=sum(result.errors for result in results),
        seconds=sum(result.seconds for result in results),
        median_ms=statistics.median(durations) if durations else 0.0,
        p95_ms=percentile(list(durations), 0.95),
        durations=durations,
    )


@dataclass(frozen=True)
class Paired:
    page: LoadResult
    bare: LoadResult
    # The median over the rounds of the page's requests per second to the bare view's in the
    # same round: the machine's speed drifts by tens of per cent between minutes, a ratio to a
    # bare view measured once at the start would carry that drift into every page.
    ratio: float


def paired(
    port: int,
    path: str,
    bare_path: str,
    *,
    cookie: str,
    rounds: int,
    seconds: float,
    max_requests: int,
    accept_encoding: str = ACCEPT_ENCODING,
) -> Paired:
    """``rounds`` times: the bare view, then the page, each for ``seconds / rounds`` at most."""
    pages: list[LoadResult] = []
    bares: list[LoadResult] = []
    share, budget = seconds / rounds, max(1, max_requests // rounds)
    for _ in range(rounds):
        bares.append(load(port, bare_path, seconds=share, max_requests=budget * 4))
        pages.append(
            load(port, path, cookie=cookie, seconds=share, max_requests=budget, accept_encoding=accept_encoding)
        )
    ratios = [page.rps / bare.rps for page, bare in zip(pages, bares, strict=True) if bare.rps]
    return Paired(page=merged(pages), bare=merged(bares), ratio=statistics.median(ratios) if ratios else 0.0)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def load(
    port: int,
    path: str,
    *,
    cookie: str = "",
    seconds: float = 5.0,
    max_requests: int = 5_000,
    concurrency: int = 8,
    warmup: int = 8,
    accept_encoding: str = ACCEPT_ENCODING,
) -> LoadResult:
    """GET ``path`` from ``concurrency`` threads until the time or the request budget is used up."""
    # As a browser asks: pages cached whole are served gzipped (kkr_portal.compression).
    headers = {"Host": "127.0.0.1", "Connection": "keep-alive", "Accept-Encoding": accept_encoding}
    if cookie:
        headers["Cookie"] = cookie
    lock = threading.Lock()
    budget = [max_requests]
    durations: list[float] = []
    errors = [0]

    def one(connection: http.client.HTTPConnection) -> float | None:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            return None
        match = _DURATION.search(response.getheader("Server-Timing", ""))
        return float(match.group(1)) if match else None

    # Warm every worker's caches (templates, translations, connections) before measuring.
    # A slow page stops warming after a couple of seconds: the load itself is bounded too.
    warm = http.client.HTTPConnection(HOST, port, timeout=120)
    warm_until = time.monotonic() + 2.0
    for _ in range(warmup):
        if one(warm) is None:
            raise RuntimeError(f"GET {path} did not answer 200")
        if time.monotonic() > warm_until:
            break
    warm.close()

    deadline = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            try:
                duration = one(connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                duration = None
            if duration is None:
                failed += 1
            else:
                mine.append(duration)
        connection.close()
        with lock:
            durations.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return LoadResult(
        requests=len(durations),
        errors=errors[0],
        seconds=elapsed,
        median_ms=statistics.median(durations) if durations else 0.0,
        p95_ms=percentile(durations, 0.95),
        durations=tuple(durations),
    )
