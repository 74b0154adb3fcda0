"""The shipped gunicorn configuration (and nginx site file) run on free local ports, for tests and benches."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
NGINX_SITE = BASE_DIR / "deploy" / "nginx" / "procurement.conf"

# What production must set and nothing more: everything else comes from the settings' defaults.
PRODUCTION_SECRET_KEY = "prod-Qm3v8Zt1xW6nR2pL9kY4sD7fH0jC5bN8aE1gU6iO3rT9yV2w"
PRODUCTION_HOST = "procurement.example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_environment(*, database_url: str, **overrides: str) -> dict[str, str]:
    """This process's environment without any setting of ours, plus SECRET_KEY, ALLOWED_HOSTS and the database.

    Variables the settings or gunicorn.conf.py read (DEBUG_FLAG, SECURE_*, GUNICORN_*, LOG_*, ...) are
    dropped, so what runs is what a production machine gets by default.
    """
    ours = (
        "DEBUG",
        "SECURE_",
        "BEHIND_",
        "GUNICORN_",
        "WEB_CONCURRENCY",
        "BIND",
        "PORT",
        "LOG_",
        "CELERY_",
        "CACHE_URL",
        "DATABASE_URL",
        "DB_",
        "ALLOWED_HOSTS",
        "CSRF_",
        "SECRET_KEY",
        "FORWARDED_ALLOW_IPS",
        "STATIC_",
        "EMAIL_",
        "NUM_PROXIES",
        "TRUSTED_PROXIES",
        "THROTTLE_",
        "PROCUREMENT_ROLE",
        "METRICS_",
        "PROMETHEUS_",
        "MEDIA_",
        "AWS_",
        "ADMIN_EXPORT_",
        # Set by the browser tests for Playwright's event loop; Django's deploy check flags it.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
    environment.update(
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        ALLOWED_HOSTS=f"{PRODUCTION_HOST},127.0.0.1,localhost",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    environment.update(overrides)
    return environment


def migrated_database(folder: Path) -> str:
    """A SQLite database in `folder` with every migration applied, as the release step leaves it."""
    url = f"sqlite:///{folder / 'db.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=production_environment(database_url=url),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return url


def wait_for_http(url: str, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Return once `url` answers anything at all; raise when it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} seconds")


def start_gunicorn(*, port: int, environment: dict[str, str], output: Path) -> subprocess.Popen:
    """`gunicorn config.wsgi` from the repository folder (so it reads gunicorn.conf.py), on `port`.

    Standard output and error (gunicorn's own log lines and the application's) go to `output`.
    """
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    with output.open("ab") as log:
        process = subprocess.Popen(
            [gunicorn, "config.wsgi"],
            cwd=BASE_DIR,
            env={**environment, "BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
    except RuntimeError:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen, *, timeout: float = 20.0) -> None:
    """Stop a server started here (and its children), gracefully first."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def render_nginx_site(
    *, upstream_port: int, http_port: int, https_port: int, certificate: Path, key: Path, log_dir: Path
) -> str:
    """The shipped site file with local ports, a test certificate and a log folder put in.

    Every replaced text must be found, so a change to the shipped file that these tests would no longer
    exercise fails loudly instead of being tested in its old form.
    """
    text = NGINX_SITE.read_text(encoding="utf-8")
    replacements = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        (f"/etc/letsencrypt/live/{PRODUCTION_HOST}/fullchain.pem", str(certificate)),
        (f"/etc/letsencrypt/live/{PRODUCTION_HOST}/privkey.pem", str(key)),
        ("/var/log/nginx/", f"{log_dir}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"{NGINX_SITE.name} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the production host name (needs the openssl command)."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={PRODUCTION_HOST}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def start_nginx(*, folder: Path, upstream_port: int) -> tuple[subprocess.Popen, int, int]:
    """nginx in the foreground with the shipped site file; returns the process and its HTTP/HTTPS ports."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = make_certificate(folder)
    http_port, https_port = free_port(), free_port()
    site = folder / "procurement.conf"
    site.write_text(
        render_nginx_site(
            upstream_port=upstream_port,
            http_port=http_port,
            https_port=https_port,
            certificate=certificate,
            key=key,
            log_dir=folder,
        ),
        encoding="utf-8",
    )
    main = folder / "nginx.conf"
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    user = "user root root;" if os.geteuid() == 0 else ""
    main.write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [binary, "-t", "-c", str(main), "-p", str(folder)], capture_output=True, text=True, timeout=30
    )
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the site file:\n{checked.stderr}")
    with (folder / "nginx.out").open("ab") as log:
        process = subprocess.Popen(
            [binary, "-c", str(main), "-p", str(folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{http_port}/healthz", timeout=30, process=process)
    except RuntimeError:
        stop(process)
        raise
    return process, http_port, https_port
