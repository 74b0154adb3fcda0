"""The settings read the original service's `.env` keys as well as DATABASE_URL."""

import pytest

from config.env import database_from_env, env_bool


def test_db_keys_of_the_original_service_build_a_postgresql_database(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in {
        "DB_ENGINE": "django.db.backends.postgresql",
        "DB_NAME": "shop",
        "DB_HOST": "db.internal",
        "DB_PORT": "5433",
        "DB_USER": "shop_user",
        "DB_PASSWORD": "s3cret",
    }.items():
        monkeypatch.setenv(key, value)

    config = database_from_env(tmp_path)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"]) == ("shop", "db.internal", "5433")
    assert (config["USER"], config["PASSWORD"]) == ("shop_user", "s3cret")


def test_database_url_wins_over_db_keys(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/main")
    monkeypatch.setenv("DB_ENGINE", "sqlite3")

    config = database_from_env(tmp_path)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "main"


def test_nothing_set_means_sqlite_in_the_repo_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_ENGINE", raising=False)

    config = database_from_env(tmp_path)

    assert config == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "db.sqlite3"),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "CONN_MAX_AGE": 0,
    }


@pytest.mark.parametrize(("raw", "expected"), [("True", True), ("False", False), ("1", True), ("off", False)])
def test_debug_flag_values(monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG_FLAG", raw)
    assert env_bool("DEBUG_FLAG", default=not expected) is expected


def test_debug_flag_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("DEBUG_FLAG", "maybe")
    with pytest.raises(ValueError, match="DEBUG_FLAG must be True or False"):
        env_bool("DEBUG_FLAG", default=True)


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("partners.tasks.import_price_list_task", "imports"),
        ("config.exports.build_admin_export", "imports"),
        ("accounts.tasks.send_outbox_email", "emails"),
        ("accounts.tasks.sweep_outbox_emails", "emails"),
        ("accounts.tasks.send_email", "emails"),
        ("partners.tasks.resume_stale_imports", "default"),
        ("accounts.tasks.clean_expired_tokens", "default"),
        ("config.tasks.delete_expired_files", "default"),
    ],
)
def test_each_kind_of_work_is_routed_to_its_own_queue(task_name, queue):
    from config.celery import app

    assert app.amqp.router.route({}, task_name)["queue"].name == queue
    assert {declared.name for declared in app.conf.task_queues} == {"imports", "emails", "default"}
