"""Choices of the register and the procedure links."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib import linkcheck


class Kind(models.TextChoices):
    GEMEINDE = "gemeinde", _("Gemeinde")
    MARKT = "markt", _("Markt")
    STADT = "stadt", _("Stadt")
    GROSSE_KREISSTADT = "grosse_kreisstadt", _("Große Kreisstadt")
    KREISFREIE_STADT = "kreisfreie_stadt", _("Kreisfreie Stadt")
    VG = "vg", _("Verwaltungsgemeinschaft")
    LANDKREIS = "landkreis", _("Landkreis")
    BEZIRK = "bezirk", _("Bezirk")


# The kinds that are one Gemeinde (a kreisfreie Stadt is Gemeinde and Kreis at once).
GEMEINDE_KINDS = (
    Kind.GEMEINDE,
    Kind.MARKT,
    Kind.STADT,
    Kind.GROSSE_KREISSTADT,
    Kind.KREISFREIE_STADT,
)

# The form of the name people use on a plaque or a letterhead.
TITLE_PREFIXES = {
    Kind.GEMEINDE: _("Gemeinde"),
    Kind.MARKT: _("Markt"),
    Kind.STADT: _("Stadt"),
    Kind.GROSSE_KREISSTADT: _("Große Kreisstadt"),
    Kind.KREISFREIE_STADT: _("Stadt"),
    Kind.VG: _("Verwaltungsgemeinschaft"),
    Kind.LANDKREIS: _("Landratsamt"),
    Kind.BEZIRK: _("Bezirk"),
}


class Scope(models.TextChoices):
    KOMMUNAL = "kommunal", _("kommunal")
    ZENTRAL = "zentral", _("zentral")


class LinkCheckResult(models.TextChoices):
    OK = linkcheck.OK, _("erreichbar")
    REDIRECTED = linkcheck.REDIRECTED, _("weitergeleitet")
    NOT_FOUND = linkcheck.NOT_FOUND, _("nicht gefunden")
    TIMEOUT = linkcheck.TIMEOUT, _("Zeitüberschreitung")
    BROKEN = linkcheck.BROKEN, _("nicht erreichbar")
    REFUSED = linkcheck.REFUSED, _("nicht geprüft (Adresse nicht erlaubt)")


class PageKind(models.TextChoices):
    """What the link check found behind a reachable link: a hint, never a verdict."""

    FORM = linkcheck.PAGE_FORM, _("Online-Formular")
    LOGIN = linkcheck.PAGE_LOGIN, _("Anmeldung bei einem Online-Dienst")
    PDF = linkcheck.PAGE_PDF, _("PDF-Formular zum Herunterladen")
    INFORMATION = linkcheck.PAGE_INFORMATION, _("Informationsseite")


# The Freistaat's own ARS: a record there that is "landesweit flächendeckend" is a central
# procedure any Bavarian Kommune can link (scope zentral).
LAND_ARS = "090000000000"


class SourceCoverage(models.TextChoices):
    """The federal dashboard's `art_flaechendeckung`, stored by a short value."""

    BUND = "bund", _("bundesweit flächendeckend")
    LAND = "land", _("landesweit flächendeckend")
    KREIS = "kreis", _("kreisweit flächendeckend")
    KOMMUNE = "kommune", _("in mind. einer Kommune verfügbar")
    NONE = "none", _("nicht in Auswertung berücksichtigt")
