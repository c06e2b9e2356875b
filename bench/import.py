"""Excerpt import speed and memory: prints figures and ratios, asserts nothing.

In a scratch PostgreSQL database: a registry (50 actors with aliases, 22 rounds, 10 topics, an
outlet) and 2,000 synthetic sources of 40 sentences each. Then a CSV of N excerpt rows (default
100,000), each a passage of one source, one in five typed with bare alef and plain quotes so
that it anchors through the normaliser, naming its speaker by an alias, a round by number and
one or two topics. Prints, in the same run:

- `manage.py import_sheet excerpts FILE` in a child process: rows/s (checking, anchoring and
  writing, timed inside) and the child's peak memory (its maximum resident set size);
- the floor: a plain `bulk_create` of the same rows, without anchoring or checks;
- django-import-export's own row-by-row loop on a sample, for the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1/astana_bench .venv/bin/python bench/import.py [N]

`--json FILE` also writes the figures to FILE (bench/run.py reads them).

The database named is dropped and created anew: never point this at real data. All text is
generated; no quote, name or address in it is real.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astana_cms.settings")
os.environ.setdefault("IMPORT_MAX_BYTES", str(1024 * 1024 * 1024))
os.environ.setdefault("IMPORT_MAX_ROWS", "1000000")

from scratch import recreate_database  # noqa: E402  (after the settings module is named)

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
HAMZA_WORDS = ["أستانة", "الأطراف", "إدلب", "أكد", "الإرهاب", "أنقرة", "الأمم"]
SOURCES, SENTENCES = 2000, 40
SAMPLE = 2000  # rows for django-import-export's own loop


def word(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(HAMZA_WORDS)
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7)))


def sentence(rng: random.Random) -> str:
    text = " ".join(word(rng) for _ in range(rng.randint(12, 30)))
    return f"وقال “{text}”." if rng.random() < 0.3 else text + "."


def typed(passage: str) -> str:
    """As a desk might type it: bare alef, plain quotes."""
    return passage.translate(str.maketrans({"أ": "ا", "إ": "ا", "“": '"', "”": '"'}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    count = options.count
    recreate_database()
    from django.db import connection, transaction

    from rounds.models import Actor, ActorAlias, Round, Venue
    from statements.models import Excerpt, Outlet, Source, Topic

    rng = random.Random(7)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("bench")  # an import names its importer
    venue = Venue.objects.create(slug="venue", name_ar="مدينة", name_en="City")
    actors = Actor.objects.bulk_create(
        Actor(kind="person", slug=f"speaker-{n}", name_ar=f"متحدث {n}", name_en=f"Speaker {n}")
        for n in range(50)
    )
    ActorAlias.objects.bulk_create(ActorAlias(actor=a, name=f"المتحدث رقم {a.pk}") for a in actors)
    spellings = [[a.name_ar, a.name_en, f"المتحدث رقم {a.pk}"] for a in actors]
    rounds = Round.objects.bulk_create(
        Round(
            kind="round",
            number=n,
            slug=f"round-{n}",
            name_ar=f"جولة {n}",
            name_en=f"Round {n}",
            start_date="2017-01-23",
            end_date="2017-01-24",
            venue=venue,
        )
        for n in range(1, 23)
    )
    topics = Topic.objects.bulk_create(
        Topic(slug=f"topic-{n}", name_ar=f"موضوع {n}", name_en=f"Topic {n}") for n in range(10)
    )
    outlet = Outlet.objects.create(slug="outlet", name_ar="وسيلة", name_en="Outlet")
    texts = ["\n".join(sentence(rng) for _ in range(SENTENCES)) for _ in range(SOURCES)]
    sources = []
    for n, text in enumerate(texts):
        source = Source(outlet=outlet, url=f"https://example.invalid/{n}", text=text)
        source.derive_fields()
        sources.append(source)
    sources = Source.objects.bulk_create(sources, batch_size=1000)

    # The excerpt file: each row a distinct passage (a whole sentence, or its first words).
    rows, seen = [], set()
    while len(rows) < count:
        index = rng.randrange(SOURCES)
        lines = texts[index].split("\n")
        line = rng.randrange(len(lines))
        words = lines[line].split(" ")
        cut = rng.randint(6, len(words))
        if (index, line, cut) in seen:
            continue
        seen.add((index, line, cut))
        passage = " ".join(words[:cut])
        rows.append(
            [
                sources[index].url,
                typed(passage) if rng.random() < 0.2 else passage,
                rng.choice(spellings[rng.randrange(len(actors))]),
                rng.choice(["quote", "paraphrase"]),
                rng.randint(1, 22),
                "; ".join(t.slug for t in rng.sample(topics, rng.randint(1, 2))),
            ]
        )
    folder = Path(tempfile.mkdtemp(prefix="astana-bench-"))
    path = folder / "excerpts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_url", "text", "speaker", "kind", "round", "topics"])
        writer.writerows(rows)
    size = path.stat().st_size / 2**20
    print(f"{count:,} excerpt rows, {SOURCES:,} sources of {SENTENCES} sentences, {size:.1f} MB")

    # 1. The product's import, as an operator runs it, in its own process.
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys, time, django;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'astana_cms.settings');"
            "django.setup();"
            "from astana_cms.imports.engine import import_file;"
            f"data = open({str(path)!r}, 'rb').read();"
            "start = time.perf_counter();"
            "from django.contrib.auth import get_user_model;"
            "user = get_user_model().objects.get(username='bench');"
            "report = import_file('excerpts', data, 'excerpts.csv', user);"
            "print(time.perf_counter() - start, report.counts.get('new', 0), len(report.problems),"
            " [str(p) for p in report.problems[:3]])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, created, problems, first = child.stdout.strip().split(" ", 3)
    seconds = float(seconds)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    imported = count / seconds
    print(f"import_sheet excerpts: {seconds:6.1f} s  {imported:8,.0f} rows/s  peak {peak:,.0f} MB")
    print(f"  {created} new, {problems} problems {first if problems != '0' else ''}")
    anchored = Excerpt.objects.filter(start__isnull=False, anchor_problem="").count()
    normalised = Excerpt.objects.filter(anchor_method="normalised").count()
    print(f"  anchored {anchored:,} ({normalised:,} through the normaliser)")

    # 2. The floor: the same rows, bulk_create alone.
    by_url = {s.url: s for s in sources}
    speaker_of = {s: a for a, names in zip(actors, spellings, strict=True) for s in names}
    round_of = {r.number: r for r in rounds}
    objects = [
        Excerpt(
            source=by_url[row[0]],
            text=row[1],
            speaker=speaker_of[row[2]],
            kind=row[3],
            round=round_of[row[4]],
        )
        for row in rows
    ]
    start = time.perf_counter()
    with transaction.atomic():
        Excerpt.objects.bulk_create(objects, batch_size=1000)
    floor = count / (time.perf_counter() - start)
    print(f"bulk_create floor:     {count / floor:6.1f} s  {floor:8,.0f} rows/s")

    # 3. django-import-export's own loop on a sample (defaults, and use_bulk).
    import tablib
    from import_export import fields, resources, widgets

    class PlainExcerptResource(resources.ModelResource):
        source = fields.Field("source", "source", widgets.ForeignKeyWidget(Source, "url"))
        speaker = fields.Field("speaker", "speaker", widgets.ForeignKeyWidget(Actor, "name_ar"))
        round = fields.Field("round", "round", widgets.ForeignKeyWidget(Round, "number"))

        class Meta:
            model = Excerpt
            fields = ("id", "source", "text", "speaker", "kind", "round")

    library = {}
    for use_bulk in (False, True):
        PlainExcerptResource._meta.use_bulk = use_bulk
        sample = tablib.Dataset(headers=["id", "source", "text", "speaker", "kind", "round"])
        for row in rows[:SAMPLE]:
            actor = speaker_of[row[2]]
            sample.append(["", row[0], row[1], actor.name_ar, row[3], row[4]])
        start = time.perf_counter()
        PlainExcerptResource().import_data(sample, raise_errors=True)
        library[use_bulk] = SAMPLE / (time.perf_counter() - start)
    print(f"import-export default: {library[False]:8,.0f} rows/s (sample of {SAMPLE:,})")
    print(f"import-export use_bulk:{library[True]:8,.0f} rows/s")
    print(
        f"ratios: import / floor {imported / floor:.2f}; import / import-export default "
        f"{imported / library[False]:.0f}x; target 5,000 rows/s and peak < 1,024 MB"
    )
    if options.json:
        figures = {
            "rows": count,
            "import_rows_per_s": imported,
            "import_seconds": seconds,
            "import_peak_mb": peak,
            "problems": int(problems),
            "floor_rows_per_s": floor,
            "import_export_rows_per_s": library[False],
            "import_export_bulk_rows_per_s": library[True],
        }
        options.json.write_text(json.dumps(figures, indent=1))
    connection.close()


if __name__ == "__main__":
    main()
