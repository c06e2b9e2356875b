"""`make bench`: every benchmark in one run, then docs/performance.md from its figures.

Targets mean something only beside what the machine itself can do, so every figure is written
next to a floor or ceiling measured in the same run (a static file of the same size from the
same server, a bare indexed query, a plain `bulk_create`, the naive `icontains` scan), with the
machine, the date and how to reproduce it.

Steps, each in child processes (a benchmark never measures its own leftovers):

1. PostgreSQL: a scratch database (BENCH_DATABASE_URL, dropped and created anew), migrated,
   filled by `manage.py generate_archive --excerpts BENCH_EXCERPTS` (timed, peak memory);
2. bench/pages.py on it: public pages, search, admin, sitemaps, feeds, downloads, load;
3. bench/archive.py: backup and restore of that archive;
4. bench/import.py: the excerpt import beside its bulk_create floor (a database of its own);
5. SQLite: a generated archive of BENCH_SQLITE_EXCERPTS in a temporary file, bench/pages.py;
6. docs/performance.md, each target PASS or MISS, with the evidence of every MISS.

Environment: BENCH_EXCERPTS (200000; 5000 for a quick run), BENCH_SQLITE_EXCERPTS (at most
50000), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/astana_bench), BENCH_CACHE_URL
(redis://127.0.0.1:6379/13, its database flushed; without Redis, the database cache table that
production uses without one), BENCH_RESULTS (/tmp/astana-bench: the JSON figures), BENCH_STEPS
(e.g. "pg,archive,import,sqlite"). `python bench/run.py --render` writes the report again from
the saved figures, with any part measured again since by `bench/pages.py OUT --only PART`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import ROOT, production_env

PYTHON = sys.executable
TARGET_N = 200_000
PUBLIC_MS, SEARCH_P95_MS, ADMIN_MS, SEARCH_RATIO = 50, 30, 150, 20
STREAM_TTFB_MS, STREAM_GROWTH_MB, SITEMAP_URLS = 1000, 64, 50_000
BACKUP_SECONDS, BACKUP_PEAK_MB, IMPORT_SHARE = 120, 512, 0.5


def settings() -> dict:
    n = int(os.environ.get("BENCH_EXCERPTS", TARGET_N))
    return {
        "excerpts": n,
        "sqlite_excerpts": int(os.environ.get("BENCH_SQLITE_EXCERPTS", min(n, 50_000))),
        "database_url": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/astana_bench"
        ),
        "cache_url": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
        "results": Path(os.environ.get("BENCH_RESULTS", "/tmp/astana-bench")),
        "steps": os.environ.get("BENCH_STEPS", "pg,archive,import,sqlite").split(","),
        "quick": n < TARGET_N,
    }


# --- running -----------------------------------------------------------------------------------


def timed_child(args: list[str], env: dict[str, str], log: Path) -> dict:
    """Run a child, its output into `log`; its seconds, its own peak memory, its exit code."""
    start = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(child.pid, 0)
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": usage.ru_maxrss / 1024,
        "returncode": os.waitstatus_to_exitcode(status),
        "log": str(log),
    }


def recreate_postgres(url: str) -> None:
    import psycopg

    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def cache_url(config: dict) -> str:
    """Redis if it answers (its database emptied), else the database cache table."""
    url = config["cache_url"]
    if url.startswith("redis"):
        try:
            import redis

            redis.Redis.from_url(url).flushdb()
            return url
        except Exception as error:
            print(f"Redis at {url} does not answer ({error}): the database cache table instead")
            return "dbcache://astana_cache"
    return url


def generate(database_url: str, n: int, config: dict, name: str) -> dict:
    """A migrated database holding a generated archive of `n` excerpts."""
    results = config["results"]
    env = production_env(database_url, results / "static", config["cache"])
    for step in (["migrate", "--noinput"], ["createcachetable"]):
        subprocess.run([PYTHON, "manage.py", *step, "-v0"], cwd=ROOT, env=env, check=True)
    print(f"{name}: generating {n:,} excerpts", flush=True)
    figures = timed_child(
        [PYTHON, "manage.py", "generate_archive", "--excerpts", str(n)],
        env,
        results / f"generate-{name}.log",
    )
    figures["output"] = Path(figures["log"]).read_text()
    figures["excerpts"] = n
    print(f"{name}: generated in {figures['seconds']:.0f} s", flush=True)
    return figures


def pages(database_url: str, config: dict, name: str) -> dict:
    out = config["results"] / f"pages-{name}.json"
    args = [PYTHON, "bench/pages.py", str(out), "--database-url", database_url]
    args += ["--cache-url", config["cache"]]
    if config["quick"]:
        args += ["--reps", "10", "--budget", "10", "--duration", "10"]
    env = {**os.environ, "DATABASE_URL": database_url}
    print(f"{name}: pages", flush=True)
    figures = timed_child(args, env, config["results"] / f"pages-{name}.log")
    if out.exists():
        figures.update(json.loads(out.read_text()))
    return figures


def machine() -> dict:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    try:
        postgres = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        postgres = "?"
    import django

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return {
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": int(memory.group(1)) / 2**20 if memory else 0,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "sqlite": sqlite3.sqlite_version,
        "commit": commit,
        "modified_files": len(dirty),
    }


def run(config: dict) -> None:
    results = config["results"]
    results.mkdir(parents=True, exist_ok=True)
    config["cache"] = cache_url(config)
    saved = results / "figures.json"
    figures = json.loads(saved.read_text()) if saved.exists() else {}
    figures["machine"] = machine()
    figures["config"] = {k: str(v) for k, v in config.items()}
    figures["started"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures["load_before"] = os.getloadavg()
    pg = config["database_url"]

    def save() -> None:
        saved.write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str))

    if "pg" in config["steps"]:
        recreate_postgres(pg)
        figures["pg_generate"] = generate(pg, config["excerpts"], config, "postgresql")
        save()
        figures["pg_pages"] = pages(pg, config, "postgresql")
        save()
    if "archive" in config["steps"]:
        out = results / "archive.json"
        print("backup and restore", flush=True)
        env = production_env(pg, results / "static", config["cache"])
        figures["archive"] = timed_child(
            [PYTHON, "bench/archive.py", "--json", str(out)], env, results / "archive.log"
        )
        if out.exists():
            figures["archive"].update(json.loads(out.read_text()))
        save()
    if "import" in config["steps"]:
        rows = min(config["excerpts"], 100_000)
        out = results / "import.json"
        print(f"import of {rows:,} rows", flush=True)
        env = production_env(pg + "_import", results / "static", config["cache"])
        figures["import"] = timed_child(
            [PYTHON, "bench/import.py", str(rows), "--json", str(out)], env, results / "import.log"
        )
        if out.exists():
            figures["import"].update(json.loads(out.read_text()))
        save()
    if "sqlite" in config["steps"]:
        path = results / "bench.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        figures["sqlite_generate"] = generate(url, config["sqlite_excerpts"], config, "sqlite")
        save()
        figures["sqlite_pages"] = pages(url, config, "sqlite")
        save()
    figures["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures["load_after"] = os.getloadavg()
    save()
    shutil.rmtree(results / "static", ignore_errors=True)


# --- the report ---------------------------------------------------------------------------------


TARGETS = [
    f"- public: every public page uncached under {PUBLIC_MS} ms median; cached within twice "
    "the time of a static file of the same size from the same server (half its speed);",
    f"- search: {SEARCH_P95_MS} ms at the 95th percentile, uncached, and at least "
    f"{SEARCH_RATIO}× faster than the naive icontains scan of the same page (deep pages too);",
    f"- admin: the excerpt list under {ADMIN_MS} ms median (default, filtered, searched, sorted);",
    f"- downloads: streamed (first byte under {STREAM_TTFB_MS} ms, complete) with the worker "
    f"growing by less than {STREAM_GROWTH_MB} MB, so memory stays flat in N;",
    f"- sitemaps: an index of pages of at most {SITEMAP_URLS:,} URLs;",
    f"- backup and restore: each under {BACKUP_SECONDS} s with peak memory under "
    f"{BACKUP_PEAK_MB} MB;",
    f"- import: at least {IMPORT_SHARE} × the rows/s of a plain bulk_create of the same rows.",
]


PLANS = 15  # pages whose plan the evidence shows


def condense(sql: str, limit: int = 1500) -> str:
    """A statement as a reader needs it: long select lists (and a server-side cursor's
    declaration) shortened to "…", the rest kept up to `limit` characters."""
    sql = re.sub(r"^DECLARE \S+ NO SCROLL CURSOR WITH HOLD FOR ", "", sql)

    def shorten(match: re.Match) -> str:
        columns = match.group(2)
        return match.group(0) if len(columns) < 200 else f"SELECT {match.group(1) or ''}… FROM "

    sql = re.sub(r"SELECT (DISTINCT )?((?:(?!SELECT ).)*?) FROM ", shorten, sql, flags=re.S)
    sql = unfold(sql)
    return sql if len(sql) <= limit else sql[:limit] + f" … ({len(sql):,} characters)"


# The normaliser as PostgreSQL runs it: lower(translate(x, '<80 characters>', '<80 more>')).
FOLD_SQL = re.compile(
    r"lower\(translate\(((?:[^,()]|\([^()]*\))+?), '[^']*'::text, '(?:[^']|'')*'::text\)\)"
)


def unfold(text: str) -> str:
    """Plans and statements with the normaliser's translate() written as astana_fold()."""
    return FOLD_SQL.sub(r"astana_fold(\1)", text)


def ms(value) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**PASS**" if ok else "**MISS**")


def static_ceiling(run: dict, size: int | None) -> float | None:
    return run.get("static", {}).get(str(size), {}).get("median")


class Report:
    def __init__(self, figures: dict) -> None:
        self.f = figures
        self.lines: list[str] = []
        self.targets: list[tuple[str, str, str, bool | None]] = []
        self.misses: list[dict] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.add("| " + " | ".join(str(c) for c in row) + " |")
        self.add("")

    # -- sections --

    def pages_section(self, run: dict, title: str, judge: bool) -> None:
        self.add(f"### {title}: public pages and feeds", "")
        self.add(
            "Uncached: the page's entry removed from the page cache before each request (the "
            "rest warm). Cached: served from the page cache (Redis), feeds included. Ceiling: "
            "a static file of the same size from the same server (WhiteNoise). Queries: "
            "counted in process for one uncached request.",
            "",
        )
        rows = []
        for page in run.get("pages", []):
            r = page["results"]
            un, ca = r.get("uncached", {}), r.get("cached", {})
            ceiling = static_ceiling(run, r.get("static_size"))
            d = r.get("diagnosis", {})
            ok_un = bool(un.get("n")) and un["median"] < PUBLIC_MS
            ok_ca = (
                bool(ca.get("n")) and ceiling is not None and ca["median"] <= 2 * ceiling
                if page["cached_view"]
                else None
            )
            status = ",".join(map(str, un.get("statuses", [])))
            rows.append(
                [
                    page["name"],
                    ms(un.get("median")),
                    ms(un.get("p95")),
                    ms(ca.get("median")),
                    ms(ca.get("p95")),
                    ms(ceiling),
                    f"{un.get('bytes', 0):,}",
                    d.get("queries", "–"),
                    ms(d.get("sql_ms")),
                    status,
                    verdict(ok_un) + " / " + verdict(ok_ca),
                ]
            )
            if judge:
                figure = f"uncached {ms(un.get('median'))} ms"
                checks = [ok_un]
                if ok_ca is not None:
                    figure += f"; cached {ms(ca.get('median'))} ms, static {ms(ceiling)} ms"
                    checks.append(ok_ca)
                self.targets.append(
                    (
                        f"public: {page['name']}",
                        figure,
                        f"indexed query {ms(run['floors']['indexed_query']['median'])} ms",
                        checks,
                    )
                )
                if not ok_un:
                    self.misses.append({"what": f"{page['name']} (uncached)", "page": page})
        self.table(
            [
                "page",
                "uncached median ms",
                "p95",
                "cached median ms",
                "p95",
                "static same size",
                "bytes",
                "queries",
                "SQL ms",
                "status",
                "target uncached / cached",
            ],
            rows,
        )

    def search_section(self, run: dict, title: str, judge: bool) -> None:
        self.add(f"### {title}: search", "")
        self.add(
            "Each case beside the naive scan: the same filters, `icontains` over the quote "
            "and its translation for each word, its count and the same page of 20 (in the "
            "database only, so the ratio is conservative).",
            "",
        )
        rows = []
        for case in run.get("search", []):
            r = case["results"]
            un, ca, naive = r.get("uncached", {}), r.get("cached", {}), r.get("icontains", {})
            ratio = naive.get("median") / un["median"] if un.get("n") and naive.get("n") else None
            ok_p95 = bool(un.get("n")) and un["p95"] < SEARCH_P95_MS
            ok_ratio = ratio is not None and ratio >= SEARCH_RATIO
            counted = naive.get("n") is not None
            rows.append(
                [
                    case["name"],
                    case.get("note", ""),
                    f"{naive['matches']:,}" if "matches" in naive else "–",
                    ms(un.get("median")),
                    ms(un.get("p95")),
                    ms(ca.get("median")),
                    ms(naive.get("median")),
                    f"{ratio:.1f}×" if ratio else "–",
                    r.get("diagnosis", {}).get("queries", "–"),
                    (verdict(ok_p95) + " / " + verdict(ok_ratio)) if counted else "–",
                ]
            )
            if judge and counted:
                self.targets.append(
                    (
                        f"search: {case['name']}",
                        f"p95 {ms(un.get('p95'))} ms; " + (f"{ratio:.1f}×" if ratio else "–"),
                        f"icontains {ms(naive.get('median'))} ms",
                        [ok_p95, ok_ratio],
                    )
                )
                if not ok_p95:
                    self.misses.append({"what": f"search “{case['name']}”", "page": case})
        self.table(
            [
                "query",
                "case",
                "matches",
                "uncached median ms",
                "p95",
                "cached median",
                "icontains ms",
                "icontains ÷ search",
                "queries",
                "target p95 / ratio",
            ],
            rows,
        )

    def admin_section(self, run: dict, title: str, judge: bool) -> None:
        self.add(f"### {title}: admin (a logged-in superuser)", "")
        rows = []
        for page in run.get("admin", []):
            r = page["results"]
            un = r.get("uncached", {})
            d = r.get("diagnosis", {})
            ok = (bool(un.get("n")) and un["median"] < ADMIN_MS) if page["target"] else None
            rows.append(
                [
                    page["name"],
                    page["urls"][0] if len(page["urls"]) == 1 else "20 excerpts",
                    ms(un.get("median")),
                    ms(un.get("p95")),
                    d.get("queries", "–"),
                    ms(d.get("sql_ms")),
                    ",".join(map(str, un.get("statuses", []))),
                    verdict(ok),
                ]
            )
            if judge and ok is not None:
                self.targets.append(
                    (
                        f"admin: {page['name']}",
                        f"{ms(un.get('median'))} ms",
                        "",
                        [ok],
                    )
                )
                if not ok:
                    self.misses.append({"what": f"admin {page['name']}", "page": page})
        self.table(
            ["page", "URL", "median ms", "p95", "queries", "SQL ms", "status", "target"], rows
        )

    def sitemap_section(self, run: dict, title: str, judge: bool) -> None:
        s = run.get("sitemap")
        if not s:
            return
        self.add(f"### {title}: sitemaps", "")
        largest = s.get("largest_page_urls", 0)
        ok = bool(s.get("is_index")) and largest <= SITEMAP_URLS
        self.table(
            ["", "value"],
            [
                ["/sitemap.xml is an index", "yes" if s.get("is_index") else "no"],
                ["sitemap pages", s.get("pages", 1)],
                ["URLs in the largest page", f"{largest:,}"],
                [
                    "/sitemap.xml median / p95 ms",
                    f"{ms(s['index'].get('median'))} / {ms(s['index'].get('p95'))}",
                ],
                [
                    f"a sitemap page ({s.get('page_path')}) median / p95 ms",
                    f"{ms(s.get('page', {}).get('median'))} / {ms(s.get('page', {}).get('p95'))}",
                ],
                ["queries for /sitemap.xml", s.get("diagnosis", {}).get("queries", "–")],
            ],
        )
        if judge:
            self.targets.append(
                (
                    "sitemaps",
                    f"index: {'yes' if s.get('is_index') else 'no'}; largest page {largest:,} URLs",
                    "",
                    [ok],
                )
            )
            if s["index"].get("median", 0) > 1000:
                self.misses.append(
                    {"what": "/sitemap.xml (the index)", "page": {"results": s, "name": "sitemap"}}
                )

    def downloads_section(self, run: dict, title: str, judge: bool) -> None:
        rows = []
        for d in run.get("downloads", []):
            for r in d["runs"]:
                growth = r.get("peak_growth_kb")
                whole = r.get("complete", r["status"] == 200)
                rows.append(
                    [
                        d["url"],
                        r["mode"],
                        r["status"] if whole else f"{r['status'] or '–'}, cut off",
                        ms(r["ttfb"]),
                        ms(r["total"]),
                        f"{r['bytes'] / 2**20:,.1f}",
                        "yes" if r.get("streamed") else "no",
                        f"{growth / 1024:,.0f}" if growth is not None else "–",
                    ]
                )
            first = next((r for r in d["runs"] if r["mode"] == "uncached"), None)
            if judge and first and d["format"] != "schema.json":
                growth = first.get("peak_growth_kb")
                whole = first.get("complete", first["status"] == 200)
                ok = (
                    first["status"] == 200
                    and whole
                    and first["ttfb"] < STREAM_TTFB_MS
                    and growth is not None
                    and growth < STREAM_GROWTH_MB * 1024
                )
                self.targets.append(
                    (
                        f"download: {d['format']}",
                        f"status {first['status']}{'' if whole else ', cut off'} after "
                        f"{ms(first['total'])} ms ({first['bytes'] / 2**20:,.1f} MB), first "
                        f"byte {ms(first['ttfb'])} ms, worker +"
                        + (f"{growth / 1024:,.0f} MB" if growth is not None else "?"),
                        "",
                        [ok],
                    )
                )
        if not rows:
            return
        self.add(f"### {title}: open-data downloads", "")
        self.add(
            "One worker; its peak resident memory reset before the request (Linux clear_refs) "
            "and read after it: growth is what the download itself took. gunicorn's worker "
            "timeout (30 s, as `make serve` runs it) applies: a download still streaming then "
            "is cut off, and the reader gets a truncated file.",
            "",
        )
        self.table(
            [
                "URL",
                "mode",
                "status",
                "first byte ms",
                "total ms",
                "MB received",
                "streamed",
                "worker growth MB",
            ],
            rows,
        )

    def load_section(self, run: dict, title: str) -> None:
        load = run.get("load", {})
        if not load or "mix" not in load:
            if load:
                self.add(f"### {title}: load", "", f"Skipped: {load.get('skipped')}", "")
            return
        self.add(f"### {title}: load under gunicorn, production settings", "")
        self.add(
            f"{load['workers']} workers (gthread), wrk with {load['connections']} connections for "
            f"{load['seconds']} s each: a static file the size of the home page (the ceiling), "
            f"then a mix of {load['paths']:,} paths (home, lists, 5,000 excerpt permalinks, "
            "sources, speakers, meetings, searches, the feed), most of them not yet cached.",
            "",
        )
        rows = []
        for name in ("static", "mix"):
            f = load[name]
            rows.append(
                [
                    name,
                    f"{f['rps']:,.0f}",
                    ms(f.get("p50")),
                    ms(f.get("p90")),
                    ms(f.get("p99")),
                    f["non2xx"],
                    f["errors"],
                ]
            )
        self.table(["run", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "socket errors"], rows)
        share = load["mix"]["rps"] / load["static"]["rps"] if load["static"]["rps"] else 0
        self.add(f"The mix runs at {share:.1%} of the static ceiling's throughput.", "")

    def generation_section(self, g: dict, title: str) -> None:
        self.add(f"### {title}: generating the archive", "")
        self.add(
            f"`manage.py generate_archive --excerpts {g['excerpts']:,}`: "
            f"{g['seconds']:,.0f} s, peak memory {g['peak_mb']:,.0f} MB"
            + ("" if g["returncode"] == 0 else f", **failed** (exit {g['returncode']})"),
            "",
            "```",
            *[line for line in g.get("output", "").splitlines() if line.strip()][-30:],
            "```",
            "",
        )

    def evidence(self) -> None:
        self.add("## Evidence for each MISS", "")
        self.add(
            "Each missed page, slowest first, with its query count and SQL time (one uncached "
            "request, in process, through the test Client under the production settings: "
            "its time includes the first rendering of templates in that process) and its "
            f"slowest statements (select lists shortened); for the {PLANS} slowest pages on "
            "PostgreSQL, the slowest statement's plan (EXPLAIN ANALYZE, BUFFERS, run again "
            "right after).",
            "",
        )
        seen, shown = set(), 0

        def median(miss: dict) -> float:
            r = miss["page"]["results"]
            figure = (r.get("uncached") or r.get("index") or {}).get("median")
            return figure if figure is not None else float("inf")

        for miss in sorted(self.misses, key=median, reverse=True):
            page = miss["page"]
            d = page["results"].get("diagnosis")
            if not d or d["url"] in seen:
                continue
            seen.add(d["url"])
            un = page["results"].get("uncached") or page["results"].get("index") or {}
            self.add(
                f"#### {miss['what']}",
                "",
                f"`{d['url']}`: {ms(un.get('median'))} ms median over HTTP; in process "
                f"{ms(d['ms_in_process'])} ms, **{d['queries']} queries**, "
                f"{ms(d['sql_ms'])} ms of SQL, status {d['status']}.",
                "",
            )
            for i, q in enumerate(d.get("slowest", [])[:2], start=1):
                self.add(
                    f"Slowest statement {i}: {ms(q['ms'])} ms",
                    "",
                    "```sql",
                    condense(q["sql"]),
                    "```",
                    "",
                )
            if d.get("plan") and shown < PLANS:
                shown += 1
                plan = [
                    line if len(line) < 400 else line[:400] + " …"
                    for line in unfold(d["plan"]).splitlines()
                ]
                if len(plan) > 45:
                    plan = [*plan[:45], f"… ({len(plan) - 45} more lines)"]
                self.add("Plan:", "", "```", *plan, "```", "")

    # -- the whole --

    def render(self) -> str:
        f = self.f
        m = f.get("machine", {})
        cfg = f.get("config", {})
        n = int(cfg.get("excerpts", TARGET_N))
        self.add(
            "# Performance",
            "",
            "Written by `make bench` (bench/run.py) from the figures of one run; do not edit "
            "by hand. Targets are those of issue 18, set for 200,000 excerpts on PostgreSQL"
            + ("" if n >= TARGET_N else f"; this run had {n:,}, so its verdicts are indicative")
            + ".",
            "",
            "## The machine and the run",
            "",
        )
        self.table(
            ["", ""],
            [
                ["date (UTC)", f"{f.get('started')} → {f.get('finished')}"],
                ["CPU", f"{m.get('cpu')}, {m.get('cores')} cores"],
                ["memory", f"{m.get('memory_gb', 0):.1f} GB"],
                ["system", m.get("os")],
                ["PostgreSQL", m.get("postgresql")],
                ["SQLite", m.get("sqlite")],
                ["Python / Django", f"{m.get('python')} / {m.get('django')}"],
                [
                    "code",
                    f"commit {m.get('commit')}, {m.get('modified_files')} files modified "
                    "in the working tree",
                ],
                ["cache", cfg.get("cache")],
                [
                    "load average (1, 5, 15 min) before / after",
                    f"{fmt_load(f.get('load_before'))} / {fmt_load(f.get('load_after'))}",
                ],
            ],
        )
        self.add(
            "The load average counts what else ran on the machine meanwhile (other test "
            "suites, browsers): figures measured under load are pessimistic, which is why each "
            "stands beside a floor or ceiling measured in the same minutes.",
            "",
            "## How to reproduce",
            "",
            "Needs PostgreSQL (a user that may create databases), Redis (else the database "
            "cache table) and `wrk` (`apt-get install -y wrk`).",
            "",
            "```sh",
            "make bench                      # 200,000 excerpts (PostgreSQL), 50,000 (SQLite)",
            "BENCH_EXCERPTS=5000 make bench  # a quick run",
            "BENCH_STEPS=pg make bench       # PostgreSQL pages only",
            ".venv/bin/python bench/run.py --render   # this file again, from the saved figures",
            "```",
            "",
            "Other settings: `BENCH_DATABASE_URL` (a scratch database, dropped and created "
            "anew), `BENCH_SQLITE_EXCERPTS`, `BENCH_CACHE_URL`, `BENCH_RESULTS` (where the "
            "JSON figures and logs go). Each script also runs alone (see its docstring).",
            "",
        )
        body_start = len(self.lines)
        if "pg_pages" in f:
            self.add("## PostgreSQL", "")
            if "pg_generate" in f:
                self.generation_section(f["pg_generate"], "PostgreSQL")
            run = f["pg_pages"]
            self.add_archive(run)
            self.floors(run)
            self.pages_section(run, "PostgreSQL", True)
            self.search_section(run, "PostgreSQL", True)
            self.admin_section(run, "PostgreSQL", True)
            self.sitemap_section(run, "PostgreSQL", True)
            self.downloads_section(run, "PostgreSQL", True)
            self.load_section(run, "PostgreSQL")
        if "archive" in f:
            a = f["archive"]
            self.add("### PostgreSQL: backup and restore", "")
            rows = []
            for step in ("export", "restore"):
                if step in a:
                    s = a[step]
                    fast, bounded = s["seconds"] < BACKUP_SECONDS, s["peak_mb"] < BACKUP_PEAK_MB
                    size = f"{s['file_mb']:,.1f}" if "file_mb" in s else "–"
                    rows.append(
                        [
                            step,
                            f"{s['seconds']:,.1f}",
                            f"{s['peak_mb']:,.0f}",
                            size,
                            verdict(fast) + " / " + verdict(bounded),
                        ]
                    )
                    self.targets.append(
                        (
                            "backup (time / memory)"
                            if step == "export"
                            else "restore (time / memory)",
                            f"{s['seconds']:,.0f} s, peak {s['peak_mb']:,.0f} MB",
                            "",
                            [fast, bounded],
                        )
                    )
            if a.get("returncode"):
                rows.append(["failed", f"exit {a['returncode']}", "", "", verdict(False)])
            self.table(
                ["step", "seconds", "peak MB", "archive MB (gzip)", "target time / memory"], rows
            )
        if "import" in f:
            i = f["import"]
            self.add("### PostgreSQL: the excerpt import", "")
            if "import_rows_per_s" in i:
                share = i["import_rows_per_s"] / i["floor_rows_per_s"]
                ok = share >= IMPORT_SHARE
                self.table(
                    ["", "rows/s", "beside the floor"],
                    [
                        [
                            f"`import_sheet excerpts` ({i['rows']:,} rows, checked, anchored, "
                            f"history and audit records; peak {i['import_peak_mb']:,.0f} MB)",
                            f"{i['import_rows_per_s']:,.0f}",
                            f"{share:.2f}",
                        ],
                        [
                            "plain `bulk_create` of the same rows (the floor)",
                            f"{i['floor_rows_per_s']:,.0f}",
                            "1.00",
                        ],
                        [
                            "django-import-export's own loop (sample)",
                            f"{i['import_export_rows_per_s']:,.0f}",
                            f"{i['import_export_rows_per_s'] / i['floor_rows_per_s']:.2f}",
                        ],
                    ],
                )
                self.targets.append(
                    (
                        "import",
                        f"{i['import_rows_per_s']:,.0f} rows/s = {share:.2f} × floor",
                        f"bulk_create {i['floor_rows_per_s']:,.0f} rows/s",
                        [ok],
                    )
                )
            else:
                self.add(f"Failed (exit {i.get('returncode')}); see {i.get('log')}.", "")
        if "sqlite_pages" in f:
            self.add("## SQLite", "")
            if "sqlite_generate" in f:
                self.generation_section(f["sqlite_generate"], "SQLite")
            run = f["sqlite_pages"]
            self.add_archive(run)
            self.floors(run)
            self.pages_section(run, "SQLite", False)
            self.search_section(run, "SQLite", False)
            self.admin_section(run, "SQLite", False)
            self.sitemap_section(run, "SQLite", False)
            self.downloads_section(run, "SQLite", False)
            self.load_section(run, "SQLite")
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]
        checks = [ok for t in self.targets for ok in t[3]]
        self.add(
            f"## Targets (PostgreSQL, {n:,} excerpts): {sum(checks)} of {len(checks)} met",
            "",
            *TARGETS,
            "",
        )
        self.table(
            ["what", "figure", "beside", "verdict"],
            [[t[0], t[1], t[2], " / ".join(map(verdict, t[3]))] for t in self.targets],
        )
        self.lines += body
        if self.misses:
            self.evidence()
        return "\n".join(self.lines).rstrip() + "\n"

    def add_archive(self, run: dict) -> None:
        a = run.get("archive", {})
        if not a:
            return
        self.add(
            f"The archive: {a['excerpts']:,} excerpts ({a['published_excerpts']:,} published, "
            f"{a['search_entries']:,} in the search index), {a['sources']:,} sources "
            f"({a['published_sources']:,} published), {a['actors']:,} actors, "
            f"{a['meetings']} meetings. Busiest meeting {a['busiest_meeting'][0]} "
            f"({a['busiest_meeting'][1]:,} published excerpts); busiest speaker "
            f"{a['busiest_speaker'][0]} ({a['busiest_speaker'][1]:,}); a typical speaker "
            f"{a['typical_speaker_excerpts']:,}; topics "
            f"{min(a['topic_excerpts'].values()):,}–{max(a['topic_excerpts'].values()):,}.",
            "",
        )

    def floors(self, run: dict) -> None:
        fl = run.get("floors", {})
        if fl:
            q, h = fl["indexed_query"], fl["healthz"]
            sizes = run.get("static", {})
            small = sizes.get(min(sizes, key=int)) if sizes else {}
            load = run.get("load_average", {})
            self.add(
                f"Floors in this run: a bare indexed query {ms(q['median'])} ms median "
                f"(p95 {ms(q['p95'])}); `/healthz` over HTTP {ms(h['median'])} ms; the smallest "
                f"static file over HTTP {ms(small.get('median'))} ms. The machine's load "
                f"average while pages were measured: {load.get('min', 0):.1f}–"
                f"{load.get('max', 0):.1f} (median {load.get('median', 0):.1f}) on "
                f"{self.f.get('machine', {}).get('cores')} cores.",
                "",
            )


def fmt_load(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values) if values else "?"


def render(config: dict, output: Path) -> None:
    results = config["results"]
    figures = json.loads((results / "figures.json").read_text())
    # A part measured again alone (`bench/pages.py OUT --only downloads`) is in its OUT.
    for name, key in (("postgresql", "pg_pages"), ("sqlite", "sqlite_pages")):
        path = results / f"pages-{name}.json"
        if key in figures and path.exists():
            figures[key].update(json.loads(path.read_text()))
    output.write_text(Report(figures).render(), encoding="utf-8")
    print(f"wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render", action="store_true", help="Only write the report again.")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    config = settings()
    if not args.render:
        run(config)
    render(config, args.output)


if __name__ == "__main__":
    main()
