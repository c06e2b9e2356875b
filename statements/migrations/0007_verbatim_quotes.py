"""Verbatim by construction: an anchored excerpt's text becomes its source's own words.

Until now the quote kept the editor's typing (bare alefs, other quote marks) while the passage
it anchored to, which the verifier checked, held the source's spelling. The checked passage is
what the record promises, so it becomes the text.
"""

from django.db import migrations


def source_words(apps, schema_editor):
    Excerpt = apps.get_model("statements", "Excerpt")
    changed = []
    anchored = Excerpt.objects.filter(start__isnull=False, end__isnull=False)
    for excerpt in anchored.select_related("source").iterator(chunk_size=1000):
        words = excerpt.source.text[excerpt.start : excerpt.end]
        if words and words == excerpt.quote_exact and excerpt.text != words:
            excerpt.text = words
            changed.append(excerpt)
        if len(changed) >= 1000:
            Excerpt.objects.bulk_update(changed, ["text"])
            changed = []
    Excerpt.objects.bulk_update(changed, ["text"])


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0006_search_index"),
    ]

    operations = [migrations.RunPython(source_words, migrations.RunPython.noop)]
