"""`make run` ends its start-up output with the demo credentials and where e-mails go."""

from __future__ import annotations

from io import StringIO

from config.management.commands.devserver import Command


def started(settings) -> list[str]:
    out = StringIO()
    command = Command(stdout=out)
    # What runserver's handle() sets before it binds.
    command.addr, command._raw_ipv6, command.protocol = "127.0.0.1", False, "http"
    command.on_bind(8000)
    return out.getvalue().rstrip().splitlines()


def test_the_banner_is_followed_by_the_kept_credentials_and_the_mail_folder(settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE.parent.mkdir(parents=True)
    settings.DEMO_CREDENTIALS_FILE.write_text(
        "Demo credentials (loaded 2026-11-29 10:00):\n  Store manager (admin)    manager        s3cret\n",
        encoding="utf-8",
    )
    settings.MAILERS = {
        "default": {
            "BACKEND": "accounts.mail_files.ReadableFileBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }

    lines = started(settings)

    banner = next(index for index, line in enumerate(lines) if "Quit the server with" in line)
    assert lines[banner + 1 :][-3:] == [
        "Demo credentials (loaded 2026-11-29 10:00):",
        "  Store manager (admin)    manager        s3cret",
        f"E-mails: written to {tmp_path}/ (one file per message, readable UTF-8)",
    ]


def test_without_kept_credentials_it_says_how_to_make_them(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

    lines = started(settings)

    assert lines[-2:] == [
        "No demo credentials kept: `manage.py load_demo` on an empty database makes them.",
        "E-mails: printed to this console",
    ]
