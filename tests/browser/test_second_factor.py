"""The second factor in Chromium: setting up the app, recovery codes, passkeys, accessibility."""

import base64
import io
import re

import pyotp
import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from PIL import Image
from playwright.sync_api import expect

from digitalesamt.accounts.roles import ADMIN_GROUP
from tests.browser.helpers import log_in
from tests.helpers import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }
}


def violations(page) -> list[str]:
    found = Axe().run(page, options=RULES).response["violations"]
    return [f"{page.url}: {item['id']} ({item['nodes'][0]['target']})" for item in found]


def fits(page, width: int) -> list[str]:
    wide = page.evaluate("document.documentElement.scrollWidth")
    return [f"{page.url} is {wide}px wide at {width}px"] if wide > width else []


@pytest.fixture
def newcomer(roles):
    """An administrator invited today: a password, no second factor yet."""
    user = get_user_model().objects.create_user("neu", "neu@stmd.example", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=ADMIN_GROUP))
    return user


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_set_up_the_app_and_keep_recovery_codes(new_page, newcomer, settings, width):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    page = new_page(viewport={"width": width, "height": 900}, bypass_csp=False)
    problems: list[str] = []
    page.goto("/konto/anmelden/")
    page.get_by_label("Benutzername").fill("neu")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page).to_have_url(re.compile(r"/konto/zweiter-faktor/einrichten/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    qr = page.get_by_alt_text("QR-Code für Ihre Authenticator-App")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth") > 0
    problems += violations(page) + fits(page, width)
    secret = page.locator(".site-secret").text_content().replace(" ", "")
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert [code.text for code in scanned] == [
        f"otpauth://totp/Digitales%20Amt%3Aneu?secret={secret}&algorithm=SHA1&digits=6"
        "&period=30&issuer=Digitales%20Amt"
    ]
    page.get_by_label("Code aus der Authenticator-App").fill("000000")
    page.get_by_role("button", name="Einrichten").click()
    expect(page.get_by_text("Der Code stimmt nicht.").first).to_be_visible()
    problems += violations(page)
    page.get_by_label("Code aus der Authenticator-App").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Einrichten").click()

    expect(page).to_have_url(re.compile(r"/wiederherstellungscodes/$"))
    codes = page.locator(".site-codes code").all_text_contents()
    assert len(set(codes)) == 10
    problems += violations(page) + fits(page, width)
    page.get_by_role("button", name="Ich habe die Codes gespeichert").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.goto("/konto/zweiter-faktor/verwalten/")
    expect(page.get_by_text("Noch 10 Codes übrig.")).to_be_visible()
    problems += violations(page) + fits(page, width)

    # Next time: the code step, and a recovery code instead of the app.
    page.get_by_role("button", name="Abmelden").click()
    page.goto("/konto/anmelden/")
    page.get_by_label("Benutzername").fill("neu")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bestätigen")
    problems += violations(page) + fits(page, width)
    page.get_by_role("link", name="Mit einem Wiederherstellungscode anmelden").click()
    problems += violations(page) + fits(page, width)
    page.get_by_label("Wiederherstellungscode").fill(codes[0])
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert problems == []
    assert page.console_errors == []


def test_reviewer_logs_in_with_the_app_code(new_page, reviewer):
    page = new_page()

    log_in(page, reviewer.username)

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Verwaltung")).to_be_visible()


def virtual_authenticator(page) -> None:
    """A passkey authenticator in Chromium, driven over the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_a_passkey_is_added_and_then_replaces_the_code(new_page, live_server, reviewer, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    page = new_page()
    virtual_authenticator(page)
    log_in(page, reviewer.username)
    page.goto("/konto/zweiter-faktor/verwalten/")

    page.get_by_role("button", name="Passkey hinzufügen").click()

    expect(page.get_by_text("Der Passkey ist hinzugefügt.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Passkey 1, hinzugefügt am \d+\. \w+ \d{4}$"))
    ).to_be_visible()
    assert WebAuthnCredential.objects.filter(user=reviewer, confirmed=True).count() == 1
    problems = violations(page)

    page.get_by_role("button", name="Abmelden").click()
    page.goto("/konto/anmelden/?next=/admin/")
    page.get_by_label("Benutzername").fill(reviewer.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bestätigen")
    problems += violations(page)
    page.get_by_role("button", name="Mit Passkey anmelden").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    credential = WebAuthnCredential.objects.get(user=reviewer)
    assert credential.last_used_at is not None
    page.goto("/konto/zweiter-faktor/verwalten/")
    page.get_by_role("button", name="Entfernen Passkey 1").click()
    expect(page.get_by_text("Der Passkey ist entfernt.")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=reviewer).exists()
    assert problems == []
    assert page.console_errors == []


def test_a_clerk_opts_in_from_the_header(new_page, clerk, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    page = new_page()
    log_in(page, clerk.username)
    expect(page).to_have_url(re.compile(r"/portal/$"))

    page.get_by_role("link", name="Zweiter Faktor").click()
    page.get_by_role("link", name="Authenticator-App einrichten").click()
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    page.get_by_label("Code aus der Authenticator-App").fill(code)
    page.get_by_role("button", name="Einrichten").click()
    page.get_by_role("button", name="Ich habe die Codes gespeichert").click()
    page.get_by_role("button", name="Abmelden").click()

    log_in(page, clerk.username)  # now with the code: the helper sees the clerk's app
    expect(page).to_have_url(re.compile(r"/portal/$"))
    assert totp_code(clerk)
