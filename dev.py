"""Set up, serve and test Digitales Amt from a fresh clone.

    python3 dev.py start [--port 8001]
                           install, migrate, import the register, load demo data, serve
                           127.0.0.1:8000 (or the port given, also as "start 8001"); mails sent
                           go to files in dev-mail/, not to the console
    python3 dev.py test    install and run the whole test suite on every core (arguments go to
                           pytest: -k counting, -n 0 for one process, --cov for coverage)

Needs only Python 3 with pip: it brings in uv, and uv brings in Python 3.12 and the
dependencies pinned in uv.lock into .venv/.
"""

import argparse
import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Where the development server's mails land (settings.EMAIL_FILE_PATH's default).
MAIL_FOLDER = "dev-mail"
# The set-up before serving: what each step is, and the command.
STEPS = [
    ("Datenbank migrieren", ["migrate", "--no-input"]),
    ("Cache-Tabelle anlegen", ["createcachetable"]),
    ("Kommunen importieren", ["import_municipalities"]),
    ("Leistungskatalog importieren", ["import_services"]),
    ("Rollen einrichten", ["setup_roles"]),
    ("Demodaten laden", ["seed_demo", "--if-empty"]),
]


def find_uv() -> str:
    """Return the path of a uv binary, installing uv with pip if there is none."""
    found = shutil.which("uv")
    if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        print("uv wird installiert …", flush=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "uv"]
        if subprocess.run(pip).returncode != 0:
            subprocess.run([*pip, "--user", "--break-system-packages"], check=True)
        import importlib
        import site

        importlib.invalidate_caches()
        sys.path.append(site.getusersitepackages())
        from uv import find_uv_bin
    return find_uv_bin()


def is_python_312(candidate: str) -> bool:
    check = "import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)"
    try:
        return subprocess.run([candidate, "-c", check], capture_output=True).returncode == 0
    except OSError:
        return False


def find_python(uv: str) -> str:
    """Return a Python >= 3.12: one on this machine, or one that uv installs."""
    if os.environ.get("UV_PYTHON"):
        return os.environ["UV_PYTHON"]
    candidates = [str(VENV_PYTHON)]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in (12, 13, 14)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    candidates += sorted(glob.glob("/usr/local/bin/python3.1[2-9]")) + ["/usr/bin/python3.12"]
    for candidate in filter(None, candidates):
        if os.path.exists(candidate) and is_python_312(candidate):
            return candidate
    found = subprocess.run([uv, "python", "find", ">=3.12"], capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    subprocess.run([uv, "python", "install", "3.12"], check=True)
    return "3.12"


def sync() -> dict[str, str]:
    """Create or update .venv from uv.lock and return the environment to run it in."""
    uv = find_uv()
    env = dict(os.environ, UV_PYTHON=find_python(uv), UV_PYTHON_DOWNLOADS="manual")
    subprocess.run([uv, "sync", "--frozen", "--quiet"], cwd=ROOT, env=env, check=True)
    return env


def write_development_env() -> None:
    """Create .env with development settings once; production never reads this file."""
    env_file = ROOT / ".env"
    if env_file.exists():
        return
    env_file.write_text(
        "# Written by dev.py for local development. Do not use in production.\n"
        "DEBUG=true\n"
        f"SECRET_KEY=dev-{secrets.token_urlsafe(40)}\n"
        "ALLOWED_HOSTS=127.0.0.1,localhost\n"
        "SITE_URL=http://127.0.0.1:8000\n"
        # Passkeys need a host name, not an address: try them at http://localhost:8000.
        "WEBAUTHN_RP_ID=localhost\n"
        "WEBAUTHN_ORIGINS=http://localhost:8000\n"
        # Mails as files in dev-mail/, so that they do not fill the console.
        "EMAIL_URL=filemail://\n",
        encoding="utf-8",
    )


def port_number(value: str) -> int:
    """Return a TCP port from the command line, or say what a port is."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"„{value}“ ist kein Port (eine Zahl von 1 bis 65535)")
    return int(value)


def parse_start(args: list[str]) -> int:
    """Return the port that `start` serves on: `start 8001`, `start --port 8001` or 8000."""
    parser = argparse.ArgumentParser(prog="dev.py start", description="Set up and serve the demo.")
    parser.add_argument("port", nargs="?", type=port_number, help="Port (statt 8000)")
    parser.add_argument(
        "--port", dest="port_option", metavar="PORT", type=port_number, help="Port (statt 8000)"
    )
    options = parser.parse_args(args)
    if options.port and options.port_option and options.port != options.port_option:
        parser.error(f"zwei verschiedene Ports: {options.port} und {options.port_option}")
    return options.port_option or options.port or DEFAULT_PORT


def port_taken(port: int, host: str = HOST) -> bool:
    """Whether another program listens on host:port (bound as runserver binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_taken_message(port: int) -> str:
    return (
        f"Port {port} auf {HOST} ist schon belegt. Beenden Sie, was dort läuft, oder wählen "
        f"Sie einen anderen: python3 dev.py start --port {port + 1 if port < 65535 else 8000}"
    )


def configured(name: str) -> bool:
    """Whether the environment or .env sets `name` (then dev.py leaves it alone)."""
    if name in os.environ:
        return True
    env_file = ROOT / ".env"
    if not env_file.exists():
        return False
    lines = env_file.read_text(encoding="utf-8").splitlines()
    return any(line.strip().startswith(f"{name}=") for line in lines)


def development_env(env: dict[str, str], port: int) -> dict[str, str]:
    """Return the environment of the set-up and the server: mails to files, the chosen port."""
    env = dict(env)
    if not configured("EMAIL_URL"):
        env["EMAIL_URL"] = "filemail://"
    if port != DEFAULT_PORT:
        # Links in mails and passkeys go to the port served, not to the one .env names.
        env["SITE_URL"] = f"http://{HOST}:{port}"
        env["WEBAUTHN_ORIGINS"] = f"http://localhost:{port}"
    return env


def summary(args: list[str], output: str) -> str:
    """Return one line that says what a set-up step did."""
    if args[0] == "migrate":
        applied = sum(1 for line in output.splitlines() if line.strip().startswith("Applying"))
        return f"{applied} Migrationen angewandt" if applied else "schon aktuell"
    # The commands say what they did first ("2.445 Kommunen eingelesen: …"), details below.
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[0] if lines else "erledigt"


def run_step(env: dict[str, str], label: str, args: list[str]) -> str:
    """Run one manage.py command quietly; print its output in full only when it fails."""
    print(f"  {label} …", end=" ", flush=True)
    done = subprocess.run(
        [str(VENV_PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        print("fehlgeschlagen:", flush=True)
        print(output, file=sys.stderr, flush=True)
        raise subprocess.CalledProcessError(done.returncode, args, output)
    line = summary(args, done.stdout)
    print(line, flush=True)
    return done.stdout


def start(args: list[str]) -> int:
    port = parse_start(args)
    # Before the minutes of set-up: a taken port would only show when the server starts.
    if port_taken(port):
        print(port_taken_message(port), file=sys.stderr)
        return 1
    env = development_env(sync(), port)
    write_development_env()
    print("Digitales Amt wird eingerichtet:", flush=True)
    outputs = {args[0]: run_step(env, label, args) for label, args in STEPS}
    # seed_demo's demo logins and the demo staff's second factor (DEBUG only), on every start.
    # Its first line stands in the summary already.
    logins = outputs.get("seed_demo", "").strip().splitlines()[1:]
    if logins:
        print("\n" + "\n".join(logins))
    if env.get("EMAIL_URL", "filemail://").startswith("filemail:"):
        folder = env.get("EMAIL_FILE_PATH", MAIL_FOLDER).rstrip("/")
        print(f"\nMails, die die Seite verschickt, liegen als Dateien in {folder}/.")
    print(f"\nDigitales Amt läuft auf http://{HOST}:{port}/ (beenden mit Strg+C).\n", flush=True)
    subprocess.run(
        [str(VENV_PYTHON), "manage.py", "runserver", f"{HOST}:{port}"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return 0


def test(pytest_args: list[str]) -> int:
    """Run pytest, on every core (pytest-xdist) unless the arguments choose otherwise."""
    env = sync()
    chosen = any(arg.startswith(("-n", "--numprocesses", "--dist")) for arg in pytest_args)
    parallel = [] if chosen or "--version" in pytest_args else ["-n", "auto"]
    return subprocess.run(
        [str(VENV_PYTHON), "-m", "pytest", *parallel, *pytest_args], cwd=ROOT, env=env
    ).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"start", "test"}:
        print(__doc__)
        return 2
    try:
        if sys.argv[1] == "start":
            return start(sys.argv[2:])
        return test(sys.argv[2:])
    except subprocess.CalledProcessError as error:
        return error.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
