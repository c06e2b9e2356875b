"""Trigram indexes on the folded text the admin searches (PostgreSQL only).

The admin finds a word anywhere in an excerpt's quote or translation, or a source's headline,
after folding (`astana_fold`, editorial migration 0005). Without an index every search folds
every row: 12 s at 200,000 excerpts (see `astana_cms.trigram`).
"""

from django.db import migrations

from astana_cms.trigram import folded_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0006_faster_fold_function"),
        ("statements", "0013_search_newest"),
    ]

    operations = [
        folded_trigram_indexes(
            ("statements_excerpt_text_trgm", "statements_excerpt", "text"),
            ("statements_excerpt_translation_trgm", "statements_excerpt", "translation_en"),
            ("statements_source_headline_trgm", "statements_source", "headline"),
        )
    ]
