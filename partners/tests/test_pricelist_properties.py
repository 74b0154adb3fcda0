"""Properties of the price-list readers, over files Hypothesis writes.

* Whatever the text of the values and however they are written (plain, single- or double-quoted, with
  comments, CRLF, indents of 2 or 4), the scanner either declines the file or reads it exactly as the
  YAML reader does: the same goods, or the same errors.
* Values written quoted come back exactly as they were (the file says what is stored).
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partners.pricelist import parse_price_list
from partners.tests.test_pricelist import both_paths

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters a price list holds, and the characters that mean something to YAML.
_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")
) | st.sampled_from(list(":#'\"-[]{}&*!|>%@`?, \\"))
TEXT = st.text(_ALPHABET, min_size=1, max_size=12).filter(lambda text: text.strip() == text and text)
NUMBER = st.integers(min_value=-(10**50), max_value=10**50).map(str) | st.floats(allow_nan=False).map(repr)
VALUE = TEXT | NUMBER | st.sampled_from(["true", "false", "null", "~", "yes", "16:9", "6.50", "0x1F", "1e3"])


def _write(text: str, style: str) -> str:
    if style == "double-ascii" and all(ord(char) < 0x10000 for char in text):
        return json.dumps(text, ensure_ascii=True)  # JSON's surrogate pairs are not YAML: BMP only
    if style in ("double", "double-ascii"):
        return json.dumps(text, ensure_ascii=False)
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    return text  # plain: whatever YAML makes of it


STYLE = st.sampled_from(["plain", "double", "double-ascii", "single"])
QUOTED = st.sampled_from(["double", "double-ascii", "single"])
COMMENT = st.sampled_from(["", "", "  # note", " #x"])


@st.composite
def price_lists(draw, *, quoted_only: bool):
    """(file text, the values it was written from)."""
    style = QUOTED if quoted_only else STYLE
    pad = " " * draw(st.sampled_from([2, 4]))
    shop = draw(TEXT)
    categories = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
    lines = [f"shop: {_write(shop, draw(style))}{draw(COMMENT)}", "categories:"]
    for number, name in enumerate(categories, 1):
        lines += [f"{pad}- id: {number}", f"{pad}  name: {_write(name, draw(style))}{draw(COMMENT)}"]
    lines.append("goods:")
    goods = []
    for number in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(TEXT)
        price = draw(st.decimals(min_value=0, max_value=10**6, places=2))
        quantity = draw(st.integers(min_value=0, max_value=10**6))
        parameters = draw(st.dictionaries(TEXT, VALUE, max_size=4))
        category = draw(st.integers(min_value=1, max_value=len(categories)))
        lines += [
            f"{pad}- id: {number}{draw(COMMENT)}",
            f"{pad}  category: {category}",
            f"{pad}  name: {_write(name, draw(style))}",
            f"{pad}  price: {price}",
            f"{pad}  quantity: {quantity}{draw(COMMENT)}",
        ]
        written = {}
        if parameters:
            lines.append(f"{pad}  parameters:")
            for key, value in parameters.items():
                value_style = draw(style)
                lines.append(
                    f"{pad}    {_write(key, draw(style))}: {_write(value, value_style)}{draw(COMMENT)}"
                )
                written[key] = value
        goods.append((str(number), str(category), name, price, quantity, written))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", ""]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, (shop, categories, goods)


@SETTINGS
@given(price_lists(quoted_only=False))
def test_the_scanner_reads_every_file_as_the_yaml_reader_does_or_declines_it(case):
    text, _ = case
    fast, slow = both_paths(text)

    if fast is not None:
        assert fast == slow


@SETTINGS
@given(price_lists(quoted_only=True))
def test_quoted_values_come_back_exactly_as_written(case):
    text, (shop, categories, goods) = case
    fast, slow = both_paths(text)
    price_list = parse_price_list(text.encode())

    assert fast is not None, "quoted one-line values are inside the scanner's subset"
    assert fast == slow == price_list
    assert price_list.shop == shop
    assert [category.name for category in price_list.categories] == categories
    for good, (external_id, category, name, price, quantity, parameters) in zip(
        price_list.goods, goods, strict=True
    ):
        assert (good.external_id, good.category_id, good.name, good.quantity) == (
            external_id,
            category,
            name,
            quantity,
        )
        assert good.price == Decimal(price)
        assert good.parameters == parameters


# Characters a clumsy edit or a hostile file puts anywhere: YAML indicators, spaces, line breaks.
_MUTATION = st.sampled_from([*":-?#'\"[]{},&*!|>%@` \n\t\\", "- ", ": ", " #", "\n  ", "\n- ", "{}", "[]"])


# A value made of YAML's indicators and a letter or two: what `model: -:` or `?:` are made of.
_SHORT_VALUE = st.text(alphabet=list(":-?# 'a"), min_size=1, max_size=3) | st.text(
    alphabet=list(":-?#'\"[]{},&*!|>%@` a1"), min_size=1, max_size=4
)


@SETTINGS
@given(price_lists(quoted_only=False), st.data())
def test_after_random_edits_the_scanner_still_agrees_or_declines(case, data):
    """Mutations of valid files: a value or key rewritten, or characters put anywhere (`model: -:`, `::` and
    `?:` once passed the scanner while YAML refused them)."""
    text, _ = case
    for _edit in range(data.draw(st.integers(min_value=1, max_value=4))):
        lines = text.split("\n")
        number = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[number]
        kind = data.draw(st.sampled_from(["value", "key", "insert", "replace"]))
        if kind in ("value", "key") and ": " in line:
            key, _sep, value = line.partition(": ")
            if kind == "value":
                lines[number] = f"{key}: {data.draw(_SHORT_VALUE)}"
            else:
                indent = key[: len(key) - len(key.lstrip(" -"))]
                lines[number] = f"{indent}{data.draw(_SHORT_VALUE)}: {value}"
            text = "\n".join(lines)
            continue
        position = data.draw(st.integers(min_value=0, max_value=len(text)))
        end = position if kind == "insert" else position + 1
        text = text[:position] + data.draw(_MUTATION) + text[end:]
    fast, slow = both_paths(text)

    if fast is not None:
        assert fast == slow
