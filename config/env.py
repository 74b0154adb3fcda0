"""Reading configuration from the process environment and an optional `.env` file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def load_dotenv(path: Path) -> None:
    """Put `KEY=value` lines of `path` into os.environ; real environment variables win."""
    if not path.is_file():
        return
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export ") :].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValueError(f"{name} must be True or False, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or CIDR networks, checked here so a typo stops the start-up."""
    import ipaddress

    networks = env_list(name)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{name}: {network!r} is not an IP address or network") from None
    return networks


def dev_secret_key(path: Path) -> str:
    """A random key kept in a git-ignored file, so dev sessions survive restarts."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    key = "django-insecure-dev-" + secrets.token_urlsafe(40)
    path.write_text(key + "\n", encoding="utf-8")
    return key


DB_ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "postgresql_psycopg2": "django.db.backends.postgresql",
    "sqlite": "django.db.backends.sqlite3",
    "sqlite3": "django.db.backends.sqlite3",
}


def database_from_env(base_dir: Path) -> dict[str, Any]:
    """`DATABASE_URL` first, then the original service's `DB_*` keys, then SQLite in the repo."""
    import dj_database_url

    conn_max_age = env_int("CONN_MAX_AGE", 60)
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    elif env_str("DB_ENGINE"):
        engine = env_str("DB_ENGINE")
        engine = DB_ENGINES.get(engine.rsplit(".", 1)[-1], engine)
        name = env_str("DB_NAME", "procurement")
        if engine.endswith("sqlite3") and not os.path.isabs(name):
            name = str(base_dir / name)
        config = {
            "ENGINE": engine,
            "NAME": name,
            "HOST": env_str("DB_HOST"),
            "PORT": env_str("DB_PORT"),
            "USER": env_str("DB_USER"),
            "PASSWORD": env_str("DB_PASSWORD"),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
        }
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(base_dir / "db.sqlite3")}
    if config["ENGINE"].endswith("sqlite3"):
        config.setdefault("OPTIONS", {})
        # WAL lets the dev server read while a long import writes.
        config["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
        config["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        config["OPTIONS"].setdefault("timeout", 20)
        config["CONN_MAX_AGE"] = 0
    return config
