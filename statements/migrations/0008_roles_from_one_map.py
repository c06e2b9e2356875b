"""The roles' permissions from the one map in astana_cms/editorial/roles.py (which also lets
everyone read the corrections)."""

from django.db import migrations

from astana_cms.editorial.roles import grant


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("editorial", "0003_integrity"),
        ("rounds", "0002_workflow_and_history"),
        ("statements", "0007_verbatim_quotes"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
