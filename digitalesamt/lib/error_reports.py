"""Error reports to a Sentry-compatible service (SENTRY_DSN; off without it), without personal data.

The SDK collects no user, no body and no local variables (`data_collection`); `scrub` also
drops what a report of a request could still carry: the query string and the body (a search,
a form), cookies and every header but the user agent, and the user. No performance tracing.
"""

from typing import Any

KEPT_HEADERS = {"user-agent"}


def scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS
            }
        url = request.get("url")
        if isinstance(url, str):
            request["url"] = url.split("?", 1)[0]
    event.pop("user", None)
    return event


def init(*, dsn: str, environment: str, release: str) -> None:
    """Start the SDK with the Django integration it finds on its own."""
    import sentry_sdk  # imported only when a DSN is set

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        # No user, no request body, no local variables of the frames, no query parameters.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        traces_sample_rate=0,
        before_send=scrub,
    )
