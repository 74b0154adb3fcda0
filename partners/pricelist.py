"""The price-list parser: YAML bytes to validated dataclasses, with every problem reported by path and line.

Pure (no database). Two readers turn the text into the same small node tree of scalars (text exactly as
written, its quoting style and line), mappings and sequences:

* a strict line scanner for the block-style subset real price lists use (fast: no YAML resolver, no
  per-value Python objects beyond the tree), and
* PyYAML's event parser (libyaml when available) for everything else, which also reports syntax errors.

The scanner gives up (and the event parser takes over) on anything outside its subset, so both readers
always agree; a test runs both over the fixtures and generated variants. Values are typed by this module,
never by YAML 1.1 implicit resolution: `16:9` stays the text "16:9", `6.50` stays "6.50".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.utils.translation import gettext as _

# Field limits follow the catalog models; parameters have no column, so they get generous caps.
MAX_SHOP_NAME = 100
MAX_CATEGORY_NAME = 100
MAX_PRODUCT_NAME = 255
MAX_MODEL = 255
MAX_EXTERNAL_ID = 64
MAX_PARAMETER_NAME = 255
MAX_PARAMETER_VALUE = 1000
MAX_QUANTITY = 2_147_483_647
MAX_PRICE = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)
MAX_ERRORS = 200

TOP_LEVEL_KEYS = ("shop", "categories", "goods")
CATEGORY_KEYS = ("id", "name")
GOOD_REQUIRED_KEYS = ("id", "category", "name", "price", "quantity")
GOOD_OPTIONAL_KEYS = ("model", "price_rrc", "parameters")


# --- Result types ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Category:
    external_id: str
    name: str
    line: int


@dataclass(slots=True)
class Good:
    external_id: str
    category_id: str
    name: str
    model: str
    price: Decimal
    recommended_price: Decimal | None
    quantity: int
    parameters: dict[str, Any]
    line: int


@dataclass(slots=True)
class PriceList:
    shop: str
    categories: list[Category] = field(default_factory=list)
    goods: list[Good] = field(default_factory=list)
    shop_line: int = 1  # where the shop name is written, for errors about the shop found later

    def category_names(self) -> dict[str, str]:
        """Partner category id → category name."""
        return {category.external_id: category.name for category in self.categories}


@dataclass(slots=True, frozen=True)
class PriceListError:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else str(self.message)
        return f"{text} (line {self.line})" if self.line else text

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": str(self.message), "line": self.line}


class PriceListInvalid(Exception):
    """The file was rejected; `errors` holds every problem found."""

    def __init__(self, errors: list[PriceListError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))

    def as_dict(self) -> list[dict[str, Any]]:
        return [error.as_dict() for error in self.errors]


# --- Node tree shared by both readers -------------------------------------------------------------


class Scalar:
    __slots__ = ("line", "style", "text")

    def __init__(self, text: str, style: str, line: int):
        self.text = text
        self.style = style  # "" plain, "'" or '"' quoted, "|" or ">" block
        self.line = line

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalar) and (self.text, self.style, self.line) == (
            other.text,
            other.style,
            other.line,
        )

    def __repr__(self) -> str:
        return f"Scalar({self.text!r}, {self.style!r}, {self.line})"

    __hash__ = None  # type: ignore[assignment]


class Mapping:
    __slots__ = ("items", "line")

    def __init__(self, line: int):
        self.line = line
        self.items: list[tuple[Any, Any]] = []  # (key node, value node)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and (self.line, self.items) == (other.line, other.items)

    def __repr__(self) -> str:
        return f"Mapping(line={self.line}, {self.items!r})"

    __hash__ = None  # type: ignore[assignment]


class Sequence:
    __slots__ = ("items", "line")

    def __init__(self, line: int):
        self.line = line
        self.items: list[Any] = []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and (self.line, self.items) == (other.line, other.items)

    def __repr__(self) -> str:
        return f"Sequence(line={self.line}, {self.items!r})"

    __hash__ = None  # type: ignore[assignment]


# --- Entry point ----------------------------------------------------------------------------------


@dataclass(slots=True)
class PriceListHeader:
    """What a price list says besides its goods."""

    shop: str
    shop_line: int
    categories: list[Category]

    def category_names(self) -> dict[str, str]:
        return {category.external_id: category.name for category in self.categories}


def read_price_list(stream, *, on_good, on_restart=None, max_bytes: int | None = None) -> PriceListHeader:
    """Read a price list from a binary stream, handing each valid good to `on_good`; raise PriceListInvalid."""
    price_list = parse_price_list(stream.read(), max_bytes=max_bytes)
    for good in price_list.goods:
        on_good(good)
    return PriceListHeader(price_list.shop, price_list.shop_line, price_list.categories)


def parse_price_list(data: bytes, *, max_bytes: int | None = None) -> PriceList:
    """Parse and validate a price list; raise PriceListInvalid listing every problem found."""
    return parse_text(decode_price_list(data, max_bytes=max_bytes))


def decode_price_list(data: bytes, *, max_bytes: int | None = None) -> str:
    """Check size and encoding; return the text without a byte-order mark."""
    if max_bytes is None:
        from django.conf import settings

        max_bytes = settings.PRICE_LIST_MAX_BYTES
    if len(data) > max_bytes:
        raise PriceListInvalid(
            [
                PriceListError(
                    "",
                    _("the file is %(size)s bytes, more than the limit of %(limit)s bytes")
                    % {"size": len(data), "limit": max_bytes},
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PriceListInvalid(
            [
                PriceListError(
                    "", _("the file is not UTF-8 text (byte %(position)s)") % {"position": exc.start}, line
                )
            ]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise PriceListInvalid([PriceListError("", _("the file is empty"), 1)])
    return text


def parse_text(text: str) -> PriceList:
    """The fast path when the file is a valid price list in the block subset, else the YAML reader."""
    try:
        return fast_parse(text)
    except _OutsideSubset:
        return build_price_list(read_with_yaml(text))


# --- The fast path --------------------------------------------------------------------------------


class _OutsideSubset(Exception):
    pass


# Characters YAML does not allow in a stream (PyYAML's reader), tabs, and YAML 1.1 line breaks other than
# \n: the YAML reader handles (or rejects) files that hold any of them.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PLAIN_START = r"""(?:[^\s"'#,\[\]{}&*!|>%@`?:\-]|[?:\-][^\s#,\[\]{}])"""
_DOUBLE_QUOTED = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
# One line of the block subset: indent, "- " of a sequence item, `key:` and an optional one-line value
# (quoted, or plain without ": " and " #"), then an optional comment; or a blank or comment line (every
# group empty). Loops are written "unrolled" (x*(?:sep x*)*) so the regex engine does not backtrack.
_LINE = re.compile(
    r"^(?:( *)(- +)?"
    rf"""({_DOUBLE_QUOTED}|'[^'\n]*'|{_PLAIN_START}(?:[^:#\n]*[^ :#\n])?) *:"""
    rf"""(?: +({_DOUBLE_QUOTED}|'[^'\n]*(?:''[^'\n]*)*'|"""
    rf"""{_PLAIN_START}[^:#\n]*(?:(?::(?=[^ \n])|(?<! )#)[^:#\n]*)*(?<! )))?"""
    r"(?: +#[^\n]*| *)| *(?:#[^\n]*)?)$",
    re.MULTILINE,
)
_JSON_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u(?![dD][89abAB])[0-9a-fA-F]{4})')
_CHUNK = 1 << 20
_QUOTES = frozenset("'\"")
_WORDS = {"true": True, "false": False, "null": None}
_NUMBER_START = frozenset("-0123456789")
_MISSING = object()


def _lines(text: str):
    """The `_LINE` tuples of every line, chunk by chunk (so the whole file is never one list of tuples)."""
    position = 0
    size = len(text)
    findall = _LINE.findall
    while position <= size:
        cut = text.find("\n", position + _CHUNK)
        if cut == -1:
            cut = size
        chunk = text[position:cut]
        found = findall(chunk)
        if len(found) != chunk.count("\n") + 1:
            raise _OutsideSubset
        yield found
        position = cut + 1


def _unquote(raw: str) -> str:
    """The text of a quoted scalar written on one line (double-quoted: JSON-compatible escapes only)."""
    if raw[0] == "'":
        return raw[1:-1].replace("''", "'")
    if "\\" not in raw:
        return raw[1:-1]
    if "\\" in _JSON_ESCAPE.sub("", raw[1:-1]):
        raise _OutsideSubset
    text = json.loads(raw, strict=False)
    if "\x00" in text:
        raise _OutsideSubset  # the YAML reader reports it with its line
    return text


def fast_parse(text: str) -> PriceList:
    """Parse a valid price list written in the block subset; raise _OutsideSubset for anything else.

    It never reports problems: a file it cannot take whole goes to the YAML reader and the validator,
    which give the same result for valid files and the line-numbered errors for invalid ones. The
    loop is written flat, with local state, because it runs once per line of files with millions of
    lines: parameter lines and item keys take the first two branches.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _UNUSUAL.search(text):
        raise _OutsideSubset
    shop: str | None = None
    shop_line = 1
    categories: list[Category] = []
    goods: list[Good] = []
    declared: set[str] = set()
    seen_goods: set[str] = set()
    seen_top: set[str] = set()
    section = ""
    item: dict[str, str] | None = None
    item_line = 0
    dash_indent: str | None = None
    key_indent: str | None = None
    parameter_indent: str | None = None
    parameters: dict[str, str] = {}
    parameters_open = False
    # Parameter names and values repeat across goods: typing each distinct text once is faster and
    # shares one object between all goods that use it.
    names: dict[str, str] = {}
    typed: dict[str, Any] = {}
    line = 0
    for found in _lines(text):
        for line, (indent, dash, key, value) in enumerate(found, line + 1):  # noqa: B020 - the count runs on
            if not key:
                continue
            if not dash:
                if indent == parameter_indent:
                    name = names.get(key)
                    if name is None:
                        name = names[key] = _parameter_name(key)
                    if name in parameters:
                        raise _OutsideSubset
                    typed_value = typed.get(value, _MISSING)
                    if typed_value is _MISSING:
                        typed_value = typed[value] = _parameter_value(value)
                    parameters[name] = typed_value
                    continue
                if indent == key_indent:
                    parameter_indent = None
                    if key[0] in _QUOTES:
                        key = _unquote(key)
                    if key in item:
                        raise _OutsideSubset
                    item[key] = value
                    parameters_open = key == "parameters" and not value
                    continue
                if parameters_open and parameter_indent is None and len(indent) > len(key_indent):
                    # The first line of a `parameters:` block fixes its indent.
                    parameter_indent = indent
                    parameters_open = False
                    name = names.get(key)
                    if name is None:
                        name = names[key] = _parameter_name(key)
                    typed_value = typed.get(value, _MISSING)
                    if typed_value is _MISSING:
                        typed_value = typed[value] = _parameter_value(value)
                    parameters[name] = typed_value
                    continue
                if indent:
                    raise _OutsideSubset
                # A top-level key: it ends the current section.
                if item is not None:
                    _close_item(section, item, item_line, parameters, categories, goods, declared, seen_goods)
                item = None
                key_indent = parameter_indent = None
                parameters_open = False
                if key in seen_top or key not in TOP_LEVEL_KEYS:
                    raise _OutsideSubset
                seen_top.add(key)
                if key == "shop":
                    shop = _text(value, MAX_SHOP_NAME)
                    shop_line = line
                    section = ""
                else:
                    if value:
                        raise _OutsideSubset
                    section = key
                    dash_indent = None
                continue
            # "- key: value": a new category or good.
            if not section:
                raise _OutsideSubset
            if dash_indent is None:
                dash_indent = indent
            elif indent != dash_indent:
                raise _OutsideSubset
            if item is not None:
                _close_item(section, item, item_line, parameters, categories, goods, declared, seen_goods)
                parameters = {}
            if key[0] in _QUOTES:
                key = _unquote(key)
            item = {key: value}
            item_line = line
            key_indent = " " * (len(indent) + len(dash))
            parameter_indent = None
            parameters_open = key == "parameters" and not value
    if item is not None:
        _close_item(section, item, item_line, parameters, categories, goods, declared, seen_goods)
    if shop is None or len(seen_top) != 3:
        raise _OutsideSubset
    return PriceList(shop=shop, categories=categories, goods=goods, shop_line=shop_line)


def _close_item(section, item, item_line, parameters, categories, goods, declared, seen_goods) -> None:
    if section == "categories":
        if len(item) != 2 or "id" not in item or "name" not in item or parameters:
            raise _OutsideSubset
        external_id = _identifier(item["id"])
        if external_id in declared:
            raise _OutsideSubset
        declared.add(external_id)
        categories.append(Category(external_id, _text(item["name"], MAX_CATEGORY_NAME), item_line))
        return
    get = item.get
    external_id = _identifier(get("id", ""))
    category_id = _identifier(get("category", ""))
    name = _text(get("name", ""), MAX_PRODUCT_NAME)
    price = _price(get("price", ""))
    quantity_raw = get("quantity", "")
    if category_id not in declared or external_id in seen_goods:
        raise _OutsideSubset
    seen_goods.add(external_id)
    if not quantity_raw.isdigit() or not _INTEGER.match(quantity_raw):
        raise _OutsideSubset
    quantity = int(quantity_raw)
    if quantity > MAX_QUANTITY:
        raise _OutsideSubset
    size = 5
    model = ""
    raw = get("model")
    if raw is not None:
        size += 1
        if raw and raw not in _NULLS:
            model = _unquote(raw) if raw[0] in _QUOTES else raw
            if len(model) > MAX_MODEL:
                raise _OutsideSubset
    recommended_price = None
    raw = get("price_rrc")
    if raw is not None:
        size += 1
        if raw and raw not in _NULLS:
            recommended_price = _price(raw)
    raw = get("parameters")
    if raw is not None:
        size += 1
        if raw and raw not in _NULLS:
            raise _OutsideSubset
    elif parameters:
        raise _OutsideSubset
    if len(item) != size:
        raise _OutsideSubset
    goods.append(
        Good(external_id, category_id, name, model, price, recommended_price, quantity, parameters, item_line)
    )


def _parameter_name(raw: str) -> str:
    name = _unquote(raw) if raw[0] in _QUOTES else raw
    if len(name) > MAX_PARAMETER_NAME or not name.strip():
        raise _OutsideSubset
    return name


def _parameter_value(raw: str) -> Any:
    """The fast path's twin of `parameter_value`, from the raw text of the line."""
    first = raw[:1]
    if first in _QUOTES:
        value = _unquote(raw)
    elif raw in _WORDS:
        return _WORDS[raw]
    elif first in _NUMBER_START and _INTEGER.match(raw):
        return int(raw)
    elif first in _NUMBER_START and _FLOAT.match(raw) and repr(float(raw)) == raw:
        return float(raw)  # repr is what json.dumps writes for a float
    else:
        value = raw
    if len(value) > MAX_PARAMETER_VALUE:
        raise _OutsideSubset
    return value


def _text(raw: str, limit: int) -> str:
    if not raw:
        raise _OutsideSubset
    if raw[0] in _QUOTES:
        text = _unquote(raw)
    elif raw in _NULLS:
        raise _OutsideSubset
    else:
        text = raw
    if len(text) > limit or not text.strip():
        raise _OutsideSubset
    return text


def _identifier(raw: str) -> str:
    if not raw:
        raise _OutsideSubset
    if raw[0] in _QUOTES:
        text = _unquote(raw)
        if len(text) > MAX_EXTERNAL_ID or not text.strip():
            raise _OutsideSubset
        return text
    if raw in _NULLS or raw in _BOOLS or len(raw) > MAX_EXTERNAL_ID:
        raise _OutsideSubset
    return raw


def _price(raw: str) -> Decimal:
    if not raw or raw[0] == "-" or not _DECIMAL.match(raw):
        raise _OutsideSubset
    dot = raw.find(".")
    if dot != -1 and len(raw) - dot > 3:
        raise _OutsideSubset
    value = Decimal(raw)
    if value > MAX_PRICE:
        raise _OutsideSubset
    return value


# --- The YAML event reader ------------------------------------------------------------------------

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_with_yaml(text: str) -> Any:
    """Build the node tree from PyYAML events: no resolver, no constructor, aliases and tags refused."""
    errors: list[PriceListError] = []
    stack: list[Any] = []
    pending_keys: list[Any] = []
    root: Any = None
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    errors.append(
                        PriceListError(
                            "", _("the file must hold one YAML document"), event.start_mark.line + 1
                        )
                    )
                    break
                continue
            if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
                continue
            line = event.start_mark.line + 1
            if kind is yaml.AliasEvent:
                errors.append(PriceListError("", _("aliases are not allowed in a price list"), line))
                node: Any = Scalar("", "", line)
            elif kind in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
                node = stack.pop()
            else:
                if event.anchor is not None:
                    errors.append(PriceListError("", _("anchors are not allowed in a price list"), line))
                if event.tag is not None:
                    errors.append(
                        PriceListError(
                            "", _("tags are not allowed in a price list (%(tag)s)") % {"tag": event.tag}, line
                        )
                    )
                if kind is yaml.ScalarEvent:
                    if "\x00" in event.value:
                        # Only an escape (\0, \x00, \u0000) can write it; no database column can store it.
                        errors.append(
                            PriceListError("", _("text must not contain the NUL character (\\0)"), line)
                        )
                    node = Scalar(event.value, event.style or "", line)
                else:
                    container = Mapping(line) if kind is yaml.MappingStartEvent else Sequence(line)
                    stack.append(container)
                    pending_keys.append(None)
                    continue
            if kind in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
                pending_keys.pop()
            if not stack:
                root = node
                continue
            parent = stack[-1]
            if isinstance(parent, Sequence):
                parent.items.append(node)
            elif pending_keys[-1] is None:
                pending_keys[-1] = node
            else:
                parent.items.append((pending_keys[-1], node))
                pending_keys[-1] = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise PriceListInvalid(
            [
                PriceListError(
                    "",
                    _("YAML syntax error: %(problem)s") % {"problem": problem},
                    mark.line + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise PriceListInvalid(
            [PriceListError("", _("YAML syntax error: %(problem)s") % {"problem": exc})]
        ) from None
    if errors:
        unique = list(dict.fromkeys(errors))  # an alias bomb repeats one problem thousands of times
        raise PriceListInvalid(unique[:MAX_ERRORS])
    return root


# --- Validation: node tree to PriceList ----------------------------------------------------------

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = frozenset(("true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No", "on", "off"))


def parameter_value(node: Scalar) -> Any:
    """A parameter value exactly as written: a JSON number/bool only when its JSON text is the written text."""
    text = node.text
    if node.style:
        return text
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if _INTEGER.match(text):
        return int(text)
    if _FLOAT.match(text):
        number = float(text)
        if json.dumps(number) == text:
            return number
    return text


def _key_path(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f".{name}"
    return f"[{json.dumps(name, ensure_ascii=False)}]"


class _Validator:
    def __init__(self) -> None:
        self.errors: list[PriceListError] = []

    def error(self, path: str, message: str, line: int | None) -> None:
        self.errors.append(PriceListError(path, message, line))

    def mapping(self, node: Any, path: str, required: tuple, optional: tuple = ()) -> dict | None:
        """Keys of a mapping node → value nodes, reporting missing, unknown and duplicate keys."""
        if not isinstance(node, Mapping):
            self.error(
                path, _("must be a mapping with the keys %(keys)s") % {"keys": ", ".join(required)}, node.line
            )
            return None
        values: dict[str, Any] = {}
        for key, value in node.items:
            if not isinstance(key, Scalar):
                self.error(path, _("keys must be plain text"), key.line)
                continue
            name = key.text
            key_path = f"{path}{_key_path(name)}" if path else name
            if name in values:
                self.error(key_path, _("duplicate key"), key.line)
            elif name not in required and name not in optional:
                self.error(
                    key_path,
                    _("unknown key; allowed keys: %(keys)s") % {"keys": ", ".join(required + optional)},
                    key.line,
                )
            else:
                values[name] = value
        for name in required:
            if name not in values:
                self.error(f"{path}{_key_path(name)}" if path else name, _("is missing"), node.line)
        return values

    def text(self, node: Any, path: str, limit: int, *, allow_empty: bool = False) -> str | None:
        if not isinstance(node, Scalar):
            self.error(path, _("must be text"), node.line)
            return None
        text = node.text
        if not node.style and text in _NULLS:
            if allow_empty:
                return ""
            self.error(path, _("must not be empty"), node.line)
            return None
        if not allow_empty and not text.strip():
            self.error(path, _("must not be empty"), node.line)
            return None
        if len(text) > limit:
            self.error(path, _("is longer than %(limit)s characters") % {"limit": limit}, node.line)
            return None
        return text

    def identifier(self, node: Any, path: str) -> str | None:
        """An id: a number or a string, kept as text."""
        if not isinstance(node, Scalar):
            self.error(path, _("must be a number or a string"), node.line)
            return None
        text = node.text
        if not node.style and (text in _NULLS or text in _BOOLS):
            self.error(path, _("must be a number or a string"), node.line)
            return None
        if not text.strip():
            self.error(path, _("must not be empty"), node.line)
            return None
        if len(text) > MAX_EXTERNAL_ID:
            self.error(path, _("is longer than %(limit)s characters") % {"limit": MAX_EXTERNAL_ID}, node.line)
            return None
        return text

    def price(self, node: Any, path: str) -> Decimal | None:
        if not isinstance(node, Scalar) or node.style or not _DECIMAL.match(node.text):
            self.error(path, _("must be a number ≥ 0"), node.line)
            return None
        text = node.text
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            self.error(path, _("must be a number ≥ 0"), node.line)
            return None
        if value < 0:
            self.error(path, _("must be a number ≥ 0"), node.line)
            return None
        if "." in text and len(text) - text.index(".") - 1 > 2:
            self.error(path, _("must have at most 2 decimal places"), node.line)
            return None
        if value > MAX_PRICE:
            self.error(path, _("must be at most %(limit)s") % {"limit": MAX_PRICE}, node.line)
            return None
        return value

    def quantity(self, node: Any, path: str) -> int | None:
        if not isinstance(node, Scalar) or node.style or not _INTEGER.match(node.text) or node.text[0] == "-":
            self.error(path, _("must be a whole number ≥ 0"), node.line)
            return None
        value = int(node.text)
        if value > MAX_QUANTITY:
            self.error(path, _("must be at most %(limit)s") % {"limit": MAX_QUANTITY}, node.line)
            return None
        return value

    def parameters(self, node: Any, path: str) -> dict[str, Any]:
        if isinstance(node, Scalar) and not node.style and node.text in _NULLS:
            return {}
        if not isinstance(node, Mapping):
            self.error(path, _("must be a mapping of parameter names to values"), node.line)
            return {}
        result: dict[str, Any] = {}
        for key, value in node.items:
            if not isinstance(key, Scalar) or not key.text.strip():
                self.error(path, _("parameter names must be non-empty text"), key.line)
                continue
            name = key.text
            item_path = f"{path}{_key_path(name)}"
            if name in result:
                self.error(item_path, _("duplicate key"), key.line)
                continue
            if len(name) > MAX_PARAMETER_NAME:
                self.error(
                    item_path,
                    _("parameter name is longer than %(limit)s characters") % {"limit": MAX_PARAMETER_NAME},
                    key.line,
                )
                continue
            if not isinstance(value, Scalar):
                self.error(item_path, _("must be a single value"), value.line)
                continue
            if len(value.text) > MAX_PARAMETER_VALUE:
                self.error(
                    item_path,
                    _("is longer than %(limit)s characters") % {"limit": MAX_PARAMETER_VALUE},
                    value.line,
                )
                continue
            result[name] = parameter_value(value)
        return result


def build_price_list(tree: Any) -> PriceList:
    """Validate the node tree and build the PriceList, collecting every problem."""
    check = _Validator()
    if not isinstance(tree, Mapping):
        raise PriceListInvalid(
            [
                PriceListError(
                    "",
                    _("the file must be a mapping with the keys %(keys)s")
                    % {"keys": ", ".join(TOP_LEVEL_KEYS)},
                    getattr(tree, "line", 1),
                )
            ]
        )
    top = check.mapping(tree, "", TOP_LEVEL_KEYS) or {}
    shop = check.text(top["shop"], "shop", MAX_SHOP_NAME) if "shop" in top else None

    categories: list[Category] = []
    declared: dict[str, int] = {}
    if "categories" in top:
        node = top["categories"]
        if not isinstance(node, Sequence):
            check.error("categories", _("must be a list of categories with id and name"), node.line)
        else:
            for index, item in enumerate(node.items):
                path = f"categories[{index}]"
                values = check.mapping(item, path, CATEGORY_KEYS)
                if values is None:
                    continue
                external_id = check.identifier(values["id"], f"{path}.id") if "id" in values else None
                name = (
                    check.text(values["name"], f"{path}.name", MAX_CATEGORY_NAME)
                    if "name" in values
                    else None
                )
                if external_id is not None:
                    if external_id in declared:
                        check.error(
                            f"{path}.id",
                            _("duplicate category id %(id)s (first declared at line %(line)s)")
                            % {"id": external_id, "line": declared[external_id]},
                            values["id"].line,
                        )
                        continue
                    declared[external_id] = values["id"].line
                if external_id is not None and name is not None:
                    categories.append(Category(external_id, name, item.line))

    goods: list[Good] = []
    if "goods" in top:
        node = top["goods"]
        if not isinstance(node, Sequence):
            check.error("goods", _("must be a list of goods"), node.line)
        else:
            goods = _build_goods(check, node, declared, categories_present="categories" in top)
    if check.errors:
        raise PriceListInvalid(check.errors[:MAX_ERRORS])
    return PriceList(shop=shop or "", categories=categories, goods=goods, shop_line=top["shop"].line)


def _build_goods(
    check: _Validator, node: Sequence, declared: dict[str, int], *, categories_present: bool
) -> list[Good]:
    goods: list[Good] = []
    seen: dict[str, int] = {}
    required = GOOD_REQUIRED_KEYS
    optional = GOOD_OPTIONAL_KEYS
    errors = check.errors
    for index, item in enumerate(node.items):
        if len(errors) >= MAX_ERRORS:
            break
        path = f"goods[{index}]"
        # Fast lane for a well-formed good: every value a scalar of the expected shape.
        values = check.mapping(item, path, required, optional)
        if values is None:
            continue
        before = len(errors)
        external_id = check.identifier(values["id"], f"{path}.id") if "id" in values else None
        category_id = None
        if "category" in values:
            category_node = values["category"]
            category_id = check.identifier(category_node, f"{path}.category")
            if category_id is not None and category_id not in declared:
                if categories_present:
                    message = _(
                        "must be the id of a category declared in `categories` (%(id)s is not declared)"
                    ) % {"id": category_id}
                else:
                    message = _(
                        "must be the id of a category declared in `categories`, and the file has no `categories` "
                        "list (%(id)s is not declared)"
                    ) % {"id": category_id}
                check.error(f"{path}.category", message, category_node.line)
                category_id = None
        name = check.text(values["name"], f"{path}.name", MAX_PRODUCT_NAME) if "name" in values else None
        model = ""
        if "model" in values:
            model_node = values["model"]
            if isinstance(model_node, Scalar) and not model_node.style and model_node.text in _NULLS:
                model = ""
            else:
                model = check.text(model_node, f"{path}.model", MAX_MODEL, allow_empty=True)
        price = check.price(values["price"], f"{path}.price") if "price" in values else None
        recommended_price = None
        if "price_rrc" in values:
            rrc = values["price_rrc"]
            if not (isinstance(rrc, Scalar) and not rrc.style and rrc.text in _NULLS):
                recommended_price = check.price(rrc, f"{path}.price_rrc")
        quantity = check.quantity(values["quantity"], f"{path}.quantity") if "quantity" in values else None
        parameters = (
            check.parameters(values["parameters"], f"{path}.parameters") if "parameters" in values else {}
        )
        if external_id is not None:
            if external_id in seen:
                check.error(
                    f"{path}.id",
                    _("duplicate good id %(id)s (first used at line %(line)s)")
                    % {"id": external_id, "line": seen[external_id]},
                    values["id"].line,
                )
            else:
                seen[external_id] = values["id"].line
        if len(errors) == before:
            goods.append(
                Good(
                    external_id=external_id,
                    category_id=category_id,
                    name=name,
                    model=model or "",
                    price=price,
                    recommended_price=recommended_price,
                    quantity=quantity,
                    parameters=parameters,
                    line=item.line,
                )
            )
    return goods
