"""Reading configuration from the process environment and an optional `.env` file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
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


def s3_storage_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The django-storages settings of `MEDIA_STORAGE=s3`, from its standard `AWS_*` variables.

    Any S3-compatible store: AWS S3, MinIO, Ceph, Yandex Object Storage (`AWS_S3_ENDPOINT_URL`).
    """
    from botocore.config import Config

    environ = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return environ.get(name, default).strip()

    bucket = get("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ValueError("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    addressing_style = get("AWS_S3_ADDRESSING_STYLE") or None
    signature_version = "s3v4"
    values: dict[str, Any] = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": get("AWS_S3_ENDPOINT_URL") or None,  # unset: AWS itself
        "AWS_S3_REGION_NAME": get("AWS_S3_REGION_NAME") or None,
        # A prefix inside the bucket, so one bucket can serve several installations.
        "AWS_LOCATION": get("AWS_LOCATION").strip("/"),
        # `path` for stores without a host name per bucket (MinIO, most on-premises ones).
        "AWS_S3_ADDRESSING_STYLE": addressing_style,
        "AWS_S3_SIGNATURE_VERSION": signature_version,
        # Objects stay private (no public-read ACL is ever set: the bucket's policy decides), and a name
        # already taken is never overwritten (keys carry a random part as well: config.storage).
        "AWS_DEFAULT_ACL": None,
        "AWS_S3_FILE_OVERWRITE": False,
        "AWS_QUERYSTRING_AUTH": True,
        # A file read whole (the import engine's price list) is spooled to a local temporary file
        # above this size instead of being held in memory.
        "AWS_S3_MAX_MEMORY_SIZE": int(get("AWS_S3_MAX_MEMORY_SIZE") or 8 * 1024 * 1024),
        # A store that stops answering fails a request or a readiness probe in seconds. (Given a
        # client config, django-storages no longer applies the addressing style and signature
        # settings itself: they go here too.)
        "AWS_S3_CLIENT_CONFIG": Config(
            s3={"addressing_style": addressing_style},
            signature_version=signature_version,
            connect_timeout=int(get("AWS_S3_CONNECT_TIMEOUT") or 3),
            read_timeout=int(get("AWS_S3_READ_TIMEOUT") or 60),
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    # Unset keys leave boto3 its own chain (an instance role, ~/.aws/credentials): no secret needs to
    # be in the environment at all.
    if get("AWS_ACCESS_KEY_ID"):
        values["AWS_ACCESS_KEY_ID"] = get("AWS_ACCESS_KEY_ID")
        values["AWS_SECRET_ACCESS_KEY"] = get("AWS_SECRET_ACCESS_KEY")
    return values
