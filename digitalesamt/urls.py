from django.conf import settings
from django.conf.urls.static import static as media_urls
from django.contrib import admin
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from .lib import health as readiness
from .lib import metrics
from .public.views import pages, unsubscribe

admin.site.site_header = _("Digitales Amt – Prüfung im Staatsministerium")
admin.site.site_title = _("Digitales Amt")
admin.site.index_title = _("Verwaltung")
# The admin signs out to the same German page as the portal.
admin.site.logout_template = "accounts/logged_out.html"


def health(request: HttpRequest) -> HttpResponse:
    """Answer "ok": for load balancers, and the floor the public pages are measured against."""
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Answer browsers that ask for /favicon.ico on pages without an icon link (the admin)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("health/", health, name="health"),
    path("health/ready/", readiness.ready, name="health_ready"),
    path("metrics/", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Switching the language changes nothing but a cookie, so it needs no CSRF token; public
    # pages then set no cookie at all and stay cacheable for every visitor.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # django-otp-webauthn's JSON endpoints of the passkey ceremonies (namespace otp_webauthn).
    path("konto/passkeys/", include("django_otp_webauthn.urls")),
    path("konto/", include("digitalesamt.accounts.urls")),
    path("portal/", include("digitalesamt.portal.urls")),
    path("impressum/", pages.imprint, name="imprint"),
    path("datenschutz/", pages.privacy, name="privacy"),
    path("barrierefreiheit/", pages.accessibility, name="accessibility"),
    path("leichte-sprache/", pages.easy_language, name="easy_language"),
    # The personal link in the ministry's reminder mails (awards.unsubscribe): kept forever.
    path(
        "erinnerungen/abbestellen/<str:token>/",
        unsubscribe.reminder_unsubscribe,
        name="reminder_unsubscribe",
    ),
    path("", include("digitalesamt.public.urls")),
]

if settings.DEBUG:
    # Imported under another name: `static` is the template helper the favicon view calls.
    urlpatterns += media_urls(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
