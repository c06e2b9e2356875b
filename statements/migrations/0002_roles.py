"""The newsroom's roles as Django groups, so that an operator grants them in the admin.

Editors create and edit drafts; verifiers and publishers read everything here, and receive the
workflow's own permissions (verify, publish…) in the workflow's migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_MODELS = {
    "rounds": ["round", "participation", "venue", "venuealias", "actor", "actoralias"],
    "statements": ["outlet", "topic", "source", "excerpt"],
}
# Rows that only make sense inside their parent's form: editors may remove them there.
INLINE_MODELS = {"participation", "venuealias", "actoralias"}


def codenames_for(role):
    for app_label, models in CONTENT_MODELS.items():
        for model in models:
            yield app_label, f"view_{model}"
            if role == "Editor":
                yield app_label, f"add_{model}"
                yield app_label, f"change_{model}"
                if model in INLINE_MODELS:
                    yield app_label, f"delete_{model}"


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_label in ("rounds", "statements"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # what create_permissions checks for
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ("Editor", "Verifier", "Publisher"):
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, codename in codenames_for(role):
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Editor", "Verifier", "Publisher"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("rounds", "0001_initial"),
        ("statements", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
