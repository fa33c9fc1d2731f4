"""The project's own URLs: the favicon, which browsers ask for on pages without an icon link."""

import importlib

import pytest
from django.urls import clear_url_caches

import digitalesamt.urls as project_urls


@pytest.fixture
def debug_urls(settings):
    """Build the project's URLs as a development server does: with DEBUG on."""
    settings.DEBUG = True
    importlib.reload(project_urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(project_urls)
    clear_url_caches()


def test_favicon_points_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_favicon_points_to_the_icon_with_debug_on(client, debug_urls):
    # The media URLs a development server adds once shadowed the static() helper the view uses.
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert any(
        pattern.pattern.regex.pattern.startswith("^media/")
        for pattern in project_urls.urlpatterns
        if hasattr(pattern, "pattern")
    )
