"""The page behind the link in a reminder mail: look, unsubscribe, undo; bad links in German.

Only the signed address can be unsubscribed, with a POST that needs no CSRF cookie (a mail
client's RFC 8058 one-click POST has none) and changes nothing when repeated.
"""

import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from awards import unsubscribe
from awards.models import ReminderOptOut
from tests.helpers import assert_csp_clean, count_queries, main_text

pytestmark = pytest.mark.django_db

ADDRESS = "kaemmerei@hoesbach.example"


def page(address: str = ADDRESS) -> str:
    return reverse("reminder_unsubscribe", kwargs={"token": unsubscribe.make_token(address)})


@pytest.fixture
def client():
    """A browser or mail client without a session or CSRF cookie, and the checks on."""
    return Client(enforce_csrf_checks=True)


def words(response) -> str:
    """The page's main content as a reader sees it: no tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", main_text(response)).split()).replace(" .", ".")


def opted_out() -> list[str]:
    return list(ReminderOptOut.objects.values_list("address", flat=True))


def test_the_page_says_what_stops_and_changes_nothing(client):
    response = client.get(page())

    assert response.status_code == 200
    content = words(response)
    assert "Erinnerungen abbestellen" in content
    assert f"Wenn Sie abbestellen, erhält {ADDRESS} diese Erinnerungen nicht mehr." in content
    assert "E-Mails zu einem Antrag Ihrer Kommune" in content
    assert '<button type="submit" class="kern-btn kern-btn--primary">' in response.content.decode()
    assert opted_out() == []
    # The page names an address: no cache keeps it, no search engine lists it.
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert_csp_clean(response)


def test_the_button_unsubscribes_without_a_csrf_token_and_offers_the_way_back(client):
    response = client.post(page())

    assert response.status_code == 200
    assert opted_out() == [ADDRESS]
    assert response.cookies == {}  # like every public page: no cookie for a visitor
    content = words(response)
    assert "Erinnerungen abbestellt" in content
    assert "Sie erhalten keine Erinnerungen mehr." in content
    assert f"An {ADDRESS} gehen keine Erinnerungen zu fehlenden Online-Verfahren mehr." in content
    assert "Erinnerungen wieder erhalten" in content
    assert_csp_clean(response)


def test_a_mail_clients_one_click_post_unsubscribes(client):
    response = client.post(
        page(), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert opted_out() == [ADDRESS]


def test_unsubscribing_twice_changes_nothing(client):
    client.post(page())
    first = ReminderOptOut.objects.get()

    again = client.post(page())

    assert again.status_code == 200
    assert list(ReminderOptOut.objects.all()) == [first]
    assert ReminderOptOut.objects.get().opted_out_at == first.opted_out_at


def test_the_undo_button_sends_reminders_again(client):
    client.post(page())

    response = client.post(page(), {"wieder-erhalten": "1"})

    assert response.status_code == 200
    assert opted_out() == []
    assert "Sie erhalten wieder Erinnerungen." in main_text(response)
    assert "Erinnerungen abbestellen" in main_text(response)  # and can change their mind again


def test_an_address_already_unsubscribed_sees_so_on_the_page(client):
    unsubscribe.opt_out(ADDRESS)

    response = client.get(page())

    assert "Sie erhalten keine Erinnerungen mehr." in main_text(response)
    assert "Erinnerungen wieder erhalten" in main_text(response)


def test_the_address_is_compared_without_case(client):
    client.post(page("Kaemmerei@Hoesbach.example"))

    assert unsubscribe.opted_out([ADDRESS, "rathaus@hoesbach.example"]) == {ADDRESS}


def tampered() -> list[str]:
    token = unsubscribe.make_token(ADDRESS)
    value, signature = token.rsplit(":", 1)
    other = unsubscribe.make_token("rathaus@hoesbach.example").split(":", 1)[0]
    return [
        f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # signature changed
        f"{other}:{signature}",  # another address, this signature
        signing.Signer().sign_object(ADDRESS),  # signed without the salt
        signing.Signer(salt=unsubscribe.SALT).sign_object(["not", "an", "address"]),
        "kein-token",
        "%00",
    ]


@pytest.mark.parametrize("token", tampered())
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_or_tampered_link_answers_404_in_german(client, token, method):
    url = reverse("reminder_unsubscribe", kwargs={"token": token})

    response = getattr(client, method)(url)

    assert response.status_code == 404
    assert "Dieser Link zum Abbestellen der Erinnerungen ist nicht gültig." in main_text(response)
    assert "digitales-amt@stmd.bayern.de" in main_text(response)
    assert opted_out() == []


def test_a_link_in_an_old_mail_still_works(monkeypatch):
    token = unsubscribe.make_token(ADDRESS)
    later = time.time() + 10 * 365 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: later)

    assert unsubscribe.read_token(token) == ADDRESS


def test_a_link_survives_a_new_secret_key_in_the_fallbacks(settings):
    token = unsubscribe.make_token(ADDRESS)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-next-years-0123456789-abcdefghij"

    assert unsubscribe.read_token(token) == ADDRESS


@pytest.mark.parametrize("others", [1, 300])
def test_the_page_costs_the_same_whatever_the_number_unsubscribed(client, others):
    ReminderOptOut.objects.bulk_create(
        ReminderOptOut(address=f"amt{n}@kommune.example") for n in range(others)
    )
    client.get(page())  # warmed

    with count_queries() as get:
        client.get(page())
    with count_queries() as post:
        client.post(page())

    # GET: is the address unsubscribed? POST: get_or_create, a look and the insert.
    assert (len(get.own), len(post.own)) == (1, 2), (get.own, post.own)
