"""dev.py start: the port it serves on, a taken port said before the set-up, a quiet set-up."""

import socket
import subprocess

import pytest

import dev
from tests.test_settings import PRODUCTION_ENV, run_manage


@pytest.mark.parametrize(
    ("args", "port"),
    [([], 8000), (["8001"], 8001), (["--port", "8001"], 8001), (["--port=8002"], 8002)],
)
def test_start_takes_the_port_positionally_or_as_an_option(args, port):
    assert dev.parse_start(args) == port


@pytest.mark.parametrize("args", [["achttausend"], ["--port", "0"], ["70000"], ["8001", "8002"]])
def test_start_refuses_what_is_no_port(args, capsys):
    with pytest.raises(SystemExit) as raised:
        dev.parse_start(args)

    assert raised.value.code == 2
    assert "dev.py start" in capsys.readouterr().err


@pytest.fixture
def listening():
    """A port on 127.0.0.1 that another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_port_taken_sees_a_listening_program_and_a_free_port(listening):
    assert dev.port_taken(listening)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert not dev.port_taken(free)


def test_start_on_a_taken_port_says_so_and_stops_before_the_set_up(listening, monkeypatch, capsys):
    def no_set_up(*args, **kwargs):
        raise AssertionError("the set-up ran although the port is taken")

    monkeypatch.setattr(dev, "sync", no_set_up)
    monkeypatch.setattr(subprocess, "run", no_set_up)

    assert dev.start(["--port", str(listening)]) == 1

    message = capsys.readouterr().err.strip()
    assert message.startswith(f"Port {listening} auf 127.0.0.1 ist schon belegt.")
    assert len(message.splitlines()) == 1


def test_the_development_environment_sends_mails_to_files_and_links_to_the_port(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setattr(dev, "ROOT", dev.ROOT / "no-such-folder")  # no .env

    env = dev.development_env({}, 8001)

    assert env["EMAIL_URL"] == "filemail://"
    assert env["SITE_URL"] == "http://127.0.0.1:8001"


def test_the_development_environment_keeps_a_mail_server_the_developer_chose(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://localhost:1025")

    assert "EMAIL_URL" not in dev.development_env({}, 8000)


def test_migrate_is_summed_up_in_one_line():
    output = "Operations to perform:\n" + "".join(
        f"  Applying app.{n:04d}_x... OK\n" for n in range(60)
    )

    assert dev.summary(["migrate"], output) == "60 Migrationen angewandt"
    assert dev.summary(["migrate"], "No migrations to apply.\n") == "schon aktuell"


def test_a_step_prints_one_line_and_its_output_only_when_it_fails(monkeypatch, capsys):
    def ran(returncode: int):
        return lambda *a, **k: subprocess.CompletedProcess(
            a, returncode, "Fertig.\n  Zeile 2\n", ""
        )

    monkeypatch.setattr(subprocess, "run", ran(0))
    dev.run_step({}, "Kommunen importieren", ["import_municipalities"])
    assert capsys.readouterr().out == "  Kommunen importieren … Fertig.\n"

    monkeypatch.setattr(subprocess, "run", ran(1))
    with pytest.raises(subprocess.CalledProcessError):
        dev.run_step({}, "Kommunen importieren", ["import_municipalities"])
    assert "Zeile 2" in capsys.readouterr().err


def test_filemail_writes_the_mails_into_the_named_folder(tmp_path):
    sent = (
        "from django.core.mail import send_mail; "
        "send_mail('Betreff', 'Text', 'a@amt.example', ['b@amt.example'])"
    )
    env = {
        **PRODUCTION_ENV,
        "DEBUG": "true",
        "EMAIL_URL": "filemail://",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }

    result = run_manage("shell", "-c", sent, env=env)

    assert result.returncode == 0, result.stderr
    assert "Betreff" not in result.stdout
    (mail,) = (tmp_path / "mail").iterdir()
    assert "Subject: Betreff" in mail.read_text()
