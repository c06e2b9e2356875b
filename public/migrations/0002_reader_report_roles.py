"""The newsroom's roles read readers' reports and record what was done (the one roles map)."""

from django.db import migrations

from astana_cms.editorial.roles import grant


class Migration(migrations.Migration):
    dependencies = [
        ("public", "0001_reader_reports"),
        ("statements", "0010_source_citation_incomplete"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
