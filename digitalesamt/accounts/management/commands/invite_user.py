"""Invite a clerk of a Kommune or a reviewer of the ministry by e-mail."""

from smtplib import SMTPException
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from digitalesamt.accounts.invitations import (
    InvitationError,
    check_can_resend,
    invite_user,
    normalize_email,
    send_invitation,
)
from municipalities.models import Membership, Municipality


class Command(BaseCommand):
    help = _(
        "Lädt einen Benutzer ein: legt ihn ohne Passwort an, ordnet ihn einer Kommune oder dem "
        "Ministerium zu und schickt ihm einen Link, mit dem er sein Passwort festlegt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help=_("E-Mail-Adresse, zugleich der Benutzername"))
        parser.add_argument(
            "--kommune", metavar="ARS", help=_("Regionalschlüssel der Kommune (12 Ziffern)")
        )
        parser.add_argument(
            "--ministerium",
            action="store_true",
            help=_("als Prüferin oder Prüfer des Ministeriums (Gruppe „Prüfung“)"),
        )
        parser.add_argument(
            "--resend",
            action="store_true",
            help=_("einem schon eingeladenen Benutzer die Einladung erneut senden"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kommune"] is not None and options["ministerium"]:
            raise CommandError(
                _(
                    "Entweder --kommune oder --ministerium angeben: ein Benutzer gehört zu einer "
                    "Kommune oder zum Ministerium, nicht zu beiden."
                )
            )
        municipality = self.municipality(options["kommune"])
        try:
            if options["resend"]:
                user = self.resend(options["email"], municipality, options["ministerium"])
            else:
                if municipality is None and not options["ministerium"]:
                    raise CommandError(_("Bitte --kommune ARS oder --ministerium angeben."))
                user = invite_user(
                    email=options["email"],
                    municipality=municipality,
                    ministry=options["ministerium"],
                )
        except InvitationError as error:
            message = error.message
            if error.code == "exists":
                message += " " + _("Mit --resend wird die Einladung erneut gesendet.")
            raise CommandError(message) from error
        except (SMTPException, OSError) as error:
            raise CommandError(
                _(
                    "Die E-Mail an %(email)s konnte nicht gesendet werden (%(error)s). "
                    "Mit --resend erneut versuchen."
                )
                % {"email": normalize_email(options["email"]), "error": error}
            ) from error
        membership = Membership.objects.filter(user=user).select_related("municipality").first()
        where = membership.municipality.title if membership else _("Ministerium")
        self.stdout.write(
            _("Einladung an %(email)s gesendet (%(where)s).")
            % {"email": user.email, "where": where}
        )

    def municipality(self, ars: str | None) -> Municipality | None:
        if ars is None:
            return None
        municipality = Municipality.objects.filter(ars=ars.strip()).first()
        if municipality is None:
            raise CommandError(
                _("Unbekannter Regionalschlüssel (ARS): %(ars)s") % {"ars": ars.strip()}
            )
        return municipality

    def resend(self, email: str, municipality: Municipality | None, ministry: bool):
        email = normalize_email(email)
        user = (
            get_user_model()
            ._default_manager.filter(Q(username__iexact=email) | Q(email__iexact=email))
            .first()
        )
        if user is None:
            raise CommandError(
                _("Es gibt keinen Benutzer mit der E-Mail-Adresse %(email)s.") % {"email": email}
            )
        membership = Membership.objects.filter(user=user).first()
        # --resend never changes where a user belongs; a mismatch is a mistake worth naming.
        if municipality is not None and (
            membership is None or membership.municipality_id != municipality.pk
        ):
            raise CommandError(
                _("%(email)s gehört nicht zu %(kommune)s.")
                % {"email": email, "kommune": municipality.title}
            )
        if ministry and not user.is_staff:
            raise CommandError(_("%(email)s gehört nicht zum Ministerium.") % {"email": email})
        check_can_resend(user)
        send_invitation(user)
        return user
