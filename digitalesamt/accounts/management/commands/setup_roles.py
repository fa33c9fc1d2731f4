"""Create the ministry's groups "Prüfung" and "Administration" with their permissions."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from digitalesamt.accounts.roles import RoleSetupError, setup_roles


class Command(BaseCommand):
    help = _(
        "Legt die Gruppen „Prüfung“ und „Administration“ an und gibt ihnen genau ihre "
        "Berechtigungen. Kann beliebig oft laufen."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changes = setup_roles()
        except RoleSetupError as error:
            raise CommandError(str(error)) from error
        for name, (added, removed) in changes.items():
            if added or removed:
                self.stdout.write(
                    _(
                        "Gruppe „%(name)s“: %(added)d Berechtigungen hinzugefügt, "
                        "%(removed)d entfernt."
                    )
                    % {"name": name, "added": added, "removed": removed}
                )
            else:
                self.stdout.write(_("Gruppe „%(name)s“ ist aktuell.") % {"name": name})
