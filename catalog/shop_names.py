"""Shop names as people read them: the cleaned name a partner sees and the key two names are compared by.

Pure text functions (no models), so they move with the `Shop` model wherever it lives.

- `clean_shop_name` keeps what the partner wrote, trimmed, with each run of whitespace (a no-break space
  too) made one space and in NFC (canonically equal forms are one text); it refuses control and
  invisible characters (zero-width space and joiners, BOM, bidi controls, soft hyphen, variation
  selectors, …), naming the character and its position.
- `shop_name_key` is what uniqueness is checked on: NFKC (fullwidth and other compatibility forms), the
  same whitespace rule, every dash one hyphen and every quotation mark one quote, invisible characters
  dropped, then the Unicode TR39 skeleton taken case-insensitively, so «Связь-Маркет» written with a Latin
  C or M, a no-break hyphen or in capitals gives the same key as the honest name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LENGTH = 100
# The key column's size; a name whose key is longer (NFKC and skeletons expand some characters many
# times) is refused as too long, so the key always fits and stays a small index entry.
KEY_MAX_LENGTH = 400

CONFUSABLES_FILE = Path(__file__).resolve().parent / "shop_name_confusables.txt"

# Unicode's White_Space property: what people see as space (str.isspace also takes the C0 separators).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_RUN = re.compile(f"[{re.escape(WHITESPACE)}]+")

# Characters that show nothing although they are letters or marks: Unicode's Default_Ignorable_Code_Point
# outside the format and unassigned categories (refused by category anyway), and the blank braille cell.
_INVISIBLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
# Control, format (zero-width, bidi, soft hyphen, BOM, tags), surrogate, private-use, unassigned.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})

# Horizontal strokes read as a hyphen: Unicode's dash punctuation that looks like one, minus signs, the
# box-drawing line and the Katakana long-vowel mark (TR39's prototype for the em dash and for 一).
DASHES = (
    "\u058a\u05be\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u02d7\u2212\u2796\u23af\u2500"
    "\u2e3a\u2e3b\u30fc\ufe58\ufe63\uff0d\uff70\U00010ead"
)
QUOTES = "\"'`´«»‘’‚‛“”„‟‹›′″‵‶〝〞〟＂＇"
_DASH_TABLE = str.maketrans(dict.fromkeys(DASHES, "-"))
_PUNCTUATION_TABLE = str.maketrans({**dict.fromkeys(DASHES, "-"), **dict.fromkeys(QUOTES, '"')})


def is_invisible(char: str) -> bool:
    """A character people cannot see or that changes how others show: never part of a shop name."""
    if char in WHITESPACE:
        return False
    if unicodedata.category(char) in _REFUSED_CATEGORIES:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", text).strip(" ")


def clean_shop_name(name: str) -> str:
    """The name to keep: trimmed, whitespace runs made one space, NFC; ValidationError for bad characters.

    Refused: control and invisible characters (the message names the first one, as U+XXXX, and its
    position in the name as written, counting from 1), an empty name and a name longer than MAX_LENGTH.
    """
    for position, char in enumerate(name, start=1):
        if is_invisible(char):
            raise ValidationError(
                _(
                    "The shop name contains the invisible or control character %(code)s (%(character)s) "
                    "at position %(position)s; remove it."
                )
                % {"code": f"U+{ord(char):04X}", "character": _character_name(char), "position": position},
                code="shop_name_invisible_character",
            )
    cleaned = unicodedata.normalize("NFC", collapse_whitespace(name))
    if not cleaned:
        raise ValidationError(_("The shop name is empty."), code="shop_name_empty")
    if len(cleaned) > MAX_LENGTH or len(shop_name_key(cleaned)) > KEY_MAX_LENGTH:
        raise ValidationError(
            _("The shop name is too long: at most %(limit)s characters.") % {"limit": MAX_LENGTH},
            code="shop_name_too_long",
        )
    return cleaned


def shop_name_key(name: str) -> str:
    """The comparison key: two names with the same key read the same and cannot both be shops.

    NFKC, invisible characters dropped, whitespace collapsed, dashes and quotation marks unified; then
    the TR39 skeleton of the upper-cased text (capitals are where Latin, Cyrillic and Greek look alike:
    С/C, М/M), case-folded, and the skeleton again (the look-alikes among small letters). The result is
    case-insensitive and equal for mixed-script look-alikes.
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(char for char in text if not is_invisible(char))
    text = collapse_whitespace(text).translate(_PUNCTUATION_TABLE)
    text = skeleton(unicodedata.normalize("NFKC", text.upper()))
    text = skeleton(unicodedata.normalize("NFKC", text.casefold()))
    # Skeletons turn some strokes into the long-vowel mark: read those as a hyphen too.
    return collapse_whitespace(text.translate(_DASH_TABLE))


def skeleton(text: str) -> str:
    """Unicode TR39 skeleton: NFD, each character replaced by its confusable prototype, NFD again."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", decomposed.translate(confusables()))


@cache
def confusables() -> dict[int, str]:
    """Code point → prototype text, read once from the shipped table (see catalog/tools/)."""
    table: dict[int, str] = {}
    with CONFUSABLES_FILE.open(encoding="utf-8") as stream:
        for line in stream:
            if line.startswith("#") or not line.strip():
                continue
            source, *target = line.split()
            table[int(source, 16)] = "".join(chr(int(code, 16)) for code in target)
    return table


def _character_name(char: str) -> str:
    name = unicodedata.name(char, "")
    if name:
        return name
    category = unicodedata.category(char)
    names = {
        "Cc": _("a control character"),
        "Cn": _("an unassigned character"),
        "Co": _("a private-use character"),
        "Cs": _("a surrogate"),
    }
    return names.get(category, category)
