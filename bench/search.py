"""Search speed on a large archive: prints figures and ratios, asserts nothing.

Generates N published Arabic excerpts (default 200,000) in a scratch PostgreSQL database: 12–30
words each from a vocabulary of a few thousand, with a common word in 11.5% of them (23,000 of
200,000, as in the issue's measurement) and a rare one in 0.1%. Then times, for each: the naive
`icontains` count plus first page, and the product's search (stored tsvector + GIN) capped count
and ranked first page.

    DATABASE_URL=postgres://postgres@127.0.0.1/astana_bench .venv/bin/python bench/search.py [N]

The database named is dropped and created anew: never point this at real data.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astana_cms.settings")

from scratch import recreate_database

WORDS = (
    "الدول الضامنة تؤكد التزامها بسيادة سوريا ووحدة أراضيها ومواصلة الجهود لمكافحة الإرهاب "
    "وتهيئة الظروف لعودة اللاجئين الآمنة والطوعية وتسهيل وصول المساعدات الإنسانية ودعم عمل "
    "اللجنة الدستورية وفق القرار 2254 والإفراج عن المحتجزين وتبادل الجثث والبحث عن المفقودين "
    "وخفض التصعيد في إدلب ورفض الأجندات الانفصالية وإدانة الاعتداءات الإسرائيلية على الأراضي "
    "السورية وتطبيع العلاقات بين أنقرة ودمشق واجتماع نواب وزراء الخارجية في أستانا"
).split()
COMMON = "الدستورية"
RARE = "زلزال"
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    made = {"".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7))) for _ in range(size)}
    return sorted(made - {COMMON, RARE} | set(WORDS) - {COMMON})


def sentence(rng: random.Random, vocab: list[str]) -> str:
    words = [rng.choice(vocab) for _ in range(rng.randint(12, 30))]
    if rng.random() < 0.115:
        words.insert(rng.randrange(len(words)), COMMON)
    if rng.random() < 0.001:
        words.insert(rng.randrange(len(words)), RARE)
    return " ".join(words)


def timed(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    recreate_database()
    from django.db import connection

    from astana_cms.editorial.models import State
    from rounds.models import Actor, Round, Venue
    from statements import search
    from statements.models import Excerpt, SearchEntry, Source

    venue = Venue.objects.create(slug="astana", name_ar="أستانا", name_en="Astana")
    speaker = Actor.objects.create(slug="s", kind="state", name_ar="روسيا", name_en="Russia")
    round_ = Round.objects.create(
        number=1,
        slug="round-1",
        name_ar="أستانا 1",
        start_date="2017-01-23",
        end_date="2017-01-24",
        venue=venue,
        state=State.PUBLISHED,
    )
    source = Source.objects.create(text="نص", state=State.PUBLISHED)
    rng = random.Random(2254)
    vocab = vocabulary(rng)
    started = time.perf_counter()
    batch = []
    for _ in range(count):
        text = sentence(rng, vocab)
        batch.append(
            Excerpt(
                source=source,
                round=round_,
                speaker=speaker,
                text=text,
                state=State.PUBLISHED,
            )
        )
        if len(batch) == 5000:
            Excerpt.objects.bulk_create(batch)
            batch = []
    Excerpt.objects.bulk_create(batch)
    indexed = SearchEntry.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE statements_excerpt")
    print(f"generated and indexed {indexed:,} excerpts in {time.perf_counter() - started:.0f} s")

    aliases = search.alias_table()
    published = Excerpt.objects.published()
    entries = SearchEntry.objects.all()
    print(f"{'query':<10} {'method':<30} {'matches':>8} {'ms':>8}")
    for word in (COMMON, RARE):
        query = search.parse(word, aliases)
        naive = published.filter(text__icontains=word)
        matches = naive.count()

        def naive_page(qs=naive):
            qs.count()
            list(qs.order_by("-pk")[:20])

        def product_count(q=query):
            search.matching(entries, q).order_by()[: search.RESULT_CAP + 1].count()

        def product_page(q=query):
            ids = [entry.pk for entry in search.apply(entries, q)[:20]]
            list(published.filter(pk__in=ids).select_related("speaker", "round", "source"))

        baseline = timed(naive_page)
        counted = timed(product_count)
        ranked = timed(product_page)
        print(f"{word:<10} {'icontains count + page':<30} {matches:>8} {baseline:>8.1f}")
        print(f"{word:<10} {'tsvector capped count':<30} {matches:>8} {counted:>8.1f}")
        print(f"{word:<10} {'tsvector ranked first page':<30} {matches:>8} {ranked:>8.1f}")
        print(f"{word:<10} ratio icontains / (count + page): {baseline / (counted + ranked):.1f}x")


if __name__ == "__main__":
    main()
