"""Start the Celery command with a clock that runs ``KKR_CLOCK_OFFSET`` seconds ahead of the real one.

Only for the real-worker tests: the test process travels in time by the same offset, so a
worker, the plan ticks and the assertions agree on "now" (inside the 2026-2029 period, or the
night of a daylight-saving change) whatever day the tests really run on. The worker's pool
processes are forked from this one and keep the travelled clock.
"""

from __future__ import annotations

import datetime as dt
import os

import time_machine

offset = dt.timedelta(seconds=float(os.environ["KKR_CLOCK_OFFSET"]))
time_machine.travel(dt.datetime.now(dt.UTC) + offset, tick=True).start()

from celery.__main__ import main  # noqa: E402 - the clock must travel before Celery starts.

main()
