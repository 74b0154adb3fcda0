"""The price-list parser: format, exact values, every rejection reason, and scanner ≡ YAML reader."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import pytest
from django.utils import translation

from partners.pricelist import Good, PriceList, PriceListInvalid, parse_price_list, read_price_list, source
from partners.pricelist.records import (
    MAX_CATEGORIES,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_ITEM_VALUES,
    MAX_LINE_CHARS,
    MAX_NUMBER_CHARS,
)
from partners.pricelist.rules import Builder
from partners.pricelist.scanner import OutsideSubset
from partners.pricelist.scanner import scan as _scan
from partners.pricelist.source import read_chunks
from partners.pricelist.yaml_reader import read_yaml
from partners.tests.data_files import DATA, NONSTANDARD_FILES, SHARED_FILES, needs_shared


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in the source language."""
    with translation.override("en"):
        yield


def _encode(text: str | bytes) -> bytes:
    return text.encode() if isinstance(text, str) else text


def fast_parse(text: str | bytes) -> PriceList:
    """The scanner alone; raises OutsideSubset when it declines the file."""
    goods: list[Good] = []
    builder = Builder(goods.append)
    _scan(read_chunks(io.BytesIO(_encode(text)), max_bytes=1 << 30), builder)
    header = builder.finish()
    return PriceList(header.shop, header.categories, goods, header.shop_line)


def yaml_parse(text: str | bytes) -> PriceList:
    """The YAML reader alone."""
    goods: list[Good] = []
    header = read_yaml(read_chunks(io.BytesIO(_encode(text)), max_bytes=1 << 30), Builder(goods.append))
    return PriceList(header.shop, header.categories, goods, header.shop_line)


def both_paths(text: str | bytes):
    """(scanner's result or None when it declines, YAML reader's result or the errors it reports)."""
    try:
        fast = fast_parse(text)
    except OutsideSubset:
        fast = None
    except PriceListInvalid as exc:
        fast = [str(error) for error in exc.errors]
    try:
        slow = yaml_parse(text)
    except PriceListInvalid as exc:
        slow = [str(error) for error in exc.errors]
    return fast, slow


def errors_of(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list(data, **kwargs)
    return [str(error) for error in caught.value.errors]


# --- Valid files ----------------------------------------------------------------------------------


def test_small_file_keeps_every_value_exactly_as_written():
    price_list = parse_price_list((DATA / "good" / "small.yaml").read_bytes())

    assert price_list.shop == "Чайная лавка"
    assert [(c.external_id, c.name) for c in price_list.categories] == [("1", "Чай"), ("kofe", "Кофе")]
    assert price_list.goods[0] == Good(
        external_id="101",
        category_id="1",
        name="Чай зелёный Сенча 100 г",
        model="teaco/green/sencha",
        price=Decimal("349.90"),
        recommended_price=Decimal("399"),
        quantity=25,
        parameters={
            "Вес (г)": 100,
            "Крепость": 6.5,
            "Сорт": "1",
            "Соотношение": "16:9",
            "Цена за грамм": "6.50",
            "Органический": True,
            "Листовой": "yes",
            "Код": "0x1F",
            "Упаковка": "2688x1242",
        },
        line=10,
    )
    second, third = price_list.goods[1], price_list.goods[2]
    assert (second.external_id, second.category_id, second.model, second.recommended_price) == (
        "A-102",
        "kofe",
        "",
        None,
    )
    assert second.name == 'Кофе в зёрнах "Арабика" 1 кг'
    assert second.parameters == {"Обжарка": "средняя"}
    assert (third.model, third.price, third.recommended_price, third.parameters) == (
        "",
        Decimal("199.5"),
        Decimal("249.99"),
        {},
    )


def test_parameter_types_follow_the_written_text_not_yaml_1_1():
    text = (
        "shop: S\ncategories:\n  - id: 1\n    name: C\ngoods:\n  - id: 1\n    category: 1\n    name: N\n"
        "    price: 1\n    quantity: 1\n    parameters:\n"
        '      a: 512\n      b: 6.5\n      c: true\n      d: "512"\n      e: 1e3\n      f: on\n'
        "      g: 1_000\n      h: 012\n      i: 1.50\n      j: false\n      k: null\n      l: ~\n      m: -7\n"
        "      n: 2020-01-01\n      o: .5\n"
    )
    parameters = parse_price_list(text.encode()).goods[0].parameters
    assert parameters == {
        "a": 512,
        "b": 6.5,
        "c": True,
        "d": "512",
        "e": "1e3",
        "f": "on",
        "g": "1_000",
        "h": "012",
        "i": "1.50",
        "j": False,
        "k": None,
        "l": "~",
        "m": -7,
        "n": "2020-01-01",
        "o": ".5",
    }
    assert [type(parameters[key]) for key in ("a", "b", "c", "j")] == [int, float, bool, bool]


@needs_shared
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda path: path.name)
def test_every_shared_canonical_file_parses_the_same_on_both_paths(path):
    fast, slow = both_paths(path.read_bytes())

    assert fast is not None, "the fast path should take the canonical files"
    assert fast == slow
    assert fast.goods
    assert parse_price_list(path.read_bytes()) == fast


@needs_shared
@pytest.mark.parametrize("path", NONSTANDARD_FILES, ids=lambda path: path.name)
def test_nonstandard_files_are_rejected_with_a_clear_message(path):
    errors = errors_of(path.read_bytes())

    assert errors[0] == "categories: is missing (line 1)"
    assert "goods[0].id: is missing (line 3)" in errors
    assert (
        "goods[0].category: must be the id of a category declared in `categories`, and the file has no "
        "`categories` list (Смартфоны is not declared) (line 3)"
    ) in errors


@pytest.mark.parametrize("name", ["small.yaml", "small_changed.yaml"])
def test_fixture_files_parse_the_same_on_both_paths(name):
    fast, slow = both_paths((DATA / "good" / name).read_bytes())

    assert fast is not None
    assert fast == slow


# --- Rejections -----------------------------------------------------------------------------------

BAD_FILES = {
    "not_a_mapping.yaml": ["the file must be a mapping with the keys shop, categories, goods (line 1)"],
    "empty.yaml": ["the file must be a mapping with the keys shop, categories, goods (line 1)"],
    "missing_goods.yaml": ["goods: is missing (line 1)"],
    "extra_top_level_key.yaml": ["currency: unknown key; allowed keys: shop, categories, goods (line 2)"],
    "goods_not_a_list.yaml": ["goods: must be a list of goods (line 5)"],
    "negative_price.yaml": ["goods[0].price: must be a number ≥ 0 (line 9)"],
    "negative_quantity.yaml": ["goods[0].quantity: must be a whole number ≥ 0 (line 10)"],
    "fractional_quantity.yaml": ["goods[0].quantity: must be a whole number ≥ 0 (line 10)"],
    "bool_price.yaml": ["goods[0].price: must be a number ≥ 0 (line 9)"],
    "quoted_price.yaml": ["goods[0].price: must be a number ≥ 0 (line 9)"],
    "price_with_three_decimals.yaml": ["goods[0].price: must have at most 2 decimal places (line 9)"],
    "undeclared_category.yaml": [
        "goods[0].category: must be the id of a category declared in `categories` (7 is not declared) (line 7)"
    ],
    "missing_good_category.yaml": ["goods[0].category: is missing (line 6)"],
    "unknown_good_key.yaml": [
        "goods[0].extra: unknown key; allowed keys: id, category, name, price, quantity, model, price_rrc, "
        "parameters (line 8)"
    ],
    "duplicate_good_id.yaml": ["goods[1].id: duplicate good id 10 (first used at line 6) (line 11)"],
    "duplicate_category_id.yaml": [
        "categories[1].id: duplicate category id 1 (first declared at line 3) (line 5)"
    ],
    "empty_shop_name.yaml": ["shop: must not be empty (line 1)"],
    "name_too_long.yaml": ["goods[0].name: is longer than 255 characters (line 8)"],
    "syntax_error.yaml": [
        "YAML syntax error: while parsing a block collection did not find expected '-' indicator (line 8)"
    ],
    "anchor_and_alias.yaml": [
        "anchors are not allowed in a price list (line 3)",
        "aliases are not allowed in a price list (line 7)",
    ],
    "tag.yaml": ["tags are not allowed in a price list (tag:yaml.org,2002:float) (line 9)"],
    "not_utf8.yaml": ["the file is not UTF-8 text (byte 6) (line 1)"],
    "two_documents.yaml": ["the file must hold one YAML document (line 4)"],
    "many_problems.yaml": [
        "categories[1].name: is missing (line 5)",
        "goods[0].price: must be a number ≥ 0 (line 10)",
        "goods[1].category: must be the id of a category declared in `categories` (3 is not declared) (line 13)",
        "goods[1].name: must not be empty (line 14)",
        "goods[1].price_rrc: must be a number ≥ 0 (line 16)",
        'goods[1].parameters["Вес"]: duplicate key (line 20)',
        "goods[2].id: is missing (line 21)",
        "goods[2].quantity: must be a whole number ≥ 0 (line 24)",
    ],
}


def test_every_bad_file_in_the_corpus_has_an_expected_error():
    assert sorted(path.name for path in (DATA / "bad").glob("*.yaml")) == sorted(
        [*BAD_FILES, "alias_bomb.yaml"]
    )


@pytest.mark.parametrize(("name", "expected"), BAD_FILES.items(), ids=list(BAD_FILES))
def test_bad_file_is_rejected_with_exact_errors(name, expected):
    assert errors_of((DATA / "bad" / name).read_bytes()) == expected


@pytest.mark.parametrize("path", sorted((DATA / "bad").glob("*.yaml")), ids=lambda path: path.name)
def test_scanner_never_accepts_a_bad_file(path):
    fast, slow = both_paths(path.read_bytes())

    assert isinstance(slow, list), "the YAML reader rejects it"
    assert fast is None or fast == slow, "the scanner either declines it or rejects it the same way"


def test_alias_bomb_is_rejected_without_expanding_it():
    errors = errors_of((DATA / "bad" / "alias_bomb.yaml").read_bytes())

    assert errors[:3] == [
        "anchors are not allowed in a price list (line 2)",
        "anchors are not allowed in a price list (line 3)",
        "aliases are not allowed in a price list (line 3)",
    ]
    assert errors[-1] == "aliases are not allowed in a price list (line 10)"
    assert len(errors) == 14


def test_file_over_the_size_limit_is_rejected_before_parsing(settings):
    data = (DATA / "good" / "small.yaml").read_bytes()
    settings.PRICE_LIST_MAX_BYTES = len(data) - 1

    assert errors_of(data) == [f"the file is {len(data)} bytes, more than the limit of {len(data) - 1} bytes"]
    assert errors_of(data, max_bytes=10) == [
        f"the file is {len(data)} bytes, more than the limit of 10 bytes"
    ]


def test_error_dict_has_path_message_and_line():
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list((DATA / "bad" / "negative_price.yaml").read_bytes())

    assert caught.value.as_dict() == [
        {"path": "goods[0].price", "message": "must be a number ≥ 0", "line": 9}
    ]


# --- Fast path ≡ YAML reader on generated variants -----------------------------------------------


def _variant(rng: random.Random) -> tuple[str, bool]:
    """A random valid price list; True when it stays inside the fast path's subset."""
    inside = True

    def string(text: str) -> str:
        style = rng.choice(["plain", "double", "single", "double_escape"])
        if style == "double":
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if style == "single":
            return "'" + text.replace("'", "''") + "'"
        if style == "double_escape":
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("а", "\\u0430") + '"'
        return text

    def comment() -> str:
        return rng.choice(["", "", "  # note", " #x"])

    indent = rng.choice([2, 4])
    pad = " " * indent
    lines = [f"shop: {string('Магазин № 1')}{comment()}"]
    if rng.random() < 0.3:
        lines.append("# categories follow")
    lines.append("categories:")
    for number in range(3):
        lines += [f"{pad}- id: {number + 1}", f"{pad}  name: {string(f'Категория {number}')}{comment()}"]
        if rng.random() < 0.2:
            lines.append("")
    lines.append("goods:")
    values = [
        "512",
        "6.5",
        "6.50",
        "true",
        "yes",
        "0x1F",
        "16:9",
        "2688x1242",
        '"7"',
        "'8'",
        "-3",
        "null",
        "1e5",
    ]
    for number in range(6):
        lines.append(f"{pad}- id: {rng.choice([str(100 + number), string(f'X-{number}')])}{comment()}")
        lines.append(f"{pad}  category: {rng.randint(1, 3)}")
        if rng.random() < 0.7:
            lines.append(f"{pad}  model: {string(f'brand/model-{number}')}")
        lines.append(f"{pad}  name: {string(f'Товар {number} (новый)')}")
        lines.append(f"{pad}  price: {rng.choice(['100', '99.9', '0', '1234.56'])}{comment()}")
        if rng.random() < 0.8:
            lines.append(f"{pad}  price_rrc: {rng.choice(['120', '150.5'])}")
        lines.append(f"{pad}  quantity: {rng.randint(0, 50)}")
        if rng.random() < 0.8:
            lines.append(f"{pad}  parameters:")
            for key in rng.sample(["Цвет", "Вес", "Экран", "Память"], 3):
                lines.append(f"{pad}    {string(key)}: {rng.choice(values)}{comment()}")
        if rng.random() < 0.2:
            lines.append("   # indented comment")
    text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
    if rng.random() < 0.2:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.1:
        text = text.replace("name: ", "name:\t", 1)  # tabs are left to the YAML reader
        inside = False
    return text, inside


@pytest.mark.parametrize("seed", range(60))
def test_fast_path_and_yaml_reader_agree_on_generated_variants(seed):
    text, inside = _variant(random.Random(seed))
    data = text.encode()
    if seed % 5 == 0:
        data = b"\xef\xbb\xbf" + data
    fast, slow = both_paths(data)

    assert not isinstance(slow, list), slow
    if inside:
        assert fast is not None, text
    if fast is not None:
        assert fast == slow


@pytest.mark.parametrize(
    "value",
    [
        "a: b",
        "[1, 2]",
        "{a: 1}",
        "|",
        "&x 1",
        "*x",
        "!x 1",
        "'it''s'",
        '"a\\tb"',
        '"\\x41"',
        "- 1",
        "a #b",
        "a#b",
        "-:",
        "::",
        "?:",
        "-:a",
        "::a",
        "a:-",
    ],
)
def test_fast_path_never_disagrees_on_tricky_parameter_values(value):
    text = (
        "shop: S\ncategories:\n  - id: 1\n    name: C\ngoods:\n  - id: 1\n    category: 1\n    name: N\n"
        f"    price: 1\n    quantity: 1\n    parameters:\n      p: {value}\n      q: 2\n"
    )
    as_model = text.replace("    price: 1\n", f"    model: {value}\n    price: 1\n")
    as_key = text.replace("      q: 2", f"      {value}: 2")

    for variant in (text, as_model, as_key):
        fast, slow = both_paths(variant)
        if fast is not None:
            assert fast == slow, variant


NUL_TEMPLATE = """shop: {shop}
categories:
  - id: 1
    name: Tea
goods:
  - id: 1
    category: 1
    name: {name}
    price: 10
    quantity: 1
    parameters:
      {key}: {value}
"""


@pytest.mark.parametrize(
    ("place", "line"),
    [("shop", 1), ("name", 8), ("key", 12), ("value", 12)],
)
@pytest.mark.parametrize("escape", ["\\0", "\\u0000", "\\x00"])
def test_a_nul_character_written_as_an_escape_is_refused_with_its_line(place, line, escape):
    fields = {"shop": "Shop", "name": "Green tea", "key": "Weight", "value": "100"}
    fields[place] = f'"a{escape}b"'
    text = NUL_TEMPLATE.format(**fields)

    with pytest.raises(OutsideSubset):
        fast_parse(text)
    assert errors_of(text.encode()) == [f"text must not contain the NUL character (\\0) (line {line})"]


# --- Bounds: what a hostile or clumsy file may cost ------------------------------------------------

SMALL = (DATA / "good" / "small.yaml").read_bytes()
HEAD = "shop: S\ncategories:\n  - id: 1\n    name: C\ngoods:\n"
GOOD = "  - id: {n}\n    category: 1\n    name: N{n}\n    price: 1\n    quantity: {quantity}\n"


def test_a_line_longer_than_the_limit_is_refused_with_its_line():
    text = HEAD + GOOD.format(n=1, quantity=1) + "    model: " + "x" * (MAX_LINE_CHARS + 1) + "\n"

    assert errors_of(text.encode()) == [
        f"the line is longer than {MAX_LINE_CHARS} characters; a price list has one value per line (line 11)"
    ]


def test_a_long_line_without_any_line_break_is_refused_before_it_is_read_whole(monkeypatch):
    monkeypatch.setattr(source, "BLOCK_BYTES", 4096)
    stream = io.BytesIO(b"z: " + b"a#" * (MAX_LINE_CHARS * 4))

    with pytest.raises(PriceListInvalid) as caught:
        read_price_list(stream, on_good=lambda good: None)

    assert [str(error) for error in caught.value.errors] == [
        f"the line is longer than {MAX_LINE_CHARS} characters; a price list has one value per line (line 1)"
    ]
    assert stream.tell() < MAX_LINE_CHARS * 4 + 2 * 4096, "reading stopped at the limit"


def test_nesting_deeper_than_a_price_list_needs_is_refused_with_its_line():
    text = "shop: S\ncategories: []\ngoods:\n  - parameters:\n      p: " + "[" * 20 + "]" * 20 + "\n"

    assert errors_of(text.encode()) == [
        f"the file nests deeper than {MAX_DEPTH} levels; a price list needs four (line 5)"
    ]


def test_deep_flow_nesting_is_refused_at_once_whatever_its_size():
    text = "shop: " + "\n".join(["[" * 1000] * 200) + "\n"

    assert errors_of(text.encode()) == [
        f"the file nests deeper than {MAX_DEPTH} levels; a price list needs four (line 1)"
    ]


def test_an_item_with_too_many_values_is_refused():
    values = "".join(f"      p{number}: [{number}, {number}]\n" for number in range(MAX_ITEM_VALUES))
    text = HEAD + GOOD.format(n=1, quantity=1) + "    parameters:\n" + values

    errors = errors_of(text.encode())

    assert len(errors) == 1
    assert errors[0].startswith(f"goods[0]: holds more than {MAX_ITEM_VALUES} values (line ")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("quantity", "7" * 5000, "goods[0].quantity: must be at most 2147483647 (line 10)"),
        ("quantity", "99999999999", "goods[0].quantity: must be at most 2147483647 (line 10)"),
        ("price", "9" * 50, "goods[0].price: must be at most 9999999999.99 (line 9)"),
    ],
)
def test_numbers_of_any_length_get_a_clean_error_with_their_line(field, value, expected):
    text = (HEAD + GOOD.format(n=1, quantity=1)).replace(
        "price: 1", "price: 1" if field != "price" else f"price: {value}"
    )
    if field == "quantity":
        text = text.replace("quantity: 1", f"quantity: {value}")

    assert errors_of(text.encode()) == [expected]
    fast, slow = both_paths(text)
    assert fast == slow


def test_a_parameter_number_longer_than_the_limit_is_refused_unless_quoted():
    digits = "1" * (MAX_NUMBER_CHARS + 1)
    text = (
        HEAD
        + GOOD.format(n=1, quantity=1)
        + f"    parameters:\n      Код: {digits}\n      Номер: '{digits}'\n"
    )

    assert errors_of(text.encode()) == [
        f'goods[0].parameters["Код"]: a number may have at most {MAX_NUMBER_CHARS} characters; quote it to keep '
        "it as text (line 12)"
    ]
    quoted = parse_price_list(text.replace(f"Код: {digits}", "Код: 5").encode())
    assert quoted.goods[0].parameters == {"Код": 5, "Номер": digits}


def test_empty_parameters_written_as_braces_stay_on_the_scanner():
    text = HEAD + GOOD.format(n=1, quantity=1) + "    parameters: {}\n" + GOOD.format(n=2, quantity=3)
    fast, slow = both_paths(text)

    assert isinstance(fast, PriceList)
    assert fast == slow
    assert [good.parameters for good in fast.goods] == [{}, {}]


def test_goods_may_come_before_their_categories():
    text = "shop: S\ngoods:\n" + GOOD.format(n=1, quantity=1) + "categories:\n  - id: 1\n    name: C\n"
    fast, slow = both_paths(text)

    assert fast == slow
    assert [good.category_id for good in fast.goods] == ["1"]
    undeclared = text.replace("category: 1", "category: 2")
    assert errors_of(undeclared.encode()) == [
        "goods[0].category: must be the id of a category declared in `categories` (2 is not declared) (line 4)"
    ]


def test_goods_are_handed_over_while_the_file_is_read():
    body = "".join(GOOD.format(n=number, quantity=1) for number in range(40_000))
    stream = io.BytesIO((HEAD + body).encode())
    read_when_first_good = []

    read_price_list(stream, on_good=lambda good: read_when_first_good.append(stream.tell()))

    assert len(read_when_first_good) == 40_000
    assert read_when_first_good[0] < len(stream.getvalue()) / 2


def test_a_file_the_scanner_declines_midway_is_read_again_by_the_yaml_reader(monkeypatch):
    monkeypatch.setattr(source, "BLOCK_BYTES", 64)  # the scanner takes a chunk of lines at a time
    goods: list[Good] = []
    restarts = []
    body = "".join(GOOD.format(n=number, quantity=1) for number in range(3))
    text = HEAD + body + "  - {id: 9, category: 1, name: Flow, price: 2, quantity: 4}\n"

    def restart():
        restarts.append(len(goods))
        goods.clear()

    read_price_list(io.BytesIO(text.encode()), on_good=goods.append, on_restart=restart)

    assert restarts == [2], "the scanner had handed over the goods it finished before it declined the file"
    assert [good.external_id for good in goods] == ["0", "1", "2", "9"]


class _OneWay(io.RawIOBase):
    """A stream that cannot seek (a socket, a pipe)."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_is_read_and_its_size_bounded():
    goods: list[Good] = []

    header = read_price_list(io.BufferedReader(_OneWay(SMALL)), on_good=goods.append)

    assert (header.shop, len(goods)) == ("Чайная лавка", 3)
    with pytest.raises(PriceListInvalid) as caught:
        read_price_list(io.BufferedReader(_OneWay(SMALL)), on_good=goods.append, max_bytes=100)
    assert [str(error) for error in caught.value.errors] == ["the file is more than the limit of 100 bytes"]


def test_reading_stops_at_the_error_limit():
    body = "".join(GOOD.format(n=number, quantity=-1) for number in range(MAX_ERRORS * 3))

    errors = errors_of((HEAD + body).encode())

    assert len(errors) == MAX_ERRORS
    assert errors[0] == "goods[0].quantity: must be a whole number ≥ 0 (line 10)"


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_block_boundaries_change_nothing(monkeypatch, block):
    crlf = SMALL.replace(b"\n", b"\r\n")
    expected = parse_price_list(crlf)
    monkeypatch.setattr(source, "BLOCK_BYTES", block)

    assert parse_price_list(b"\xef\xbb\xbf" + crlf) == expected
    bad = SMALL.replace("Чай зелёный".encode(), b"\xff\xfe", 1)
    assert errors_of(bad)[0].startswith("the file is not UTF-8 text (byte ")
    assert errors_of(bad)[0] == errors_of(SMALL.replace("Чай зелёный".encode(), b"\xff\xfe", 1))[0]


def test_the_limits_hold_on_the_yaml_readers_path_too(monkeypatch):
    monkeypatch.setattr(source, "BLOCK_BYTES", 64)  # the scanner declines the first chunk, YAML reads on
    head = "shop:\tS\ncategories:\n  - id: 1\n    name: C\ngoods:\n" + GOOD.format(n=1, quantity=1)
    long_line = head + "    model: " + "x" * (MAX_LINE_CHARS + 1) + "\n"
    not_utf8 = head.encode() + b"    model: \xff\n"

    assert errors_of(long_line.encode()) == [
        f"the line is longer than {MAX_LINE_CHARS} characters; a price list has one value per line (line 11)"
    ]
    assert errors_of(not_utf8) == [f"the file is not UTF-8 text (byte {len(head.encode()) + 11}) (line 11)"]


# --- Found by an adversarial pass ------------------------------------------------------------------


def test_a_good_with_a_missing_or_unknown_key_is_never_handed_on():
    handed: list[Good] = []
    text = (
        HEAD
        + GOOD.format(n=1, quantity=1)
        + "  - id: 2\n    category: 1\n    name: N\n    quantity: 1\n    bogus: 2\n"
    )

    with pytest.raises(PriceListInvalid) as caught:
        read_price_list(io.BytesIO(text.encode()), on_good=handed.append)

    assert [good.external_id for good in handed] == ["1"]
    assert [str(error) for error in caught.value.errors] == [
        "goods[1].bogus: unknown key; allowed keys: id, category, name, price, quantity, model, price_rrc, "
        "parameters (line 15)",
        "goods[1].price: is missing (line 11)",
    ][::-1]


@pytest.mark.parametrize("escape", ["\\udc00", "\\udfff", "\\ud800", "\\uDC00"])
def test_escapes_of_surrogates_are_refused_on_both_paths(escape):
    text = HEAD + GOOD.format(n=1, quantity=1).replace("name: N1", f'name: "a{escape}b"')
    fast, slow = both_paths(text)

    assert fast is None
    assert slow[0].startswith("YAML syntax error")


def test_an_item_of_too_many_lines_gets_the_same_error_on_both_paths():
    parameters = "".join(f"      p{number}: {number}\n" for number in range(1000))
    text = HEAD + GOOD.format(n=1, quantity=1) + "    parameters:\n" + parameters
    fast, slow = both_paths(text)

    assert fast is None
    assert slow == [f"goods[0]: holds more than {MAX_ITEM_VALUES} values (line 1005)"]
    repeated = HEAD + GOOD.format(n=1, quantity=1) + "    model: x\n" * 1000
    assert both_paths(repeated)[0] is None


def test_empty_collections_count_against_the_item_limit():
    text = HEAD + GOOD.format(n=1, quantity=1) + "    parameters:\n      x: [" + "[], " * 2500 + "[]]\n"

    assert errors_of(text.encode()) == [f"goods[0]: holds more than {MAX_ITEM_VALUES} values (line 12)"]


def test_keys_longer_than_libyaml_reads_are_left_to_the_yaml_reader():
    for line in (
        "      k" + " " * 1100 + ": 1\n",
        '      "' + "\\u00e9" * 200 + '": 1\n',
        "      " + "k" * 1025 + ": 1\n",
    ):
        text = HEAD + GOOD.format(n=1, quantity=1) + "    parameters:\n" + line
        fast, slow = both_paths(text)
        assert fast is None
        assert isinstance(slow, list)


def test_a_bad_escape_in_a_parameter_block_is_reported_whatever_else_is_wrong():
    text = (
        HEAD + GOOD.format(n=1, quantity=1) + '    parameters:\n      a: 1\n    parameters:\n      b: "\\q"\n'
    )
    fast, slow = both_paths(text)

    assert fast is None
    assert slow == [
        "YAML syntax error: while parsing a quoted scalar found unknown escape character (line 14)"
    ]


def test_categories_and_goods_are_counted():
    categories = "".join(f"  - id: {number}\n    name: C{number}\n" for number in range(MAX_CATEGORIES + 1))
    text = "shop: S\ncategories:\n" + categories + "goods: []\n"

    assert errors_of(text.encode()) == [
        f"categories[{MAX_CATEGORIES}]: a price list may declare at most {MAX_CATEGORIES} categories "
        f"(line {2 * MAX_CATEGORIES + 3})"
    ]


@pytest.mark.parametrize(
    ("character", "message"),
    [
        ("\x01", "a control character (U+0001) at column 13, which a price list may not hold"),
        ("\x7f", "a control character (U+007F) at column 13, which a price list may not hold"),
        ("\x00", "a control character (U+0000) at column 13, which a price list may not hold"),
        (
            "\u2028",
            "a line break other than LF or CRLF (U+2028) at column 13: replace it with a line break or a space",
        ),
        (
            "\x85",
            "a line break other than LF or CRLF (U+0085) at column 13: replace it with a line break or a space",
        ),
        (
            "\r",
            "a line break other than LF or CRLF (U+000D) at column 13: replace it with a line break or a space",
        ),
    ],
)
def test_control_characters_and_odd_line_breaks_are_refused_with_their_line(character, message):
    text = HEAD + GOOD.format(n=1, quantity=1) + f"    model: a{character}b\n"

    assert errors_of(text.encode()) == [f"{message} (line 11)"]


def test_numbers_with_leading_zeros_read_as_people_read_them():
    text = HEAD + GOOD.format(n=1, quantity="007").replace("price: 1", "price: " + "0" * 40 + "1.50")
    text += "    parameters:\n      a: -0\n      b: 007\n"
    good = parse_price_list(text.encode()).goods[0]

    assert (good.quantity, good.price) == (7, Decimal("1.50"))
    assert good.parameters == {"a": "-0", "b": "007"}, "a value is a JSON number only when written as one"
    fast, slow = both_paths(text)
    assert fast == slow
