"""Give the newsroom's roles their workflow permissions on rounds, sources and excerpts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ENTRIES = {"rounds": ["round"], "statements": ["source", "excerpt"]}
ROLES = ["Editor", "Verifier", "Publisher"]
ROLE_ACTIONS = {
    "Verifier": ["verify", "return"],
    "Publisher": ["publish", "withdraw", "correct"],
}


def grant(apps, schema_editor):
    for app_label in [*ENTRIES, "editorial"]:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # what create_permissions checks for
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Everyone in the newsroom may read the audit trail; nobody may change it.
    read_audit = Permission.objects.get(
        content_type__app_label="editorial", codename="view_auditrecord"
    )
    for role in ROLES:
        Group.objects.get_or_create(name=role)[0].permissions.add(read_audit)
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, models in ENTRIES.items():
            for model in models:
                for action in actions:
                    group.permissions.add(
                        Permission.objects.get(
                            content_type__app_label=app_label, codename=f"{action}_{model}"
                        )
                    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    codenames = [
        f"{action}_{model}"
        for actions in ROLE_ACTIONS.values()
        for action in actions
        for models in ENTRIES.values()
        for model in models
    ]
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLE_ACTIONS):
        group.permissions.remove(*Permission.objects.filter(codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_audit_record"),
        ("rounds", "0002_workflow_and_history"),
        ("statements", "0004_workflow_and_history"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
