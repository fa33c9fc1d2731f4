"""Impressum, Datenschutz, Barrierefreiheit with its feedback form, Leichte Sprache, and the
navigation and footer every page shares."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from django.utils.formats import date_format
from pytest_django.asserts import assertInHTML

from digitalesamt.public.forms import MESSAGE_MAX_LENGTH
from digitalesamt.public.views.pages import ACCESSIBILITY_STATEMENT_DATE
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.helpers import assert_csp_clean, text

pytestmark = pytest.mark.django_db

RECIPIENTS = ["barrierefreiheit@stmd.example"]
FEEDBACK = {
    "message": "Der Kontrast der Karte ist für mich zu schwach.",
    "page": "/karte/",
    "name": "Erika Mustermann",
    "email": "erika@example.org",
    "website": "",
}


@pytest.fixture
def feedback_inbox(settings):
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = RECIPIENTS
    settings.MINISTRY_NOTIFY_EMAILS = ["ministerium@stmd.example"]
    return RECIPIENTS


@pytest.fixture
def no_feedback_inbox(settings):
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = []
    settings.MINISTRY_NOTIFY_EMAILS = []


def region(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found is not None, pattern
    return found.group(0)


def main_nav(html: str) -> str:
    return region(html, r'<nav class="site-nav" aria-label="Hauptnavigation">.*?</nav>')


def footer(html: str) -> str:
    return region(html, r"<footer.*?</footer>")


def current_links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)" aria-current="page"', html)


def render_base_for(path: str) -> str:
    """Render the layout for a request to `path` without running its view."""
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    request.user = AnonymousUser()
    return render_to_string("base.html", request=request)


# The pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "heading", "facts"),
    [
        (
            "imprint",
            "Impressum",
            [
                "Oskar-von-Miller-Ring 35",
                "80333 München",
                "vertreten durch die Staatsministerin oder den Staatsminister für Digitales",
                "poststelle@stmd.bayern.de",
                "+49 89 453549-0",
                "§ 18 Abs. 2 MStV",
                "keine Umsatzsteuer-Identifikationsnummer",
                "© Statistisches Bundesamt (Destatis)",
                "Leistungskatalog der öffentlichen Verwaltung (LeiKa)",
                "EUPL-1.2",
                "SIL Open Font License",
            ],
        ),
        (
            "privacy",
            "Datenschutzerklärung",
            [
                "Art. 13 der Datenschutz-Grundverordnung",
                "datenschutz@stmd.bayern.de",
                "IP-Adresse",
                "nach 7 Tagen gelöscht",
                "keine Analyse- oder Tracking-Werkzeuge",
                "sie fragt keinen Kartendienst ab",
                "Art. 6 Abs. 1 Buchst. e DSGVO",
                "Art. 4 Abs. 1 des Bayerischen Datenschutzgesetzes",
                "Art. 15 DSGVO",
                "Art. 21 DSGVO",
                "Der Bayerische Landesbeauftragte für den Datenschutz",
                "Wagmüllerstraße 18",
                "80538 München",
            ],
        ),
        (
            "accessibility",
            "Erklärung zur Barrierefreiheit",
            [
                "Richtlinie (EU) 2016/2102",
                "BayBITV",
                "BITV 2.0",
                "EN 301 549",
                "WCAG) 2.1 in der Stufe AA",
                "weitgehend vereinbar",
                "axe-core",
                "die barrierefreie Alternative zur Karte",
                "kein barrierefreies PDF",
                "barrierefreiheit@stmd.bayern.de",
                "Durchsetzungs- und Überwachungsstelle für barrierefreie Informationstechnik",
                "Landesamt für Digitalisierung, Breitband und Vermessung",
            ],
        ),
        (
            "easy_language",
            "Digitales Amt in Leichter Sprache",
            [
                "Das nennt man: Online-Verfahren.",
                "Die Auszeichnung kommt vom Bayerischen Staatsministerium für Digitales.",
                "Oder Ihre Post-Leit-Zahl.",
                "digitales-amt.test/pruefen/<wbr>",
                "DA-2021-0001/",
            ],
        ),
    ],
)
def test_page_renders_its_content_under_one_heading(client, name, heading, facts):
    response = client.get(reverse(name))

    html = text(response)
    assert response.status_code == 200
    assert re.findall(r"<h1[ >].*?</h1>", html, re.S) == [
        f'<h1 class="kern-heading-large">{heading}</h1>'
    ]
    for fact in facts:
        assert fact in html
    assert "<script" not in html
    assert_csp_clean(response)


def test_privacy_names_the_cookies_the_settings_define(client, settings):
    settings.SESSION_COOKIE_NAME = "da_session"
    settings.SESSION_COOKIE_AGE = 4 * 3600
    settings.LANGUAGE_COOKIE_NAME = "da_language"

    html = text(client.get(reverse("privacy")))

    cookies = region(html, r'<ul class="site-cookies">.*?</ul>')
    for name in ("csrftoken", "da_language", "messages", "da_session"):
        assert f"<code>{name}</code>" in cookies
    assert "höchstens 4 Stunden" in cookies
    assert "52 Wochen" in cookies
    assert "bis Sie den Browser schließen" in cookies
    assert "Nach 5 fehlgeschlagenen Versuchen" in html
    assert "für 15 Minuten gesperrt" in html


def test_accessibility_statement_shows_the_date_set_in_the_code(client):
    html = text(client.get(reverse("accessibility")))

    assert date_format(ACCESSIBILITY_STATEMENT_DATE, "DATE_FORMAT") in html
    assert "Diese Erklärung wurde am 21. November 2026 erstellt" in html


def test_easy_language_states_the_thresholds_in_force(client, django_assert_max_num_queries):
    Threshold.objects.update_or_create(kind=Kind.GEMEINDE, defaults={"minimum": 55})
    Threshold.objects.update_or_create(kind=Kind.BEZIRK, defaults={"minimum": 33})

    with django_assert_max_num_queries(1):
        html = text(client.get(reverse("easy_language")))

    assert "Die Kommune braucht mindestens 55 Online-Verfahren." in html
    assert "Ein Bezirk braucht mindestens 33 Online-Verfahren." in html


def test_easy_language_falls_back_to_the_default_threshold(client):
    Threshold.objects.all().delete()

    html = text(client.get(reverse("easy_language")))

    assert f"mindestens {Threshold.DEFAULT_MINIMUM} Online-Verfahren" in html


@pytest.mark.parametrize("name", ["imprint", "privacy", "easy_language"])
def test_static_pages_refuse_post(client, name):
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", ["imprint", "privacy", "accessibility", "easy_language"])
def test_page_keeps_the_layout_skip_link_and_language_switch(client, name):
    html = text(client.get(reverse(name)))

    assert '<html lang="de">' in html
    assertInHTML('<a class="skip-link" href="#main">Zum Inhalt springen</a>', html)
    assert '<main id="main"' in html
    form = region(html, r'<form[^>]*action="/i18n/setlang/"[^>]*>.*?</form>')
    assert 'method="post"' in form
    assert 'name="language" value="en" lang="en"' in form


# Navigation and footer -------------------------------------------------------------------------


def test_main_navigation_links_the_public_pages_in_order(client):
    nav = main_nav(text(client.get(reverse("imprint"))))

    assert re.findall(r'href="([^"]+)"', nav) == [
        "/",
        "/karte/",
        "/statistik/",
        "/offene-daten/",
        "/leichte-sprache/",
    ]
    for label in ("Digitale Ämter", "Karte", "Statistik", "Offene Daten", "Leichte Sprache"):
        assert label in nav


def test_navigation_marks_the_easy_language_page_as_current(client):
    html = text(client.get(reverse("easy_language")))

    assert current_links(main_nav(html)) == ["/leichte-sprache/"]


def test_navigation_marks_nothing_on_a_page_outside_it(client):
    html = text(client.get(reverse("imprint")))

    assert current_links(main_nav(html)) == []
    assert current_links(footer(html)) == ["/impressum/"]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "/"),
        ("/karte/", "/karte/"),
        ("/statistik/", "/statistik/"),
        ("/offene-daten/", "/offene-daten/"),
        ("/kommunen/099990000001/", None),
        ("/konto/anmelden/", None),
    ],
)
def test_navigation_marks_the_page_the_request_resolved_to(path, current):
    nav = main_nav(render_base_for(path))

    assert current_links(nav) == ([current] if current else [])


def test_layout_renders_without_a_resolved_view():
    request = RequestFactory().get("/gibt-es-nicht/")
    request.user = AnonymousUser()

    html = render_to_string("base.html", request=request)

    assert current_links(html) == []
    assert "Hauptnavigation" in html


def test_footer_links_the_legal_pages_and_names_the_provider_and_source(client):
    html = footer(text(client.get(reverse("privacy"))))

    assert re.findall(r'href="([^"]+)"', html) == [
        "/impressum/",
        "/datenschutz/",
        "/barrierefreiheit/",
        "/leichte-sprache/",
        "/offene-daten/",
        "/pruefen/",
    ]
    assert current_links(html) == ["/datenschutz/"]
    assert "Gemeindeverzeichnis: © Statistisches Bundesamt (Destatis)" in html
    assert "Ein Angebot des Bayerischen Staatsministeriums für Digitales" in html


def test_portal_pages_keep_their_own_navigation_beside_the_main_one(clerk_client):
    html = text(clerk_client.get(reverse("portal:dashboard")))

    assert current_links(main_nav(html)) == []
    portal = region(html, r'<nav class="portal-nav".*?</nav>')
    assert current_links(portal) == ["/portal/"]
    assert "Gemeindeverzeichnis: © Statistisches Bundesamt (Destatis)" in footer(html)


# The feedback form -----------------------------------------------------------------------------


def test_feedback_form_is_offered_when_a_recipient_is_configured(client, feedback_inbox):
    html = text(client.get(reverse("accessibility")))

    form = region(html, r'<form class="site-form[^"]*" method="post".*?</form>')
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="message"' in form
    assert re.search(r'<div class="site-honeypot">.*?name="website".*?</div>', form, re.S)


def test_feedback_is_mailed_to_the_configured_recipients(client, feedback_inbox, mailoutbox):
    response = client.post(reverse("accessibility"), FEEDBACK)

    assert response.status_code == 302
    assert response.url == reverse("accessibility") + "#main"
    (mail,) = mailoutbox
    assert mail.to == RECIPIENTS
    assert mail.subject == "Rückmeldung zur Barrierefreiheit – Digitales Amt"
    assert "Der Kontrast der Karte ist für mich zu schwach." in mail.body
    assert "Betroffene Seite: /karte/" in mail.body
    assert "Name: Erika Mustermann" in mail.body
    assert "E-Mail-Adresse: erika@example.org" in mail.body
    assert "https://digitales-amt.test/barrierefreiheit/" in mail.body


def test_feedback_success_is_confirmed_after_the_redirect(client, feedback_inbox):
    response = client.post(reverse("accessibility"), FEEDBACK, follow=True)

    html = text(response)
    assert response.redirect_chain == [(reverse("accessibility") + "#main", 302)]
    assert "Vielen Dank für Ihre Rückmeldung." in html
    assert "kern-alert--success" in html
    # The form is empty again: a reload cannot send the same feedback twice.
    assert "Erika Mustermann" not in html


def test_feedback_needs_only_the_message(client, feedback_inbox, mailoutbox):
    client.post(reverse("accessibility"), {"message": "Der Fokus ist nicht sichtbar."})

    (mail,) = mailoutbox
    assert "Name: (keine Angabe)" in mail.body
    assert "E-Mail-Adresse: (keine Angabe)" in mail.body


def test_feedback_goes_to_the_ministry_inbox_without_its_own_setting(client, settings, mailoutbox):
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = []
    settings.MINISTRY_NOTIFY_EMAILS = ["digitales-amt@stmd.example"]

    client.post(reverse("accessibility"), FEEDBACK)

    (mail,) = mailoutbox
    assert mail.to == ["digitales-amt@stmd.example"]


def test_an_empty_setting_counts_as_no_recipient(client, settings, mailoutbox):
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = [""]
    settings.MINISTRY_NOTIFY_EMAILS = [""]

    html = text(client.get(reverse("accessibility")))

    assert 'name="message"' not in html


def test_feedback_without_a_recipient_shows_only_the_address(client, no_feedback_inbox, mailoutbox):
    html = text(client.get(reverse("accessibility")))

    assert 'name="message"' not in html
    assert 'href="mailto:barrierefreiheit@stmd.bayern.de"' in html

    response = client.post(reverse("accessibility"), FEEDBACK, follow=True)

    assert "Das Formular ist derzeit nicht verfügbar" in text(response)
    assert mailoutbox == []


def test_feedback_without_a_message_is_refused_and_keeps_the_input(
    client, feedback_inbox, mailoutbox
):
    response = client.post(reverse("accessibility"), {**FEEDBACK, "message": "  "})

    html = text(response)
    assert response.status_code == 200
    assert "Bitte korrigieren Sie die markierten Angaben." in html
    # What to do, not Django's "Dieses Feld ist zwingend erforderlich."
    assert "Beschreiben Sie, was Sie auf der Seite nicht nutzen konnten." in html
    assert "Dieses Feld ist zwingend erforderlich." not in html
    assert re.search(r'<textarea[^>]*name="message"[^>]*aria-invalid="true"', html)
    assert 'value="Erika Mustermann"' in html
    assert 'value="erika@example.org"' in html
    assert mailoutbox == []


def test_feedback_with_a_bad_email_address_is_refused(client, feedback_inbox, mailoutbox):
    response = client.post(reverse("accessibility"), {**FEEDBACK, "email": "erika@"})

    page = text(response)
    assert "Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel" in page
    assert "Bitte gültige E-Mail-Adresse eingeben." not in page
    assert mailoutbox == []


def test_feedback_longer_than_the_limit_is_refused(client, feedback_inbox, mailoutbox):
    response = client.post(
        reverse("accessibility"), {**FEEDBACK, "message": "x" * (MESSAGE_MAX_LENGTH + 1)}
    )

    assert response.status_code == 200
    assert "höchstens 5000 Zeichen" in text(response)
    assert mailoutbox == []


def test_feedback_of_exactly_the_limit_is_sent(client, feedback_inbox, mailoutbox):
    client.post(reverse("accessibility"), {**FEEDBACK, "message": "x" * MESSAGE_MAX_LENGTH})

    assert len(mailoutbox) == 1


def test_feedback_with_the_trap_field_filled_sends_nothing_but_looks_sent(
    client, feedback_inbox, mailoutbox
):
    response = client.post(
        reverse("accessibility"), {**FEEDBACK, "website": "https://spam.example"}, follow=True
    )

    assert "Vielen Dank für Ihre Rückmeldung." in text(response)
    assert mailoutbox == []


def test_feedback_needs_the_csrf_token(feedback_inbox, mailoutbox):
    client = Client(enforce_csrf_checks=True)

    refused = client.post(reverse("accessibility"), FEEDBACK)

    assert refused.status_code == 403
    assert mailoutbox == []

    client.get(reverse("accessibility"))
    token = client.cookies["csrftoken"].value
    accepted = client.post(reverse("accessibility"), {**FEEDBACK, "csrfmiddlewaretoken": token})

    assert accepted.status_code == 302
    assert len(mailoutbox) == 1


def test_feedback_html_stays_plain_text(client, feedback_inbox, mailoutbox):
    markup = '<script>alert("x")</script> & <b>fett</b>'

    client.post(reverse("accessibility"), {**FEEDBACK, "message": markup, "name": "<i>Eva</i>"})

    (mail,) = mailoutbox
    assert mail.content_subtype == "plain"
    assert getattr(mail, "alternatives", []) == []
    assert markup in mail.body
    assert "Name: <i>Eva</i>" in mail.body
    assert "&lt;" not in mail.body


def test_feedback_html_is_escaped_when_the_form_is_shown_again(client, feedback_inbox):
    response = client.post(
        reverse("accessibility"), {**FEEDBACK, "message": "<b>fett</b>", "email": "kaputt"}
    )

    html = text(response)
    assert "&lt;b&gt;fett&lt;/b&gt;" in html
    assert "<b>fett</b>" not in html


def test_feedback_mail_is_german_for_an_english_reader(client, feedback_inbox, mailoutbox):
    client.post(reverse("accessibility"), FEEDBACK, HTTP_ACCEPT_LANGUAGE="en")

    (mail,) = mailoutbox
    assert mail.subject == "Rückmeldung zur Barrierefreiheit – Digitales Amt"
    assert "Sprache der Seite: en" in mail.body


def test_feedback_form_takes_the_page_from_the_link(client, feedback_inbox):
    html = text(client.get(reverse("accessibility"), {"seite": "/statistik/"}))

    assert re.search(r'<input[^>]*name="page"[^>]*value="/statistik/"', html)
