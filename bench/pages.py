"""Every page a reader or an editor asks for, timed against the production server, each figure
beside its floor or ceiling from the same run. Writes JSON; `bench/run.py` makes the report.

Run against an archive `manage.py generate_archive` made (PostgreSQL or SQLite):

    DATABASE_URL=postgres://postgres@127.0.0.1/astana_bench .venv/bin/python bench/pages.py OUT.json

Why real HTTP against gunicorn, not Django's test Client: the figures are meant to be what a
reader waits for, so they come from the server `make serve` runs (gunicorn, production
settings, WhiteNoise, the shared cache in Redis, every middleware), through a socket; the static
ceiling is then a file of the same size served by that same server, and a download's first byte
and its worker's peak memory can be seen at all (the test Client builds the whole response
in the measuring process). What HTTP cannot show (how many queries a page runs, which is the
slowest, and its plan) is read in a second pass in this process, through the test Client under
the same settings, with the queries captured; those timings are not the figures.

Measured, with medians and 95th percentiles over repeated requests (one worker, one
request at a time):

- every public page type, uncached (its entry evicted from the page cache before each request,
  everything else warm, as the first reader after it expires finds it) and cached; detail pages
  rotate over many entries; the busiest meeting and speaker apart from typical ones;
- search: a fixed list of Arabic and English queries, common and rare words, with and without
  filters, first and deep pages, beside the naive `icontains` scan of the same page;
- the admin's excerpt list (default, filtered by state, searched, sorted) and change form, as a
  logged-in superuser;
- the sitemap index and a sitemap page, every feed;
- the open-data downloads: time to first byte, total, size and the worker's peak memory;
- floors and ceilings: a static file of each page's size from the same server, a bare indexed
  query, `/healthz`;
- a load run: many workers under wrk, a mix of pages beside the static ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import ROOT, Answer, Server, fetch, memory, production_env, reset_peak

sys.path.insert(0, str(ROOT))

PUBLIC_TARGET_MS = 50  # uncached public page, median
SEARCH_TARGET_MS = 30  # search page, 95th percentile
ADMIN_TARGET_MS = 150  # admin excerpt list, median
SEARCH_RATIO = 20  # search at least this many times faster than the icontains scan
DOWNLOAD_GROWTH_KB = 64 * 1024  # a streamed download grows its worker by less than this
SITEMAP_LIMIT = 50_000
SEARCH_READS = None  # filled once Django is set up: the parameters the search page reads
GUARD_SECONDS = 60  # a statement run in this process is stopped after this long


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile: with few samples, the worst of them, never an interpolation."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "min": min(samples),
        "max": max(samples),
    }


@dataclass
class Page:
    """One page type: the URLs it rotates over, whether the view sits behind the page cache."""

    name: str
    group: str
    urls: list[str]
    cached_view: bool = True
    reads: tuple[str, ...] = ()
    target: str = ""  # which target applies
    note: str = ""
    words: list[str] = field(default_factory=list)  # a search's words, for the icontains scan
    query: str = ""
    results: dict = field(default_factory=dict)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(2254)
        self.workdir = Path(tempfile.mkdtemp(prefix="astana-pages-"))
        self.static_root = self.workdir / "static"
        self.env = production_env(args.database_url, self.static_root, args.cache_url)
        os.environ.update(self.env)
        import django

        django.setup()
        import logging

        from django.db import connection

        logging.getLogger("django.request").setLevel(logging.ERROR)  # a 410 is measured, not news
        from django.db.backends.signals import connection_created

        self.deadline: float | None = None  # for SQLite, which has no statement timeout
        connection_created.connect(self.guard, weak=False)
        connection.close()

        self.vendor = connection.vendor
        self.out: dict = {"vendor": self.vendor, "pages": [], "search": [], "admin": []}
        self.loads: list[float] = []

    def guard(self, sender, connection, **kwargs) -> None:
        """Stop any statement this process runs after GUARD_SECONDS: a page that takes minutes
        is measured by the server's own timeout, and its diagnosis must not take an hour."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {GUARD_SECONDS * 1000}")
        elif connection.vendor == "sqlite":
            connection.connection.set_progress_handler(
                lambda: int(self.deadline is not None and time.monotonic() > self.deadline),
                100_000,
            )

    # -- the archive ---------------------------------------------------------------------------

    def choose(self) -> None:
        """The entries pages are measured on, drawn from the archive with a fixed seed."""
        from django.db.models import Count

        from astana_cms.editorial.models import State
        from rounds.models import Actor, Round
        from statements.models import Excerpt, SearchEntry, Source, Topic

        published = Excerpt.objects.published()
        ids = list(published.order_by("pk").values_list("pk", flat=True))
        self.excerpt_ids = self.rng.sample(ids, min(len(ids), 200))
        self.mix_ids = self.rng.sample(ids, min(len(ids), 5000))
        sources = list(Source.objects.published().order_by("pk").values_list("pk", flat=True))
        self.source_ids = self.rng.sample(sources, min(len(sources), 200))
        per_round = dict(published.order_by().values_list("round__slug").annotate(n=Count("pk")))
        self.rounds = sorted(per_round, key=lambda slug: -per_round[slug])
        per_speaker = dict(
            published.order_by().values_list("speaker__slug").annotate(n=Count("pk"))
        )
        speakers = sorted(per_speaker, key=lambda slug: -per_speaker[slug])
        self.busiest_speaker = speakers[0]
        middle = len(speakers) // 2
        self.typical_speakers = speakers[max(0, middle - 10) : middle + 10]
        self.topics = list(
            Topic.objects.filter(excerpts__in=published).distinct().values_list("slug", flat=True)
        )
        self.withdrawn_ids = list(
            Excerpt.objects.filter(state=State.WITHDRAWN).values_list("pk", flat=True)[:50]
        )
        self.out["archive"] = {
            "excerpts": Excerpt.objects.count(),
            "published_excerpts": len(ids),
            "search_entries": SearchEntry.objects.count(),
            "sources": Source.objects.count(),
            "published_sources": len(sources),
            "actors": Actor.objects.count(),
            "meetings": Round.objects.count(),
            "busiest_meeting": [self.rounds[0], per_round[self.rounds[0]]],
            "busiest_speaker": [self.busiest_speaker, per_speaker[self.busiest_speaker]],
            "typical_speaker_excerpts": per_speaker[self.typical_speakers[0]],
            "topic_excerpts": {
                slug: published.filter(topics__slug=slug).count() for slug in self.topics
            },
        }

    def pages(self) -> list[Page]:
        e = self.excerpt_ids
        return [
            Page("home", "public", ["/ar/"], target="public"),
            Page("home (English)", "public", ["/en/"], target="public"),
            Page("meetings list", "public", ["/ar/rounds/"], target="public"),
            Page("meeting (busiest)", "public", [f"/ar/rounds/{self.rounds[0]}/"], target="public"),
            Page(
                "meeting (all, rotating)",
                "public",
                [f"/ar/rounds/{slug}/" for slug in self.rounds],
                target="public",
            ),
            Page("excerpt", "public", [f"/ar/excerpts/{pk}/" for pk in e], target="public"),
            Page(
                "excerpt (English)",
                "public",
                [f"/en/excerpts/{pk}/" for pk in e[100:]],
                target="public",
            ),
            Page(
                "source",
                "public",
                [f"/ar/sources/{pk}/" for pk in self.source_ids],
                target="public",
            ),
            Page("speakers list", "public", ["/ar/actors/"], target="public"),
            Page(
                "speaker (busiest)",
                "public",
                [f"/ar/actors/{self.busiest_speaker}/"],
                target="public",
            ),
            Page(
                "speaker (typical)",
                "public",
                [f"/ar/actors/{slug}/" for slug in self.typical_speakers],
                target="public",
            ),
            Page("topics list", "public", ["/ar/topics/"], target="public"),
            Page(
                "topic", "public", [f"/ar/topics/{slug}/" for slug in self.topics], target="public"
            ),
            Page("methodology", "public", ["/ar/methodology/"], target="public"),
            Page("open data page", "public", ["/ar/data/"], target="public"),
            Page(
                "withdrawn excerpt (410)",
                "public",
                [f"/ar/excerpts/{pk}/" for pk in self.withdrawn_ids],
                target="public",
            ),
            Page("feed: all", "feeds", ["/ar/feeds/excerpts/"]),
            Page(
                "feed: meeting",
                "feeds",
                [f"/ar/feeds/rounds/{slug}/" for slug in self.rounds],
            ),
            Page(
                "feed: speaker (busiest)",
                "feeds",
                [f"/ar/feeds/actors/{self.busiest_speaker}/"],
            ),
            Page(
                "feed: topic",
                "feeds",
                [f"/ar/feeds/topics/{slug}/" for slug in self.topics],
            ),
        ]

    def search_cases(self) -> list[Page]:
        """Arabic and English, common and rare, with and without filters, first and deep
        pages. Each case's `note` is the words an icontains scan would look for."""
        busiest, speaker = self.rounds[0], self.busiest_speaker
        cases = [
            ("في", "Arabic, the commonest word", "q=في", ["في"]),
            ("سوريا", "Arabic, common", "q=سوريا", ["سوريا"]),
            ("أستانة", "Arabic, alias expanded", "q=أستانة", ["أستانة"]),
            ("الدستورية", "Arabic, less common", "q=الدستورية", ["الدستورية"]),
            (
                "اللجنة الدستورية",
                "Arabic, two words",
                "q=اللجنة+الدستورية",
                ["اللجنة", "الدستورية"],
            ),
            ("لافروف", "Arabic, a speaker's alias", "q=لافروف", ["لافروف"]),
            ("وجددت", "Arabic, rare", "q=وجددت", ["وجددت"]),
            ("كلمةمفقودة", "Arabic, no match", "q=كلمةمفقودة", ["كلمةمفقودة"]),
            ("guarantor", "English, common", "q=guarantor", ["guarantor"]),
            ("earthquake", "English, rare", "q=earthquake", ["earthquake"]),
            ("Nur-Sultan", "English, alias of a venue", "q=Nur-Sultan", ["Nur-Sultan"]),
            ("سوريا + meeting", "filtered by meeting", f"q=سوريا&round={busiest}", ["سوريا"]),
            ("سوريا + speaker", "filtered by speaker", f"q=سوريا&speaker={speaker}", ["سوريا"]),
            (
                "سوريا + topic",
                "filtered by topic",
                "q=سوريا&topic=constitutional-committee",
                ["سوريا"],
            ),
            ("meeting only", "filter, no words", f"round={busiest}", []),
            ("kind + topic", "filters, no words", "kind=paraphrase&topic=humanitarian-aid", []),
            ("في, page 50", "deep page", "q=في&page=50", ["في"]),
            ("سوريا, page 50", "deep page", "q=سوريا&page=50", ["سوريا"]),
            ("meeting only, page 50", "deep page", f"round={busiest}&page=50", []),
        ]
        return [
            Page(
                label,
                "search",
                [f"/ar/search/?{query}"],
                reads=SEARCH_READS,
                note=kind,
                words=words,
                query=query,
            )
            for label, kind, query, words in cases
        ]

    def admin_pages(self) -> list[Page]:
        from statements.models import Excerpt

        change = Excerpt.objects.order_by("pk").values_list("pk", flat=True)
        ids = self.rng.sample(list(change[:: max(1, len(change) // 500)]), 20)
        base = "/admin/statements/excerpt/"
        return [
            Page("excerpt list (default)", "admin", [base], False, target="admin"),
            Page(
                "excerpt list (state filter)",
                "admin",
                [base + "?state__exact=published"],
                False,
                target="admin",
            ),
            Page("excerpt list (searched)", "admin", [base + "?q=سوريا"], False, target="admin"),
            Page(
                "excerpt list (searched, rare)", "admin", [base + "?q=وجددت"], False, target="admin"
            ),
            Page(
                "excerpt list (sorted by speaker)", "admin", [base + "?o=2"], False, target="admin"
            ),
            Page(
                "excerpt list (sorted by meeting, desc.)",
                "admin",
                [base + "?o=-4"],
                False,
                target="admin",
            ),
            Page(
                "excerpt change form",
                "admin",
                [f"{base}{pk}/change/" for pk in ids],
                False,
            ),
        ]

    # -- measuring -----------------------------------------------------------------------------

    def evict(self, url: str, reads: tuple[str, ...]) -> None:
        """Remove one page's entry from the page cache, as its expiry would."""
        from django.test import RequestFactory

        from astana_cms.editorial.cache import forget_page, page_key

        request = RequestFactory().get(url)
        forget_page(url.split("/")[1], page_key(request, frozenset(reads)))

    def series(self, server: Server, page: Page, uncached: bool, reps: int) -> list[Answer]:
        answers, started = [], time.monotonic()
        if not uncached:
            for url in page.urls[:reps]:
                fetch(server.port, url, self.cookie)  # into the cache
        for i in range(reps):
            url = page.urls[i % len(page.urls)]
            if uncached and page.cached_view:
                self.evict(url, page.reads)
            answers.append(fetch(server.port, url, self.cookie if page.group == "admin" else ""))
            if time.monotonic() - started > self.args.budget and len(answers) >= 3:
                break
            if not answers[-1].ok:
                server.settle()
                if sum(not a.ok for a in answers) >= 2:
                    break  # killed twice by the server's timeout: more says nothing new
        return answers

    def measure(self, server: Server, page: Page) -> None:
        self.loads.append(os.getloadavg()[0])  # what else the machine was doing meanwhile
        reps = self.args.reps
        for mode, uncached in (("uncached", True), ("cached", False)):
            if mode == "cached" and page.group == "admin":
                continue
            if mode == "cached" and not page.results["uncached"].get("n"):
                page.results[mode] = {"n": 0, "statuses": [], "skipped": "no uncached answer"}
                continue
            answers = self.series(server, page, uncached, reps)
            ok = [a for a in answers if a.ok]
            page.results[mode] = {
                **summary([a.total for a in ok]),
                "ttfb": summary([a.ttfb for a in ok]).get("median"),
                "statuses": sorted({a.status if a.complete else 0 for a in answers}),
                "failed": len(answers) - len(ok),
                "bytes": int(statistics.median([a.size for a in ok])) if ok else 0,
            }
        self.log(page)

    def log(self, page: Page) -> None:
        parts = []
        for mode in ("uncached", "cached"):
            r = page.results.get(mode)
            if r and r.get("n"):
                parts.append(f"{mode} {r['median']:8.1f} / p95 {r['p95']:8.1f} ms (n={r['n']})")
            elif r:
                parts.append(f"{mode} failed {r['statuses']}")
        print(f"  {page.name:<40} " + "  ".join(parts), flush=True)

    def static(self, server: Server, sizes: dict[str, int]) -> dict[str, dict]:
        """The ceiling: a static file of each page's size, from the same server."""
        figures = {}
        for size in sorted(set(sizes.values())):
            path = f"/static/bench/payload-{size}.html"
            answers = [fetch(server.port, path) for _ in range(self.args.reps)]
            figures[str(size)] = summary([a.total for a in answers if a.status == 200])
        return figures

    def floors(self, server: Server) -> dict:
        from django.db import connection

        from statements.models import Excerpt

        ids = self.excerpt_ids
        samples = []
        with connection.cursor() as cursor:
            table = Excerpt._meta.db_table
            for pk in (ids * 3)[:300]:
                start = time.perf_counter()
                cursor.execute(f"SELECT id, text FROM {table} WHERE id = %s", [pk])
                cursor.fetchall()
                samples.append((time.perf_counter() - start) * 1000)
        health = [fetch(server.port, "/healthz").total for _ in range(self.args.reps)]
        return {"indexed_query": summary(samples), "healthz": summary(health)}

    # -- search: the naive scan beside it ------------------------------------------------------

    def icontains(self, case: Page) -> dict:
        """What the search page would cost done naively: its filters, `icontains` over the
        quote and its translation for each word, the count and the same page of results."""
        from urllib.parse import parse_qs

        from django.db.models import Q

        from statements.models import Excerpt

        params = parse_qs(case.query)
        queryset = Excerpt.objects.published()
        for word in case.words:
            queryset = queryset.filter(Q(text__icontains=word) | Q(translation_en__icontains=word))
        if "round" in params:
            queryset = queryset.filter(round__slug=params["round"][0])
        if "speaker" in params:
            queryset = queryset.filter(speaker__slug=params["speaker"][0])
        if "topic" in params:
            queryset = queryset.filter(topics__slug=params["topic"][0])
        if "kind" in params:
            queryset = queryset.filter(kind=params["kind"][0])
        page = int(params.get("page", ["1"])[0])
        samples, count = [], 0
        for _ in range(3):
            start = time.perf_counter()
            count = queryset.count()
            list(
                queryset.select_related("speaker", "round", "source").order_by(
                    "-published_at", "-pk"
                )[(page - 1) * 20 : page * 20]
            )
            samples.append((time.perf_counter() - start) * 1000)
        return {**summary(samples), "matches": count}

    # -- downloads ------------------------------------------------------------------------------

    def downloads(self, server: Server) -> list[dict]:
        rows = []
        for fmt in ("csv", "json", "xlsx", "schema.json"):
            url = f"/ar/data/excerpts.{fmt}"
            row = {"format": fmt, "url": url, "runs": []}
            for _run in range(self.args.download_reps):
                self.evict(url, ())
                server.settle()
                pid = server.worker_pids()[0]
                before = memory(pid).get("VmRSS", 0)
                reset_peak(pid)
                answer = fetch(server.port, url)
                after = memory(pid)
                alive = bool(after)
                row["runs"].append(
                    {
                        "mode": "uncached",
                        "status": answer.status,
                        "complete": answer.complete,
                        "ttfb": answer.ttfb,
                        "total": answer.total,
                        "bytes": answer.size,
                        "streamed": "content-length" not in answer.headers,
                        "rss_before_kb": before,
                        "peak_growth_kb": max(0, after["VmHWM"] - before) if alive else None,
                        "worker_killed": not alive,
                    }
                )
                print(f"  {url}: {row['runs'][-1]}", flush=True)
                if not answer.ok:
                    server.settle()
                    break
            if row["runs"] and row["runs"][-1]["status"] == 200 and answer.ok:
                for _ in range(2):
                    answer = fetch(server.port, url)
                    row["runs"].append(
                        {
                            "mode": "cached",
                            "status": answer.status,
                            "complete": answer.complete,
                            "ttfb": answer.ttfb,
                            "total": answer.total,
                            "bytes": answer.size,
                        }
                    )
            rows.append(row)
        return rows

    # -- sitemaps --------------------------------------------------------------------------------

    def sitemaps(self, server: Server) -> dict:
        first = fetch(server.port, "/sitemap.xml", keep=True)
        body = first.body.decode("utf-8", "replace")
        result = {
            "status": first.status,
            "bytes": first.size,
            "is_index": "<sitemapindex" in body,
            "urls_in_first": body.count("<url>"),
            "index": summary(
                [fetch(server.port, "/sitemap.xml").total for _ in range(min(5, self.args.reps))]
            ),
        }
        result["index"]["bytes"] = first.size
        if result["is_index"]:
            pages = [
                re.sub(r"^https?://[^/]+", "", loc) for loc in re.findall(r"<loc>(.*?)</loc>", body)
            ]
            result["pages"] = len(pages)
            counts = {}
            for path in pages:
                answer = fetch(server.port, path, keep=True)
                counts[path] = answer.body.count(b"<url>")
            result["largest_page_urls"] = max(counts.values(), default=0)
            # The page timed is the largest: a search engine reads every one.
            path = max(counts, key=counts.get) if counts else "/sitemap.xml"
            result["page_path"] = path
            result["page_urls"] = counts.get(path, 0)
            result["page"] = summary(
                [fetch(server.port, path).total for _ in range(min(5, self.args.reps))]
            )
        else:
            result["largest_page_urls"] = result["urls_in_first"]
            result["page_path"] = "/sitemap.xml?p=2"
            second = fetch(server.port, "/sitemap.xml?p=2")
            result["second_page_status"] = second.status
        print(f"  sitemap: {result}", flush=True)
        return result

    # -- in-process diagnostics ------------------------------------------------------------------

    def diagnose(self, pages: list[Page]) -> None:
        """Queries, SQL time and the slowest statement of each page, through the test Client
        with the queries captured; the plan (EXPLAIN ANALYZE) of the slowest statement of
        each page that misses its target."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        editor, reader = Client(), Client()
        editor.force_login(self.superuser)
        for page in pages:
            url = page.urls[0]
            client = editor if page.group == "admin" else reader
            if page.cached_view:
                self.evict(url, page.reads)
            status, error = 0, ""
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                self.deadline = time.monotonic() + GUARD_SECONDS
                try:
                    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ar")
                    if getattr(response, "streaming", False):
                        for _chunk in response.streaming_content:
                            pass
                    status = response.status_code
                except Exception as failure:  # a statement stopped by the guard, most likely
                    error = f"{type(failure).__name__}: {failure}"[:500]
                finally:
                    self.deadline = None
                elapsed = (time.perf_counter() - start) * 1000
            queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
            queries.sort(key=lambda item: -item[0])
            page.results["diagnosis"] = {
                "url": url,
                "status": status,
                "error": error,
                "ms_in_process": elapsed,
                "queries": len(queries),
                "sql_ms": sum(ms for ms, _sql in queries),
                "slowest": [{"ms": ms, "sql": sql[:20000]} for ms, sql in queries[:3]],
            }
            slow = queries and queries[0][0] > 20
            if (self.misses(page) or slow) and queries and self.vendor == "postgresql":
                page.results["diagnosis"]["plan"] = self.plan(queries[0][1])

    def plan(self, sql: str) -> str:
        """The statement's plan as it ran (EXPLAIN ANALYZE), or as estimated when running it
        again would pass the guard."""
        from django.db import connection

        sql = re.sub(r"^DECLARE \S+ NO SCROLL CURSOR WITH HOLD FOR ", "", sql)
        if len(sql) > 200_000 or not sql.lstrip().upper().startswith("SELECT"):
            return ""
        try:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                return "\n".join(row[0] for row in cursor.fetchall())
        except Exception:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                lines = [row[0] for row in cursor.fetchall()]
            return "\n".join(
                [f"(EXPLAIN ANALYZE stopped after {GUARD_SECONDS} s: the estimated plan)", *lines]
            )

    def misses(self, page: Page) -> bool:
        uncached = page.results.get("uncached", {})
        if page.target == "public":
            return not uncached.get("n") or uncached["median"] > PUBLIC_TARGET_MS
        if page.target == "admin":
            return not uncached.get("n") or uncached["median"] > ADMIN_TARGET_MS
        if page.group == "search":
            return not uncached.get("n") or uncached["p95"] > SEARCH_TARGET_MS
        return False

    # -- load --------------------------------------------------------------------------------

    def load(self, static_path: str) -> dict:
        """Many workers, a mix of pages: most excerpt permalinks rotate over 5,000 entries, so
        that many requests miss the cache as a real archive's long tail does."""
        if not shutil.which("wrk"):
            return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
        mix = (
            ["/ar/"] * 3
            + ["/ar/rounds/", "/ar/topics/", "/ar/actors/"]
            + [f"/ar/excerpts/{pk}/" for pk in self.mix_ids]
            + [f"/ar/sources/{pk}/" for pk in self.source_ids]
            + [f"/ar/actors/{slug}/" for slug in self.typical_speakers]
            + [f"/ar/rounds/{slug}/" for slug in self.rounds[5:]]
            + [f"/ar/search/?q={q}" for q in ("سوريا", "أستانة", "الدستورية", "وجددت", "guarantor")]
            + ["/ar/feeds/excerpts/"]
        )
        self.rng.shuffle(mix)
        script = self.workdir / "mix.lua"
        quoted = ",\n".join(json.dumps(quote(p, safe="/?=&%:+")) for p in mix)
        script.write_text(
            "local paths = {\n" + quoted + "\n}\nlocal i = math.random(#paths)\n"
            "request = function()\n  i = i % #paths + 1\n"
            '  return wrk.format("GET", paths[i])\nend\n',
            encoding="utf-8",
        )
        workers = 2 * (os.cpu_count() or 1) + 1
        result = {
            "workers": workers,
            "connections": self.args.connections,
            "seconds": self.args.duration,
            "paths": len(mix),
        }
        with Server(self.env, workers=workers) as server:
            base = f"http://127.0.0.1:{server.port}"
            result["static"] = wrk(base + static_path, self.args, None)
            result["mix"] = wrk(base + "/", self.args, script)
        print(f"  load: {result}", flush=True)
        return result

    # -- the run -------------------------------------------------------------------------------

    def run_only(self, part: str) -> dict | list:
        """One part alone (`--only sitemap|downloads|search`), as the whole run measures it."""
        from django.contrib.auth import get_user_model

        self.superuser, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        if part == "search":
            return self.search_only()
        with Server(self.env) as server:
            result = self.sitemaps(server) if part == "sitemap" else self.downloads(server)
        if part == "sitemap":
            sitemap = Page("sitemap.xml", "sitemap", ["/sitemap.xml"], cached_view=False)
            self.diagnose([sitemap])
            result["diagnosis"] = sitemap.results["diagnosis"]
        shutil.rmtree(self.workdir, ignore_errors=True)
        return result

    def search_only(self) -> list:
        global SEARCH_READS
        from django.core.cache import cache

        from public.filters import ExcerptFilter

        SEARCH_READS = ("q", "page", *ExcerptFilter.base_filters)
        cache.clear()
        self.cookie = ""  # the searches are public pages
        self.choose()
        searches = self.search_cases()
        with Server(self.env) as server:
            self.measure_searches(server, searches)
        self.diagnose(searches[:-1])
        shutil.rmtree(self.workdir, ignore_errors=True)
        return [asdict(p) for p in searches]

    def measure_searches(self, server: Server, searches: list[Page]) -> None:
        """Each search beside its naive scan, then one made just after a publication."""
        print("search:", flush=True)
        for case in searches:
            self.measure(server, case)
            case.results["icontains"] = self.icontains(case)
        searches.append(self.after_a_publication(server))

    def after_a_publication(self, server: Server) -> Page:
        """A search made when every cache was just renewed (the first after a publication)."""
        from django.core.cache import cache

        from astana_cms.editorial.cache import GENERATION_KEY

        after = Page("أستانة, after a publication", "search", ["/ar/search/?q=أستانة"])
        after.reads = SEARCH_READS
        answers = []
        for _ in range(self.args.reps):
            cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
            answers.append(fetch(server.port, after.urls[0]))
        after.results["uncached"] = summary([a.total for a in answers])
        after.note = "every cache renewed before each request, the alias table included"
        return after

    def run(self) -> dict:
        global SEARCH_READS
        from django.contrib.auth import get_user_model
        from django.core.cache import cache

        from public.filters import ExcerptFilter

        SEARCH_READS = ("q", "page", *ExcerptFilter.base_filters)
        cache.clear()
        User = get_user_model()
        self.superuser, _ = User.objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        from django.test import Client

        client = Client()
        client.force_login(self.superuser)
        self.cookie = f"sessionid={client.cookies['sessionid'].value}"
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.choose()
        pages, searches, admin = self.pages(), self.search_cases(), self.admin_pages()
        everything = pages + searches + admin
        print(f"archive: {self.out['archive']}", flush=True)

        # Sizes first, for static files of the same sizes.
        sizes = {}
        with Server(self.env) as server:
            for page in everything:
                cookie = self.cookie if page.group == "admin" else ""
                answer = fetch(server.port, page.urls[0], cookie)
                sizes[page.name] = max(answer.size, 1)
        payloads = self.static_root / "bench"
        payloads.mkdir(parents=True, exist_ok=True)
        for size in set(sizes.values()):
            (payloads / f"payload-{size}.html").write_bytes(b"x" * size)

        with Server(self.env) as server:
            self.out["floors"] = self.floors(server)
            self.out["static"] = self.static(server, sizes)
            print(f"floors: {self.out['floors']}", flush=True)
            print("public pages and feeds:", flush=True)
            for page in pages:
                self.measure(server, page)
            self.measure_searches(server, searches)
            print("admin:", flush=True)
            for page in admin:
                self.measure(server, page)
            print("sitemaps:", flush=True)
            self.out["sitemap"] = self.sitemaps(server)
            print("downloads:", flush=True)
            self.out["downloads"] = self.downloads(server)

        print("diagnostics (in process):", flush=True)
        sitemap = Page("sitemap.xml", "sitemap", ["/sitemap.xml"], cached_view=False)
        self.diagnose([*everything, sitemap])
        self.out["sitemap"]["diagnosis"] = sitemap.results["diagnosis"]
        for page in everything:
            page.results["static_size"] = sizes.get(page.name)
        static_path = f"/static/bench/payload-{sizes['home']}.html"
        print("load:", flush=True)
        self.out["load"] = self.load(static_path) if self.args.duration else {"skipped": "off"}
        self.out["pages"] = [asdict(p) for p in pages]
        self.out["search"] = [asdict(p) for p in searches]
        self.out["admin"] = [asdict(p) for p in admin]
        self.out["sizes"] = sizes
        self.out["load_average"] = summary(self.loads)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.out


def wrk(url: str, args: argparse.Namespace, script: Path | None) -> dict:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    command += ["--timeout", "30s"]  # gunicorn's own limit: a slow answer counts, not drops
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures: dict = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            figures[f"p{pct}"] = value * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    figures["non2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    figures["errors"] = errors.group(1).strip() if errors else "none"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument("--reps", type=int, default=20, help="requests per page and mode")
    parser.add_argument("--budget", type=float, default=20, help="seconds per page and mode")
    parser.add_argument("--download-reps", type=int, default=1)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each load run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--only",
        choices=["sitemap", "downloads", "search"],
        help="Measure this part alone and put it into OUTPUT's figures (kept otherwise).",
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("Set DATABASE_URL (or --database-url) to a generated archive.")
    bench = Bench(args)
    if args.only:
        result = json.loads(args.output.read_text()) if args.output.exists() else {}
        result[args.only] = bench.run_only(args.only)
    else:
        result = bench.run()
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
