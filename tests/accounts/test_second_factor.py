"""The second factor: staff need one before the admin, clerks may opt in; codes are limited."""

import base64
import re

import pyotp
import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from awards import demo
from awards.models import Award
from digitalesamt.accounts import second_factor
from digitalesamt.accounts.roles import ADMIN_GROUP
from tests.helpers import PASSWORD, assert_csp_clean, give_app, main_text, totp_code

LOGIN = "/konto/anmelden/"
STEP = "/konto/zweiter-faktor/"
RECOVERY = "/konto/zweiter-faktor/wiederherstellungscode/"
SETUP = "/konto/zweiter-faktor/einrichten/"
CODES = "/konto/zweiter-faktor/wiederherstellungscodes/"
MANAGE = "/konto/zweiter-faktor/verwalten/"


@pytest.fixture(autouse=True)
def no_device_throttle(settings):
    """django-otp makes a device wait 1, 2, 4 … s after wrong codes; a test types on at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def password_step(client: Client, user, next_url: str = ""):
    data = {"username": user.get_username(), "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def app_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def enrol(client: Client, user) -> list[str]:
    """Set up the app on the setup page and return the recovery codes it shows."""
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": app_code(device)})
    assert response.url == CODES
    return re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", client.get(CODES).content.decode())


# Staff and the admin -----------------------------------------------------------------------


def test_a_reviewer_with_only_the_password_does_not_reach_the_admin(client, reviewer):
    response = password_step(client, reviewer)
    assert response.status_code == 302

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == "/konto/zweiter-faktor/?next=%2Fadmin%2F"
    assert client.get("/admin/awards/application/").url.startswith(STEP)
    # Nor does the admin's own login form get past the second step.
    other = Client()
    other.post("/admin/login/?next=/admin/", {"username": "pruefer", "password": PASSWORD})
    assert other.get("/admin/").url.startswith(STEP)


def test_staff_signed_in_any_other_way_reach_only_the_second_step(client, reviewer):
    # As an invitation link or a session from before this change leaves them: password only.
    assert client.login(username=reviewer.username, password=PASSWORD)

    for path in ("/", "/admin/", "/portal/", MANAGE, "/admin/auth/user/"):
        assert client.get(path).url.startswith(STEP), path
    assert client.get(STEP).status_code == 200
    assert client.post("/konto/abmelden/").status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_admin_site_refuses_staff_no_device_verified(rf, reviewer):
    request = rf.get("/admin/")
    request.user = reviewer
    assert not admin.site.has_permission(request)  # no OTPMiddleware: nothing verified

    request.user.is_verified = lambda: False
    assert not admin.site.has_permission(request)

    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_the_second_step_with_the_app_leads_to_the_admin(client, reviewer):
    password_step(client, reviewer, next_url="/admin/awards/application/")
    page = client.get(STEP + "?next=/admin/awards/application/")
    assert page.status_code == 200
    assert "Code aus der Authenticator-App" in main_text(page)
    assert_csp_clean(page)

    response = client.post(
        STEP, {"code": totp_code(reviewer), "next": "/admin/awards/application/"}
    )

    assert response.url == "/admin/awards/application/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_in_german_and_counts_as_a_failed_login(client, reviewer):
    password_step(client, reviewer)

    response = client.post(STEP, {"code": "000000"})

    assert response.status_code == 200
    assert "Der Code stimmt nicht." in main_text(response)
    assert client.get("/admin/").url.startswith(STEP)
    assert AccessAttempt.objects.get(username=reviewer.username).failures_since_start == 1
    response = client.post(STEP, {"code": "12"})
    assert "Geben Sie die 6 Ziffern ein" in main_text(response)


def test_a_used_code_does_not_work_twice(client, reviewer):
    code = totp_code(reviewer)
    password_step(client, reviewer)
    assert client.post(STEP, {"code": code}).status_code == 302

    again = Client()
    password_step(again, reviewer)
    response = again.post(STEP, {"code": code})

    assert "Der Code stimmt nicht." in main_text(response)


def test_wrong_codes_lock_the_login_as_wrong_passwords_do(client, reviewer, settings):
    settings.RATE_LIMIT_OTP_PER_USER = "0"
    password_step(client, reviewer)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(STEP, {"code": "000000"}).status_code == 200

    response = client.post(STEP, {"code": "000000"})

    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche." in response.content.decode()
    assert "_auth_user_id" not in client.session  # the half-done login is over
    # The right password is now refused too, and so is a right code in another session.
    assert password_step(client, reviewer).status_code == 429


def test_code_entries_per_user_are_rate_limited(client, reviewer, settings, frozen_clock):
    settings.RATE_LIMIT_OTP_PER_USER = "3/5m"
    settings.AXES_FAILURE_LIMIT = 100
    password_step(client, reviewer)
    for _attempt in range(3):
        assert client.post(STEP, {"code": "000000"}).status_code == 200

    response = client.post(STEP, {"code": totp_code(reviewer)})

    assert response.status_code == 429
    assert "zu viele Codes eingegeben: höchstens 3 je 5 Minuten" in response.content.decode()
    assert client.get("/admin/").url.startswith(STEP)


def test_a_passkey_cannot_replace_the_password_step(client, reviewer):
    response = client.post(
        "/konto/passkeys/authentication/begin/", content_type="application/json", data={}
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# Setting up: staff are sent there, codes shown once and each usable once ---------------------


def test_staff_without_a_device_set_one_up_before_anything_else(client, roles):
    user = get_user_model().objects.create_user("neu", "neu@stmd.example", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=ADMIN_GROUP))
    password_step(client, user)

    assert client.get("/admin/").url == STEP + "?next=%2Fadmin%2F"
    assert client.get(STEP + "?next=/admin/").url == SETUP + "?next=%2Fadmin%2F"
    page = client.get(SETUP + "?next=/admin/")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns' in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert second_factor.secret_text(device).replace(" ", "") in main_text(page).replace(" ", "")
    assert_csp_clean(page)
    # A wrong code sets nothing up.
    assert "Der Code stimmt nicht." in main_text(client.post(SETUP, {"code": "000000"}))

    response = client.post(SETUP, {"code": app_code(device), "next": "/admin/"})

    assert response.url == CODES
    codes_page = client.get(CODES)
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", codes_page.content.decode())
    assert len(set(codes)) == 10
    assert "Ich habe die Codes gespeichert" in main_text(codes_page)
    # Until the codes are acknowledged, nothing else opens.
    assert client.get("/admin/").url == CODES
    assert client.post(CODES).url == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Shown once: the page has nothing to show any more.
    assert client.get(CODES).url == MANAGE
    assert TOTPDevice.objects.get(user=user).confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10


def test_a_recovery_code_signs_in_once(client, reviewer):
    codes = second_factor.new_recovery_codes(reviewer)
    password_step(client, reviewer)
    page = client.get(RECOVERY)
    assert "Wiederherstellungscode" in main_text(page)

    response = client.post(RECOVERY, {"code": codes[0].upper().replace("-", " ")})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert second_factor.remaining_recovery_codes(reviewer) == 9
    again = Client()
    password_step(again, reviewer)
    refused = again.post(RECOVERY, {"code": codes[0]})
    assert "wurde schon verwendet" in main_text(refused)
    assert again.post(RECOVERY, {"code": codes[1]}).status_code == 302


def test_an_unverified_session_cannot_set_up_another_app(client, reviewer):
    password_step(client, reviewer)

    assert client.get(SETUP).url.startswith(STEP)
    assert client.get(MANAGE).url.startswith(STEP)
    assert client.post(
        "/konto/passkeys/registration/begin/", content_type="application/json", data={}
    ).url.startswith(STEP)


def test_new_recovery_codes_replace_the_old(reviewer_client, reviewer):
    old = second_factor.new_recovery_codes(reviewer)

    response = reviewer_client.post(MANAGE, {"action": "new-codes"})

    assert response.url == CODES
    new = re.findall(r"<code>([a-z2-7-]{9})</code>", reviewer_client.get(CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticDevice.objects.filter(user=reviewer).count() == 1
    assert reviewer_client.post(CODES).url == MANAGE


# Clerks may opt in --------------------------------------------------------------------------


def test_a_clerk_signs_in_with_the_password_alone_until_they_opt_in(client, clerk):
    assert password_step(client, clerk).url == "/portal/"
    assert client.get("/portal/").status_code == 200
    page = client.get(MANAGE)
    assert "Authenticator-App einrichten" in main_text(page)
    assert_csp_clean(page)

    codes = enrol(client, clerk)
    assert len(codes) == 10
    assert client.post(CODES).url == "/portal/"
    client.post("/konto/abmelden/")

    assert password_step(client, clerk).url == "/portal/"
    assert client.get("/portal/").url == "/konto/zweiter-faktor/?next=%2Fportal%2F"
    assert client.post(STEP, {"code": totp_code(clerk), "next": "/portal/"}).url == "/portal/"
    assert "Eingerichtet am" in main_text(client.get(MANAGE))


def test_the_header_links_to_the_second_factor(clerk_client):
    assert f'href="{MANAGE}"' in clerk_client.get("/").content.decode()


# An administrator resets a lost factor ------------------------------------------------------


def test_an_administrator_resets_a_lost_second_factor(administrator_client, reviewer):
    second_factor.new_recovery_codes(reviewer)
    url = f"/admin/auth/user/{reviewer.pk}/zweiter-faktor-zuruecksetzen/"
    change = administrator_client.get(f"/admin/auth/user/{reviewer.pk}/change/")
    assert url in change.content.decode()

    page = administrator_client.get(url)
    assert page.status_code == 200
    assert "eine Authenticator-App" in page.content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).exists()  # nothing happens on GET

    response = administrator_client.post(url)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    entry = LogEntry.objects.get(object_id=str(reviewer.pk))
    assert entry.get_change_message() == "Zweiten Faktor zurückgesetzt."
    # At the next login the reviewer sets up a new one.
    client = Client()
    password_step(client, reviewer)
    assert client.get(STEP).url.startswith(SETUP)


def test_a_reviewer_may_not_reset_anyones_second_factor(reviewer_client, administrator):
    url = f"/admin/auth/user/{administrator.pk}/zweiter-faktor-zuruecksetzen/"

    assert reviewer_client.post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_device_lists_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404


# Demo ---------------------------------------------------------------------------------------


def test_the_demo_key_is_refused_with_debug_off(reviewer):
    reviewer.username = demo.REVIEWER_USERNAME
    reviewer.save()

    with pytest.raises(CommandError, match="DEBUG"):
        demo.enrol_demo_staff()

    assert not TOTPDevice.objects.filter(key=demo.DEMO_TOTP_KEY).exists()


def test_the_demo_staff_get_the_demo_key_with_debug_on(reviewer, administrator):
    reviewer.username, administrator.username = demo.REVIEWER_USERNAME, demo.ADMIN_USERNAME
    reviewer.save()
    administrator.save()

    with override_settings(DEBUG=True):
        assert demo.enrol_demo_staff() == ["pruefer", "verwaltung"]
        assert demo.enrol_demo_staff() == ["pruefer", "verwaltung"]  # a second run changes nothing

    assert TOTPDevice.objects.filter(key=demo.DEMO_TOTP_KEY).count() == 2
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1
    assert "secret=IRUWO2LUMFWGK4ZNIFWXILKEMVWW6IJS" in demo.demo_totp_uri("pruefer")


def test_seed_demo_with_debug_off_forced_gives_no_demo_key(reviewer, capsys, monkeypatch):
    monkeypatch.setattr(demo, "seed", lambda seed_value: pytest.fail("must not seed twice"))
    give_app(reviewer)
    monkeypatch.setattr(Award.objects, "exists", lambda: True)

    call_command("seed_demo", "--force", "--if-empty")

    assert "ohne DEBUG kein Demo-Schlüssel" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(key=demo.DEMO_TOTP_KEY).exists()
