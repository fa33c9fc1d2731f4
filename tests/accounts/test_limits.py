"""What a stranger can send to the account pages: rate limits, long names, proxies, passwords."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.tasks import default_task_backend
from django.test import override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from tests.helpers import PASSWORD, count_queries, main_text

LOGIN = "/konto/anmelden/"
RESET = "/konto/passwort-vergessen/"
WRONG = "falsches-passwort"  # noqa: S105


@pytest.fixture
def hashes(monkeypatch):
    """Count the password checks of Django's backend: each one costs a PBKDF2 hash."""
    calls = []
    original = ModelBackend.authenticate

    def counted(self, request, username=None, password=None, **kwargs):
        calls.append(username)
        return original(self, request, username, password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    return calls


def login(client, username: str, password: str = WRONG, path=LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


# Login: a limit per address across usernames, before any hash -----------------------------


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="3/5m")
def test_logins_from_one_address_are_limited_whatever_the_username(
    client, db, frozen_clock, hashes
):
    statuses = [login(client, f"spray-{n}@example.org").status_code for n in range(3)]
    recorded = list(AccessAttempt.objects.values_list("username", "failures_since_start"))

    refused = login(client, "spray-4@example.org")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    text = main_text(refused)
    assert "Von Ihrem Internetanschluss kamen zu viele Anmeldeversuche: höchstens 3 je " in text
    assert "5 Minuten, gleich mit welchem Benutzernamen." in text
    assert "Bitte versuchen Sie es in 3 Minuten erneut" in text
    # The refused attempt cost no password hash and left no failure on record.
    assert len(hashes) == 3
    after = list(AccessAttempt.objects.values_list("username", "failures_since_start"))
    assert after == recorded


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="30/5m", RATE_LIMIT_LOGIN_BURST_PER_ADDRESS="5/10s")
def test_a_burst_of_logins_from_one_address_is_cut_short_before_the_longer_limit(
    client, db, frozen_clock, hashes
):
    """Five attempts in ten seconds: the sixth waits, so a spray cannot hold the workers."""
    statuses = [login(client, f"burst-{n}@example.org").status_code for n in range(5)]

    refused = login(client, "burst-6@example.org")

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 10
    assert "höchstens 5 je 10 Sekunden" in main_text(refused)
    assert len(hashes) == 5


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="2/5m")
def test_the_login_limit_holds_for_the_admin_login_and_not_for_other_addresses(
    client, reviewer, frozen_clock
):
    login(client, "a", path="/admin/login/")
    login(client, "b", path="/admin/login/")

    assert login(client, "c", path="/admin/login/").status_code == 429
    assert login(client, "c", REMOTE_ADDR="192.0.2.7").status_code == 200


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="2/5m")
def test_the_login_limit_starts_afresh_in_the_next_window(client, clerk, frozen_clock):
    login(client, "a")
    login(client, "b")
    assert login(client, "c").status_code == 429

    frozen_clock[0] += datetime.timedelta(minutes=5)

    assert login(client, clerk.username, PASSWORD).status_code == 302


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="1/5m")
def test_an_ipv6_client_is_counted_by_its_network(client, db, frozen_clock):
    login(client, "a", REMOTE_ADDR="2001:db8:1:2::10")

    assert login(client, "b", REMOTE_ADDR="2001:db8:1:2::99").status_code == 429
    assert login(client, "c", REMOTE_ADDR="2001:db8:1:3::10").status_code == 200


@override_settings(RATE_LIMIT_LOGIN_PER_ADDRESS="0")
def test_a_limit_of_zero_is_off(client, db, frozen_clock):
    assert [login(client, f"n{n}").status_code for n in range(40)] == [200] * 40


def test_a_login_name_longer_than_any_username_is_refused_with_a_german_error(client, db):
    response = login(client, "x" * 300)

    assert response.status_code == 200
    assert "Geben Sie höchstens 150 Zeichen ein" in main_text(response)
    assert not AccessAttempt.objects.exists()


def test_a_long_name_at_the_admin_login_is_recorded_cut_to_its_column(client, db):
    response = login(client, "y" * 300, path="/admin/login/")

    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "y" * 255


# Behind a proxy -----------------------------------------------------------------------------


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXY_ADDRESSES=["127.0.0.1"])
def test_behind_the_proxy_the_lockout_records_the_clients_address(client, clerk):
    login(client, clerk.username, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")

    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXY_ADDRESSES=["127.0.0.1"])
def test_a_forwarded_address_from_outside_the_proxy_is_ignored(client, clerk):
    login(client, clerk.username, REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert AccessAttempt.objects.get().ip_address == "192.0.2.50"


@override_settings(
    TRUSTED_PROXY_COUNT=1,
    TRUSTED_PROXY_ADDRESSES=["127.0.0.1"],
    RATE_LIMIT_LOGIN_PER_ADDRESS="2/5m",
)
def test_behind_the_proxy_each_client_has_its_own_login_limit(client, db, frozen_clock):
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    login(client, "a", **first)
    login(client, "b", **first)

    assert login(client, "c", **first).status_code == 429
    assert login(client, "c", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200
    # A client cannot escape its limit by inventing a header the proxy passes on.
    assert login(client, "d", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXY_ADDRESSES=["127.0.0.1"])
def test_a_forwarded_header_that_is_no_address_falls_back_to_the_proxy(client, clerk):
    response = login(client, clerk.username, HTTP_X_FORWARDED_FOR="<script>")

    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


# Password reset -----------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["kaemmerei@hoesbach.example", "nobody@example.org"])
def test_a_reset_request_only_queues_the_same_task_whether_the_address_has_a_user_or_not(
    client, clerk, mailoutbox, email
):
    dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy), count_queries() as counted:
        response = client.post(RESET, {"email": email})
        (queued,) = default_task_backend.results

    assert response.url == "/konto/passwort-vergessen/gesendet/"
    assert queued.task.name == "send_password_reset"
    assert queued.kwargs == {"email": email}
    # Nothing in the request looks for the user: the same work, and so the same time.
    assert not [sql for sql in counted.own if "auth_user" in sql]
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["kaemmerei@hoesbach.example", "nobody@example.org"])
def test_the_reset_answer_is_the_same_whether_the_address_has_a_user_or_not(client, clerk, email):
    response = client.post(RESET, {"email": email}, follow=True)

    assert response.redirect_chain == [("/konto/passwort-vergessen/gesendet/", 302)]
    assert "Bitte sehen Sie in Ihr Postfach" in main_text(response)


@override_settings(RATE_LIMIT_PASSWORD_RESET_PER_EMAIL="2/h")
def test_resets_for_one_email_address_are_limited_from_any_address(
    client, clerk, mailoutbox, frozen_clock
):
    client.post(RESET, {"email": "kaemmerei@hoesbach.example"})
    client.post(RESET, {"email": "Kaemmerei@Hoesbach.example"}, REMOTE_ADDR="192.0.2.1")

    refused = client.post(RESET, {"email": "kaemmerei@hoesbach.example"}, REMOTE_ADDR="192.0.2.2")

    assert refused.status_code == 429
    assert "Für diese E-Mail-Adresse wurden zu viele neue Passwörter angefordert" in (
        main_text(refused)
    )
    assert len(mailoutbox) == 2


@override_settings(RATE_LIMIT_PASSWORD_RESET_PER_EMAIL="1/h")
def test_the_email_limit_counts_addresses_without_a_user_too(client, db, frozen_clock):
    client.post(RESET, {"email": "nobody@example.org"})

    # A refusal says nothing about whether the address has a user.
    assert client.post(RESET, {"email": "nobody@example.org"}).status_code == 429


@override_settings(RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS="2/h")
def test_resets_from_one_address_are_limited_whatever_the_email(
    client, db, frozen_clock, mailoutbox
):
    client.post(RESET, {"email": "a@example.org"})
    client.post(RESET, {"email": "b@example.org"})

    refused = client.post(RESET, {"email": "c@example.org"})

    assert refused.status_code == 429
    assert "Von Ihrem Internetanschluss wurden zu viele neue Passwörter angefordert" in (
        main_text(refused)
    )
    assert "höchstens 2 je Stunde" in main_text(refused)
    assert client.post(RESET, {"email": "c@example.org"}, REMOTE_ADDR="192.0.2.9").status_code == (
        302
    )


def test_thirty_resets_for_one_address_send_three_mails(client, clerk, mailoutbox, frozen_clock):
    statuses = [
        client.post(RESET, {"email": clerk.email}, REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(30)
    ]

    assert statuses.count(302) == 3
    assert statuses.count(429) == 27
    assert len(mailoutbox) == 3
    assert DBTaskResult.objects.count() == 0  # the tests' backend runs tasks at once


# Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "passwordpassword",
        "Passwort2024!",
        "Sommer-2025!!",
        "abcabcabcabc",
        "xk#9xk#9xk#9",
        "DigitalesAmt2024",
        "Bayern-123456",
        "qwertzuiop12",
        "12345678901234",
        "kurz-1",
    ],
)
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "Neues-Passwort-fuer-Anna-9", "korrekt Pferd Batterie Heftklammer"],
)
def test_long_passwords_of_unrelated_words_are_accepted(db, password):
    validate_password(password)


def test_a_doubled_common_password_is_refused_in_german_on_the_reset_page(client, clerk):
    response = set_new_password(client, clerk, "passwordpassword")

    assert response.status_code == 200
    assert "Dieses Passwort ist leicht zu erraten" in main_text(response)
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def set_new_password(client, user, password: str):
    """Open the user's reset link and choose `password`; return the POST's response."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    form_page = client.get(f"/konto/passwort/{uid}/{token}/")
    return client.post(form_page.url, {"new_password1": password, "new_password2": password})
