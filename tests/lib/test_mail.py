"""Mail through the task queue against a real SMTP server on loopback: down, then up.

The worker is django-tasks-db's own (`Worker`, as `manage.py db_worker --batch` runs it); a
retry waits for its `run_after`, which a test moves into the past instead of sleeping.
"""

import datetime
from contextlib import ExitStack

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from digitalesamt.lib import mail
from tests import smtp

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "kaemmerei@hoesbach.example"


@pytest.fixture
def port(settings):
    """A loopback port nothing listens on yet; the mailer and the queue as in production."""
    port = smtp.free_port()
    settings.MAILERS = smtp.smtp_mailers(port)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAIL_RETRY_DELAYS = [60, 300]
    return port


@pytest.fixture
def smtp_server(port):
    """Start the SMTP server on the port when called; stop it after the test."""
    with ExitStack() as servers:
        yield lambda: servers.enter_context(smtp.smtp_server(port))


def run_worker() -> None:
    """Run every task that is due, then stop (`db_worker --batch`)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def waiting() -> DBTaskResult:
    return DBTaskResult.objects.get(status=TaskResultStatus.READY)


def let_time_pass() -> None:
    """Bring every waiting retry due now, as if its delay had passed."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


@pytest.fixture
def given_up():
    found = []

    def receiver(**kwargs):
        found.append(kwargs)

    mail.mail_undelivered.connect(receiver)
    yield found
    mail.mail_undelivered.disconnect(receiver)


def send() -> None:
    mail.send_later("accounts/email/test", {}, [RECIPIENT])


@pytest.fixture(autouse=True)
def template(settings, tmp_path):
    (tmp_path / "accounts" / "email").mkdir(parents=True)
    (tmp_path / "accounts" / "email" / "test_subject.txt").write_text("Zugang zum Portal\n")
    (tmp_path / "accounts" / "email" / "test.txt").write_text("Guten Tag.\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


def test_a_mail_that_fails_is_tried_again_after_the_first_delay(port, given_up):
    before = timezone.now()
    send()

    run_worker()  # nothing listens on the port: the connection is refused

    retry = waiting()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    delay = retry.run_after - before
    assert datetime.timedelta(seconds=60) <= delay < datetime.timedelta(seconds=70)
    assert given_up == []


def test_a_mail_arrives_once_the_server_is_back(port, smtp_server, given_up):
    send()
    run_worker()  # down
    inbox = smtp_server()  # up again
    run_worker()  # the retry is not due yet
    assert inbox.messages == []

    let_time_pass()
    run_worker()

    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == [RECIPIENT]
    assert "Subject: Zugang zum Portal" in content
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert given_up == []


def test_a_retry_keeps_the_senders_headers_and_the_automatic_ones(port, smtp_server):
    unsubscribe = "<https://digitales-amt.example/erinnerungen/abbestellen/x/>"
    mail.queue(
        subject="Zugang zum Portal",
        body="Guten Tag.\n",
        recipients=[RECIPIENT],
        headers={"List-Unsubscribe": unsubscribe},
    )
    run_worker()  # down: the retry is queued with the task's JSON arguments
    assert waiting().args_kwargs["kwargs"]["headers"] == {"List-Unsubscribe": unsubscribe}
    inbox = smtp_server()
    let_time_pass()
    run_worker()

    ((recipients, message),) = inbox.parsed()
    assert recipients == [RECIPIENT]
    assert message["List-Unsubscribe"] == unsubscribe
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"


def test_a_mail_is_given_up_after_the_last_delay(port, given_up):
    send()
    for _ in range(3):  # the first try and one per delay
        run_worker()
        let_time_pass()

    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    last = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert last.args_kwargs["kwargs"]["attempt"] == 3
    assert len(given_up) == 1
    undelivered = given_up[0]
    assert undelivered["subject"] == "Zugang zum Portal"
    assert undelivered["recipients"] == [RECIPIENT]
    assert undelivered["attempts"] == 3
    assert undelivered["error"].startswith("ConnectionRefusedError")


def test_without_a_queue_that_can_wait_a_mail_is_given_up_at_once(port, settings, given_up):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    send()

    assert [(found["subject"], found["attempts"]) for found in given_up] == [
        ("Zugang zum Portal", 1)
    ]
