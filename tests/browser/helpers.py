"""What browser tests share: signing in through the form, both steps."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.helpers import PASSWORD, totp_code

SECOND_STEP = re.compile(r"/konto/zweiter-faktor/(\?.*)?$")


def log_in(page, username: str) -> None:
    """Sign in through /konto/anmelden/; staff (or a clerk with an app) give the app's code."""
    page.goto("/konto/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    user = get_user_model().objects.get(username=username)
    if user.is_staff or user.totpdevice_set.filter(confirmed=True).exists():
        expect(page).to_have_url(SECOND_STEP)
        page.get_by_label("Code aus der Authenticator-App").fill(totp_code(user))
        page.get_by_role("button", name="Bestätigen").click()
        page.wait_for_load_state()
