"""Set up, serve and test Digitales Amt from a fresh clone.

    python3 dev.py start   install, migrate, import the register, load demo data, serve :8000
    python3 dev.py test    install and run the whole test suite on every core (arguments go to
                           pytest: -k counting, -n 0 for one process, --cov for coverage)

Needs only Python 3 with pip: it brings in uv, and uv brings in Python 3.12 and the
dependencies pinned in uv.lock into .venv/.
"""

import glob
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


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
        "WEBAUTHN_ORIGINS=http://localhost:8000\n",
        encoding="utf-8",
    )


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def start() -> None:
    env = sync()
    write_development_env()
    manage(env, "migrate", "--no-input")
    manage(env, "createcachetable")
    manage(env, "import_municipalities")
    manage(env, "import_services")
    manage(env, "setup_roles")
    # Prints the demo logins and the demo staff's second factor (DEBUG only) on every start.
    manage(env, "seed_demo", "--if-empty")
    manage(env, "runserver", "127.0.0.1:8000")


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
            start()
            return 0
        return test(sys.argv[2:])
    except subprocess.CalledProcessError as error:
        return error.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
