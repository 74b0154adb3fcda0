"""The Russian catalog is complete: every message of the project (and of unfold's admin) is translated."""

from pathlib import Path

import pytest
from django.utils import translation

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def entries(text: str):
    """Yield (flags, msgid, msgstr values) of each active entry of a .po file."""
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        current, values = None, {}
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith(("msgid", "msgstr", "msgctxt")):
                current, _, rest = line.partition(" ")
                values[current] = rest.strip('"')
            elif line.startswith('"') and current:
                values[current] += line.strip('"')
        msgstrs = [value for key, value in values.items() if key.startswith("msgstr")]
        yield flags, values.get("msgid", ""), msgstrs


def test_every_message_has_a_russian_translation_and_none_is_fuzzy():
    text = CATALOG.read_text(encoding="utf-8")

    untranslated = [msgid for flags, msgid, msgstrs in entries(text) if msgid and not all(msgstrs)]
    fuzzy = [msgid for flags, msgid, _msgstrs in entries(text) if "fuzzy" in flags]

    assert untranslated == []
    assert fuzzy == []
    assert len(list(entries(text))) > 400


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("Awaiting confirmation", "Ожидают подтверждения"),
        ("Upload price list", "Загрузить прайс-лист"),
        ("Confirmed", "Подтверждён"),
        ("Search apps and models...", "Поиск разделов и моделей…"),
    ],
)
def test_compiled_catalog_translates_into_russian(english, russian):
    with translation.override("ru"):
        assert translation.gettext(english) == russian
