"""The roles in the database are the one map in astana_cms/editorial/roles.py."""

import pytest
from django.contrib.auth.models import Group

from astana_cms.editorial import roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_group_holds_exactly_its_roles_permissions(role):
    held = set(
        Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    )
    assert held == roles.permissions(role)


def test_the_map_gives_the_workflow_to_the_right_people():
    assert ("statements", "verify_excerpt") in roles.permissions(roles.VERIFIER)
    assert ("statements", "verify_excerpt") not in roles.permissions(roles.EDITOR)
    assert ("statements", "correct_excerpt") in roles.permissions(roles.PUBLISHER)
    assert ("statements", "change_excerpt") not in roles.permissions(roles.PUBLISHER)
    assert ("editorial", "change_auditrecord") not in set().union(
        *(roles.permissions(r) for r in roles.ROLES)
    )
