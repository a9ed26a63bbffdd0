"""Bench-only: the time each request spent in Django, sent back in a ``Server-Timing`` header."""

from __future__ import annotations

import time


class ServerTiming:
    """First in the middleware list (bench/settings.py), so it times everything Django does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
        return response
