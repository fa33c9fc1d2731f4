"""The ministry's roles: reviewers and administrators, as groups with exactly their permissions.

A clerk belongs to exactly one Kommune through `Membership` and needs no group; ministry users
are staff and get their permissions from the groups `setup_roles` maintains.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

REVIEWER_GROUP = "Prüfung"
ADMIN_GROUP = "Administration"

# What each group may do, as (app_label, codename) or (app_label, "*") for every permission of
# the app's models. The admin shows a model to a user only with a permission on it.
WORKFLOW_APPS = ("municipalities", "awards")
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    REVIEWER_GROUP: [
        *((app, "view_*") for app in WORKFLOW_APPS),
        # Review actions change the application; its status stays read-only in the admin.
        ("awards", "change_application"),
        ("awards", "add_spotcheck"),
        ("awards", "change_spotcheck"),
        # Revoking an award.
        ("awards", "change_award"),
        ("auth", "view_user"),
    ],
    ADMIN_GROUP: [
        *((app, "*") for app in WORKFLOW_APPS),
        ("auth", "add_user"),
        ("auth", "change_user"),
        ("auth", "delete_user"),
        ("auth", "view_user"),
        ("auth", "add_group"),
        ("auth", "change_group"),
        ("auth", "delete_group"),
        ("auth", "view_group"),
        # Deleting a lockout record of django-axes unlocks the login at once.
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
        # The audit trail (read-only for everyone): who changed what in the admin, and when.
        ("accounts", "view_auditentry"),
        # Resetting a user's lost second factor (the user admin's "Zweiten Faktor zurücksetzen").
        ("otp_totp", "delete_totpdevice"),
        ("otp_static", "delete_staticdevice"),
        ("django_otp_webauthn", "delete_webauthncredential"),
    ],
}


class RoleSetupError(Exception):
    """A permission the roles need does not exist (migrations have not run)."""


def role_permissions(group_name: str) -> QuerySet[Permission]:
    """Return the permissions `group_name` is meant to have."""
    condition = Q(pk__in=[])
    wanted = ROLE_PERMISSIONS[group_name]
    for app_label, codename in wanted:
        if codename == "*":
            condition |= Q(content_type__app_label=app_label)
        elif codename.endswith("*"):
            condition |= Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
        else:
            condition |= Q(content_type__app_label=app_label, codename=codename)
    permissions = Permission.objects.filter(condition)
    found = set(permissions.values_list("content_type__app_label", "codename"))
    missing = [
        f"{app_label}.{codename}"
        for app_label, codename in wanted
        if "*" not in codename and (app_label, codename) not in found
    ]
    if missing:
        raise RoleSetupError(
            _("Berechtigungen fehlen: %(missing)s. Bitte zuerst „migrate“ ausführen.")
            % {"missing": ", ".join(missing)}
        )
    return permissions


@transaction.atomic
def setup_roles() -> dict[str, tuple[int, int]]:
    """Create the ministry's groups and give each exactly its permissions.

    Returns per group the number of permissions added and removed; a second run returns zeros.
    """
    changes = {}
    for name in ROLE_PERMISSIONS:
        group, _created = Group.objects.get_or_create(name=name)
        wanted = set(role_permissions(name).values_list("pk", flat=True))
        current = set(group.permissions.values_list("pk", flat=True))
        group.permissions.add(*(wanted - current))
        group.permissions.remove(*(current - wanted))
        changes[name] = (len(wanted - current), len(current - wanted))
    return changes


def reviewer_group() -> Group:
    """Return the reviewers' group, setting up the roles if that has not happened yet."""
    group = Group.objects.filter(name=REVIEWER_GROUP).first()
    if group is None:
        setup_roles()
        group = Group.objects.get(name=REVIEWER_GROUP)
    return group
