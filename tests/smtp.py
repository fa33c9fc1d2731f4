"""A real SMTP server on loopback (aiosmtpd) and the mailer that reaches it, for mail tests.

A module of its own rather than tests/conftest.py: two test modules share it
(tests/lib/test_mail.py for the retries, tests/lib/test_mail_delivery.py for what arrives), and
each keeps its own fixtures around it.
"""

import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        self.raw.append(envelope.content)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.messages.clear()
        self.raw.clear()

    def parsed(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """Each mail's envelope recipients and the message as a mail client reads it."""
        return [
            (recipients, email.message_from_bytes(raw, policy=email.policy.default))
            for (recipients, _), raw in zip(self.messages, self.raw, strict=True)
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_mailers(port: int) -> dict:
    """MAILERS for Django's real SMTP backend on the loopback port."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """An SMTP server listening on the port for as long as the block runs."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
