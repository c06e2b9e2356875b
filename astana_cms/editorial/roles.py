"""The newsroom's roles and the permissions each holds: one map, read by the migration that
grants them, by `load_demo` and by the tests.

Editors create and edit drafts and propose corrections; verifiers check entries and
corrections against their evidence; publishers release, withdraw and correct. Everyone in the
newsroom reads everything here, the audit trail and the corrections included. A change to this
map takes a new migration that calls `grant` again, so that every database follows it.
"""

from __future__ import annotations

EDITOR, VERIFIER, PUBLISHER = "Editor", "Verifier", "Publisher"
ROLES = (EDITOR, VERIFIER, PUBLISHER)

# What the newsroom edits, by app; rows that only make sense inside their parent's page are
# removed there (an editor deletes a participant, an alias).
CONTENT_MODELS = {
    "rounds": ["round", "participation", "venue", "venuealias", "actor", "actoralias"],
    "statements": ["outlet", "topic", "source", "excerpt"],
}
INLINE_MODELS = {"participation", "venuealias", "actoralias"}
# The reviewed entries, and the workflow's own permissions on them (verify_excerpt…).
REVIEWED_MODELS = {"rounds": ["round"], "statements": ["source", "excerpt"]}
WORKFLOW_ACTIONS = {VERIFIER: ["verify", "return"], PUBLISHER: ["publish", "withdraw", "correct"]}
# The editorial records everyone reads and nobody edits.
RECORDS = {"editorial": ["auditrecord", "revision"]}
# What readers send: everyone in the newsroom reads the reports and records what was done.
READER_REPORTS = {"public": ["report"]}


def permissions(role: str) -> set[tuple[str, str]]:
    """The (app label, codename) pairs the group `role` holds."""
    granted = {
        (app_label, f"view_{model}")
        for models in (CONTENT_MODELS, RECORDS)
        for app_label, names in models.items()
        for model in names
    }
    for app_label, names in READER_REPORTS.items():
        granted |= {(app_label, f"{a}_{model}") for model in names for a in ("view", "change")}
    if role == EDITOR:
        for app_label, names in CONTENT_MODELS.items():
            for model in names:
                granted |= {(app_label, f"add_{model}"), (app_label, f"change_{model}")}
                if model in INLINE_MODELS:
                    granted.add((app_label, f"delete_{model}"))
    for app_label, names in REVIEWED_MODELS.items():
        for model in names:
            granted |= {(app_label, f"{a}_{model}") for a in WORKFLOW_ACTIONS.get(role, [])}
    return granted


def grant(apps, schema_editor=None) -> None:
    """Make each role's group hold exactly its permissions (a data migration calls this with
    its own app registry)."""
    from django.contrib.auth.management import create_permissions

    present = set()
    for app_label in {"editorial", *CONTENT_MODELS, *READER_REPORTS}:
        try:
            app_config = apps.get_app_config(app_label)
        except LookupError:  # an app whose first migration has not run yet: granted by it
            continue
        present.add(app_label)
        app_config.models_module = True  # what create_permissions checks for
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in sorted(permissions(role))
            if app_label in present
        ]
        group.permissions.set(wanted)
