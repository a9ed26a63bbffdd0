"""The targets from issue 6, the PASS/FAIL verdicts, the table and docs/performance.md with its plot.

Results are plain dicts (JSON between the processes), keyed ``"<page>@<scale>"``:
``queries``, ``median_ms``, ``p95_ms``, ``rps``, ``ratio`` (to the bare view of the same run),
``inprocess_ms``, ``seconds`` (tasks), ``rate`` (messages/s), ``profile`` (text).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SCALES = ("denmark", "40x")
SCALE_LABELS = {"denmark": "Denmark", "40x": "40×", "1m": "1,000,000 people", "tiny": "tiny", "-": "—"}
SCALE_PEOPLE = {"denmark": 2_500, "40x": 100_000, "1m": 1_000_000}


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    scale: str
    min_ratio: float | None = None
    fixed_queries: bool = False
    max_inprocess_ms: float | None = None
    max_seconds: float | None = None
    min_rate: float | None = None
    # Cached: a change must be on the next served request (bench/scale.py fresh_after_change).
    fresh: bool = False

    @property
    def text(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f"≥ {self.min_ratio:.2f}× bare")
        if self.fixed_queries:
            parts.append("query count fixed")
        if self.max_inprocess_ms is not None:
            parts.append(f"in-process median ≤ {self.max_inprocess_ms:g} ms")
        if self.max_seconds is not None:
            parts.append(f"≤ {self.max_seconds:g} s")
        if self.min_rate is not None:
            parts.append(f"≥ {self.min_rate:g} messages/s")
        if self.fresh:
            parts.append("a change on the next request")
        return "; ".join(parts)


TARGETS = (
    Target("person", "Person page (roles, history)", "40x", min_ratio=0.30, fixed_queries=True),
    Target("council", "KKR page (members, fora, appointees)", "denmark", min_ratio=0.20),
    Target("search", "Blå Bog search, 50 results per page", "40x", min_ratio=0.15, max_inprocess_ms=15),
    Target("whole", "Whole printable Blå Bog of all five KKRs (warm)", "denmark", min_ratio=0.50, fresh=True),
    Target("names", "Name search (common, rare names, typos)", "1m", max_inprocess_ms=30),
    Target("admin", "Admin appointment change list, 100 per page", "40x", min_ratio=0.10, fixed_queries=True),
    Target("feed", "iCalendar feed of one KKR", "40x", min_ratio=0.20),
    Target("plan", "Reminder planning, 10,000 due deliveries", "-", max_seconds=2.0),
    Target("send", "Reminder sending to local SMTP, one worker", "-", min_rate=100.0),
)


# Measured like the pages but without a target: what every signed-in page costs at least (the
# bare view with a member's session: the session and the user, kkr_portal.auth), and the whole
# Blå Bog as served to a client that does not accept gzip.
REFERENCES = (
    ("signed", "bare Django view, signed in"),
    # The whole Blå Bog for a client that asks for no compression: 224 KB instead of 25 KB.
    ("whole-identity", "Whole printable Blå Bog, uncompressed (warm)"),
)


def key(page: str, scale: str) -> str:
    return f"{page}@{scale}"


def evaluate(target: Target, results: dict[str, dict]) -> tuple[str, list[str]]:
    """``("PASS" | "FAIL" | "MISSING", reasons)`` for one target against the measured results."""
    row = results.get(key(target.key, target.scale))
    if row is None:
        return "MISSING", ["not measured"]
    reasons = []
    if target.min_ratio is not None and not row.get("ratio", 0) >= target.min_ratio:
        reasons.append(f"ratio {row.get('ratio', 0):.3f}× < {target.min_ratio:.2f}×")
    if target.fixed_queries:
        counts = {
            results[key(target.key, scale)].get("queries") for scale in PAGE_SCALES if key(target.key, scale) in results
        }
        if len(counts) != 1 or None in counts:
            reasons.append(f"query count differs between scales: {sorted(c for c in counts if c is not None)}")
    if target.max_inprocess_ms is not None and not row.get("inprocess_ms", float("inf")) <= target.max_inprocess_ms:
        reasons.append(
            f"in-process median {row.get('inprocess_ms', float('nan')):.1f} ms > {target.max_inprocess_ms:g}"
        )
    if target.fresh and row.get("fresh") is not True:
        reasons.append("a change was not on the next request (stale cache)")
    if target.max_seconds is not None and not row.get("seconds", float("inf")) <= target.max_seconds:
        reasons.append(f"{row.get('seconds', float('nan')):.2f} s > {target.max_seconds:g} s")
    if target.min_rate is not None and not row.get("rate", 0) >= target.min_rate:
        reasons.append(f"{row.get('rate', 0):.0f}/s < {target.min_rate:g}/s")
    return ("FAIL" if reasons else "PASS"), reasons


def _fmt(value, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def _table_row(title: str, scale: str, row: dict, figure: str, text: str, verdict: str) -> list[str]:
    return [
        title,
        SCALE_LABELS.get(scale, scale),
        _fmt(row.get("queries"), "d"),
        _fmt(row.get("median_ms"), ".1f"),
        _fmt(row.get("p95_ms"), ".1f"),
        _fmt(row.get("rps"), ".0f"),
        _fmt(row.get("ratio"), ".3f"),
        _fmt(row.get("inprocess_ms"), ".1f"),
        figure,
        text,
        verdict,
    ]


def table_rows(results: dict[str, dict]) -> list[list[str]]:
    rows = []
    for target in TARGETS:
        verdict, _reasons = evaluate(target, results)
        scales = [target.scale] if target.scale in ("-", "1m") else list(PAGE_SCALES)
        for scale in scales:
            row = results.get(key(target.key, scale), {})
            measured = scale == target.scale
            rows.append(
                _table_row(
                    target.title,
                    scale,
                    row,
                    _task_figure(row),
                    target.text if measured else "",
                    verdict if measured else "",
                )
            )
    for page, title in REFERENCES:
        for scale in PAGE_SCALES:
            row = results.get(key(page, scale))
            if row is not None:
                rows.append(_table_row(title, scale, row, "—", "", ""))
    return rows


def _task_figure(row: dict) -> str:
    if "rate" in row:
        return f"{row['rate']:.0f} msg/s"
    if "seconds" in row:
        return f"{row['seconds']:.2f} s"
    return "—"


HEADERS = [
    "page or task",
    "scale",
    "SQL queries",
    "median ms",
    "p95 ms",
    "req/s",
    "× bare",
    "in-process ms",
    "task",
    "target",
    "result",
]


def text_table(results: dict[str, dict], bare: dict[str, dict]) -> str:
    rows = [HEADERS, *table_rows(results)]
    rows += [[f"bare Django view ({SCALE_LABELS[s]})", "", "", f"{b['median_ms']:.2f}", f"{b['p95_ms']:.2f}",
              f"{b['rps']:.0f}", "1.000", "", "", "", ""] for s, b in bare.items()]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, dict], bare: dict[str, dict]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    for scale, row in bare.items():
        lines.append(
            f"| bare Django view | {SCALE_LABELS[scale]} | 0 | {row['median_ms']:.2f} | {row['p95_ms']:.2f} "
            f"| {row['rps']:.0f} | 1.000 | — | — | | |"
        )
    return "\n".join(lines)


def markdown(results: dict[str, dict], bare: dict[str, dict], environment: dict[str, str], notes: list[str]) -> str:
    """docs/performance.md: environment, table, how it grows, and a profile for every FAIL."""
    out = [
        "# Performance",
        "",
        "Written by `make bench` (bench/run.py); do not edit by hand. Ratios to the bare Django view of",
        "the same run are the figures to compare: absolute times on a shared 2-core machine are noisy.",
        "",
        "## Environment",
        "",
        *[f"- {name}: {value}" for name, value in environment.items()],
        "",
        "## Results",
        "",
        markdown_table(results, bare),
        "",
        "Server times are Django's own time per request (the `Server-Timing` header of a bench-only",
        "middleware), under a bounded load from a Python client with keep-alive connections against",
        "gunicorn (4 sync workers, DEBUG off, persistent connections, whitenoise). SQL queries are",
        "counted in-process (`CaptureQueriesContext`).",
        "",
        "![Server time against scale](performance.png)",
        "",
        "## How the costs grow (Denmark → 40×)",
        "",
    ]
    for target in TARGETS:
        small, big = results.get(key(target.key, "denmark")), results.get(key(target.key, "40x"))
        if small and big and small.get("median_ms") and big.get("median_ms"):
            out.append(
                f"- {target.title}: {small['median_ms']:.1f} → {big['median_ms']:.1f} ms "
                f"(×{big['median_ms'] / small['median_ms']:.1f}); queries {small.get('queries')} → {big.get('queries')}"
            )
    out += ["", *notes]
    failed = [(target, evaluate(target, results)) for target in TARGETS]
    failed = [(target, reasons) for target, (verdict, reasons) in failed if verdict != "PASS"]
    if failed:
        out += ["", "## Where the time goes (targets not met)", ""]
        for target, reasons in failed:
            row = results.get(key(target.key, target.scale), {})
            out += [f"### {target.title} ({SCALE_LABELS.get(target.scale, target.scale)})", ""]
            out += [f"- {reason}" for reason in reasons]
            if row.get("split"):
                out.append(f"- {row['split']}")
            if row.get("profile"):
                out += ["", "```", row["profile"].rstrip(), "```"]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def plot(results: dict[str, dict], bare: dict[str, dict], path) -> None:
    """Median server time against the number of people, one line per page (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(11, 5))
    for target in TARGETS:
        rows = [(scale, results.get(key(target.key, scale))) for scale in (*PAGE_SCALES, "1m")]
        points = [(SCALE_PEOPLE[scale], row.get("median_ms") or row.get("inprocess_ms")) for scale, row in rows if row]
        points = [(x, y) for x, y in points if y]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=target.title)
    points = [(SCALE_PEOPLE[scale], row["median_ms"]) for scale, row in bare.items() if scale in SCALE_PEOPLE]
    if points:
        axes.plot(*zip(*points, strict=True), marker="x", linestyle="--", color="grey", label="bare Django view")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("people in the database")
    axes.set_ylabel("median server time (ms)")
    axes.set_title("KKR Portal: time against scale")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the lines, not over them
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
