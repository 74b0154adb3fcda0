"""In development e-mails are readable UTF-8 files, one per message, instead of base64 on the console."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives

from accounts.mail_files import ReadableFileBackend, mail_destination

LINK = "http://127.0.0.1:8000/account/confirm-email/?token=eyJ1c2VyIjo1fQ%3A1vPiRb%3Aabcdef"


def test_development_settings_write_mail_files_to_var_mail_and_production_uses_smtp():
    script = "from config import settings as s; print(s.MAILERS['default'])"

    def mailer(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            cwd=django_settings.BASE_DIR,
            check=True,
        )
        return result.stdout.strip()

    folder = django_settings.BASE_DIR / "var" / "mail"
    assert mailer() == str(
        {"BACKEND": "accounts.mail_files.ReadableFileBackend", "OPTIONS": {"file_path": str(folder)}}
    )
    assert "smtp.EmailBackend" in mailer(SECRET_KEY="x" * 50, ALLOWED_HOSTS="shop.example.com")


def test_each_message_is_one_readable_utf8_file_with_its_html_part(tmp_path):
    backend = ReadableFileBackend(file_path=str(tmp_path))
    messages = []
    for subject in ["Подтвердите адрес электронной почты", "Заказ №12 подтверждён"]:
        message = EmailMultiAlternatives(
            subject=subject,
            body=f"Здравствуйте, Олег!\n\nОткройте ссылку и нажмите кнопку, чтобы подтвердить адрес:\n{LINK}\n",
            to=["Олег Смирнов <oleg@example.com>"],
        )
        message.attach_alternative(f'<p><a href="{LINK}">Подтвердить</a></p>', "text/html")
        messages.append(message)

    assert backend.send_messages(messages) == 2

    files = sorted(tmp_path.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    assert files[0].name.endswith("-подтвердите-адрес-электронной-почты.eml")
    text = files[0].read_text(encoding="utf-8")
    assert "Subject: Подтвердите адрес электронной почты\n" in text
    assert "To: Олег Смирнов <oleg@example.com>\n" in text
    assert "Откройте ссылку и нажмите кнопку, чтобы подтвердить адрес:\n" + LINK in text
    assert f'<p><a href="{LINK}">Подтвердить</a></p>' in text
    assert "base64" not in text
    assert "=?utf-8?" not in text


def test_mail_destination_names_the_folder_the_console_or_the_smtp_server(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "accounts.mail_files.ReadableFileBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    assert mail_destination() == f"E-mails: written to {tmp_path}/ (one file per message, readable UTF-8)"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    assert mail_destination() == "E-mails: printed to this console"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "smtp.example.com", "port": 587},
        }
    }
    assert mail_destination() == "E-mails: sent through SMTP at smtp.example.com:587"
