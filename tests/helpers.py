"""Helpers shared by the tests."""

from astana_cms.imports import engine as importing
from tests.factories import UserFactory


def import_file(kind, data, filename, user=None, **options):
    """The import engine as an editor runs it: an import always names its importer."""
    importer = user or UserFactory(username="editor", role="Editor")
    return importing.import_file(kind, data, filename, importer, **options)
