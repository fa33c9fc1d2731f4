import base64

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.utils.translation import gettext as _

from awards import demo, demo_source
from awards.models import Award
from municipalities.importing.postcodes import SAMPLE_POSTCODES
from municipalities.models import Municipality, PostalCode, Service


class Command(BaseCommand):
    help = _(
        "Lädt Demo-Daten: die ersten Träger des Prädikats mit Verleihungsdatum und Nummer, "
        "Online-Verfahren aus dem Leistungskatalog und Demo-Zugänge."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Auch mit DEBUG=false laden (nie auf einem Produktivsystem)."),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Nichts tun, wenn schon Auszeichnungen vorhanden sind."),
        )
        parser.add_argument("--seed", type=int, default=2021, help=_("Startwert des Zufalls."))

    def handle(self, *args, force: bool, if_empty: bool, seed: int, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "Demo-Daten werden nur mit DEBUG=true geladen, denn sie legen Zugänge mit "
                    "bekanntem Passwort an. Auf einem Testsystem: --force."
                )
            )
        if Award.objects.exists():
            if if_empty:
                self.stdout.write(_("Demo-Daten sind schon geladen; nichts zu tun."))
                self.second_factor()
                return
            raise CommandError(
                _("Die Datenbank enthält schon Auszeichnungen; Demo-Daten gehören in eine leere.")
            )
        if not Municipality.objects.exists():
            call_command("import_municipalities", stdout=self.stdout, stderr=self.stderr)
        if not Service.objects.exists():
            call_command("import_services", stdout=self.stdout, stderr=self.stderr)
        if not PostalCode.objects.exists():
            # A sample of a few Kommunen (municipalities/data/README.md), not all of Bavaria.
            self.stdout.write(_("Postleitzahlen: nur die Stichprobe einiger Kommunen."))
            call_command(
                "import_postcodes", str(SAMPLE_POSTCODES), stdout=self.stdout, stderr=self.stderr
            )

        plan = demo.seed(seed_value=seed)
        source = demo_source.load_demo_source(plan)

        links = sum(plan.live_counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo-Daten geladen: %(awards)d Auszeichnungen, %(kommunen)d Kommunen mit "
                    "%(links)d Online-Verfahren, %(users)d Zugänge."
                )
                % {
                    "awards": len(plan.awards),
                    "kommunen": len(plan.live_counts),
                    "links": links,
                    "users": len(plan.live_counts) + 2,
                }
            )
        )
        self.stdout.write(
            _(
                "Demo-Bundesdaten geladen (Demo-Daten, keine echten Bundesdaten): %(records)d "
                "Einträge für %(kommunen)d Kommunen und %(central)d zentrale Verfahren des "
                "Freistaats; Zählstände mit Verlauf gespeichert."
            )
            % {"records": source.records, "kommunen": source.synced, "central": source.central}
        )
        queued = {m.pk for m in plan.ready[: demo.QUEUED]}
        self.stdout.write(
            _("Antrag eingereicht: %(names)s; bereit zum Antrag: %(ready)s")
            % {
                "names": ", ".join(plan.usernames[m.pk] for m in plan.ready if m.pk in queued),
                "ready": ", ".join(plan.usernames[m.pk] for m in plan.ready if m.pk not in queued),
            }
        )
        self.second_factor()

    def second_factor(self) -> None:
        """Print the demo logins; with DEBUG on, give the staff the demo app and print its key."""
        self.stdout.write(
            _(
                "Anmeldung: %(reviewer)s (Prüfung), %(admin)s (Administration) oder z. B. "
                "nuernberg, Passwort %(password)s"
            )
            % {
                "reviewer": demo.REVIEWER_USERNAME,
                "admin": demo.ADMIN_USERNAME,
                "password": demo.DEMO_PASSWORD,
            }
        )
        if not settings.DEBUG:
            self.stdout.write(
                _(
                    "Zweiter Faktor: ohne DEBUG kein Demo-Schlüssel; %(reviewer)s und %(admin)s "
                    "richten ihn bei der ersten Anmeldung ein."
                )
                % {"reviewer": demo.REVIEWER_USERNAME, "admin": demo.ADMIN_USERNAME}
            )
            return
        enrolled = demo.enrol_demo_staff()
        if not enrolled:
            return
        secret = base64.b32encode(bytes.fromhex(demo.DEMO_TOTP_KEY)).decode()
        self.stdout.write(
            _(
                "Zweiter Faktor für %(users)s (nur Entwicklung): in einer Authenticator-App den "
                "Schlüssel %(secret)s eintragen (zeitbasiert, 6 Ziffern, 30 Sekunden), oder diese "
                "Adresse als QR-Code scannen: %(uri)s"
            )
            % {
                "users": ", ".join(enrolled),
                "secret": secret,
                "uri": demo.demo_totp_uri(enrolled[0]),
            }
        )
