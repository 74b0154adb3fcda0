"""The rules of the format, written once: both readers hand every item to `Builder`.

The readers differ only in how they turn text into nodes (`nodes.py`); what a value must look like,
which keys an item has, which ids must be unique or declared, and every error message live here. The
builder takes one item at a time and hands each valid good on at once, so memory does not grow with the
number of goods (only the ids seen, to find duplicates, and the declared categories are kept).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from partners.pricelist.nodes import Mapping, RawMapping, Scalar
from partners.pricelist.records import (
    CATEGORY_KEYS,
    GOOD_OPTIONAL_KEYS,
    GOOD_REQUIRED_KEYS,
    MAX_CATEGORIES,
    MAX_CATEGORY_NAME,
    MAX_ERRORS,
    MAX_EXTERNAL_ID,
    MAX_GOODS,
    MAX_MODEL,
    MAX_NUMBER_CHARS,
    MAX_PARAMETER_NAME,
    MAX_PARAMETER_VALUE,
    MAX_PARAMETERS,
    MAX_PRICE,
    MAX_PRODUCT_NAME,
    MAX_QUANTITY,
    MAX_SHOP_NAME,
    TOP_LEVEL_KEYS,
    Category,
    Good,
    PriceListError,
    PriceListHeader,
    PriceListInvalid,
    invalid,
)

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = frozenset(("true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No", "on", "off"))
_WORDS = {"true": True, "false": False, "null": None}
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Valid parameter lines are remembered (they repeat across goods) up to this many characters of them:
# a few dozen MB at most, whatever the characters.
_CACHE_CHARS = 4_000_000


class TooManyErrors(Exception):
    """MAX_ERRORS problems found: reading stops, the file is rejected with them."""


class RuleError(Exception):
    """A value breaks a rule; the caller reports it with its path and line."""


def is_null(node: Any) -> bool:
    return isinstance(node, Scalar) and not node.style and node.text in _NULLS


def parameter_value(text: str, style: str) -> Any:
    """A parameter value exactly as written: a JSON number/bool only when its JSON text is the written text."""
    if style:
        return text
    if text in _WORDS:
        return _WORDS[text]
    first = text[:1]
    if first == "-" or first.isdigit():
        if _INTEGER.match(text) and text != "-0":  # JSON writes 0 for -0: it stays text
            if len(text) > MAX_NUMBER_CHARS:
                raise RuleError(_number_too_long())
            return int(text)
        if _FLOAT.match(text):
            if len(text) > MAX_NUMBER_CHARS:
                raise RuleError(_number_too_long())
            number = float(text)
            if repr(number) == text:  # repr is what json.dumps writes for a float
                return number
    return text


def _number_too_long() -> str:
    return _("a number may have at most %(limit)s characters; quote it to keep it as text") % {
        "limit": MAX_NUMBER_CHARS
    }


def _joined(path: str | tuple[str, ...]) -> str:
    return path if isinstance(path, str) else "".join(path)


def key_path(path: str | tuple[str, ...], name: str) -> str:
    path = _joined(path)
    if _PLAIN_NAME.match(name):
        return f"{path}.{name}" if path else name
    return f"{path}[{json.dumps(name, ensure_ascii=False)}]"


@functools.cache
def _allowed(required: tuple, optional: tuple) -> frozenset:
    return frozenset(required + optional)


def rejection(errors: list[PriceListError]) -> PriceListInvalid:
    """The problems found, in the order of the file (those without a line first)."""
    return PriceListInvalid(sorted(errors, key=lambda error: error.line or 0)[:MAX_ERRORS])


class Builder:
    """Validates items as the readers produce them; hands valid goods to `on_good`."""

    def __init__(self, on_good: Callable[[Good], None]) -> None:
        self.on_good = on_good
        self.errors: list[PriceListError] = []
        self.root_line = 1
        self.top_keys: set[str] = set()
        self.shop: str | None = None
        self.shop_line = 1
        self.categories: list[Category] = []
        self.declared: dict[str, int] = {}  # category id → line
        self.categories_closed = False
        self.seen_goods: dict[str, int] = {}  # good id → line
        self.pending: list[tuple[str, str, int]] = []  # (category id, path, line) used before declared
        self.known_raw: dict[tuple[str, str], tuple[str, Any]] = {}  # valid parameter lines → name, value
        self.cache_chars = 0

    # --- Reporting ---

    def error(self, path: str | tuple[str, ...], message: str, line: int | None) -> None:
        """Record a problem; `path` may be given in parts, joined only here (most values have none)."""
        self.errors.append(PriceListError(_joined(path), message, line))
        if len(self.errors) >= MAX_ERRORS:
            raise TooManyErrors

    # --- The file and its top-level keys ---

    def not_a_mapping(self, line: int) -> PriceListInvalid:
        return invalid(
            _("the file must be a mapping with the keys %(keys)s") % {"keys": ", ".join(TOP_LEVEL_KEYS)}, line
        )

    def top_key(self, key: Any) -> str | None:
        """The section a top-level key opens, or None when the key is refused (its value is skipped)."""
        if not isinstance(key, Scalar):
            self.error("", _("keys must be plain text"), key.line)
            return None
        name = key.text
        if name in self.top_keys:
            self.error(key_path("", name), _("duplicate key"), key.line)
            return None
        if name not in TOP_LEVEL_KEYS:
            self.error(
                key_path("", name),
                _("unknown key; allowed keys: %(keys)s") % {"keys": ", ".join(TOP_LEVEL_KEYS)},
                key.line,
            )
            return None
        self.top_keys.add(name)
        return name

    def value(self, section: str, node: Any) -> None:
        """A top-level value other than a list of items (the shop, or a section that is not a list)."""
        if section == "shop":
            self.shop = self.text(node, "shop", MAX_SHOP_NAME)
            self.shop_line = node.line
        elif section == "categories":
            self.error("categories", _("must be a list of categories with id and name"), node.line)
            self.categories_closed = True
        else:
            self.error("goods", _("must be a list of goods"), node.line)

    def end_list(self, section: str) -> None:
        if section == "categories":
            self.categories_closed = True

    def finish(self) -> PriceListHeader:
        """The header once the whole file is read; raise PriceListInvalid with every problem found."""
        try:
            for name in TOP_LEVEL_KEYS:
                if name not in self.top_keys:
                    self.error(name, _("is missing"), self.root_line)
            categories_present = "categories" in self.top_keys
            for category_id, path, line in self.pending:
                if category_id not in self.declared:
                    self.error(path, self._undeclared(category_id, categories_present), line)
        except TooManyErrors:
            pass
        if self.errors:
            raise rejection(self.errors)
        return PriceListHeader(self.shop or "", self.shop_line, self.categories)

    # --- Items ---

    def mapping(self, node: Any, path: str, required: tuple, optional: tuple = ()) -> dict | None:
        """Keys of a mapping node → value nodes, reporting missing, unknown and duplicate keys."""
        if not isinstance(node, Mapping):
            self.error(
                path, _("must be a mapping with the keys %(keys)s") % {"keys": ", ".join(required)}, node.line
            )
            return None
        items = node.items
        try:
            values = {key.text: value for key, value in items}
        except AttributeError:  # a key that is not a scalar
            pass
        else:
            keys = values.keys()
            if (
                len(values) == len(items)
                and keys >= _allowed(required, ())
                and keys <= _allowed(required, optional)
            ):
                return values
        values = {}
        for key, value in items:
            if not isinstance(key, Scalar):
                self.error(path, _("keys must be plain text"), key.line)
                continue
            name = key.text
            if name in values:
                self.error(key_path(path, name), _("duplicate key"), key.line)
            elif name not in required and name not in optional:
                self.error(
                    key_path(path, name),
                    _("unknown key; allowed keys: %(keys)s") % {"keys": ", ".join(required + optional)},
                    key.line,
                )
            else:
                values[name] = value
        for name in required:
            if name not in values:
                self.error(key_path(path, name), _("is missing"), node.line)
        return values

    def category(self, index: int, node: Any) -> None:
        path = f"categories[{index}]"
        if index >= MAX_CATEGORIES:
            raise invalid(
                _("a price list may declare at most %(limit)s categories") % {"limit": MAX_CATEGORIES},
                node.line,
                path=path,
            )
        values = self.mapping(node, path, CATEGORY_KEYS)
        if values is None:
            return
        external_id = self.identifier(values["id"], f"{path}.id") if "id" in values else None
        name = self.text(values["name"], f"{path}.name", MAX_CATEGORY_NAME) if "name" in values else None
        if external_id is not None:
            if external_id in self.declared:
                self.error(
                    f"{path}.id",
                    _("duplicate category id %(id)s (first declared at line %(line)s)")
                    % {"id": external_id, "line": self.declared[external_id]},
                    values["id"].line,
                )
                return
            self.declared[external_id] = values["id"].line
        if external_id is not None and name is not None:
            self.categories.append(Category(external_id, name, node.line))

    def good(self, index: int, node: Any) -> None:
        path = f"goods[{index}]"  # parts of longer paths are joined only for an error
        if index >= MAX_GOODS:
            raise invalid(
                _("a price list may hold at most %(limit)s goods") % {"limit": MAX_GOODS},
                node.line,
                path=path,
            )
        errors = self.errors
        before = len(errors)  # a good with any problem, its keys included, is never handed on
        values = self.mapping(node, path, GOOD_REQUIRED_KEYS, GOOD_OPTIONAL_KEYS)
        if values is None:
            return
        get = values.get
        external_id = self.identifier(values["id"], (path, ".id")) if "id" in values else None
        category_id = None
        category_node = get("category")
        if category_node is not None:
            category_id = self.identifier(category_node, (path, ".category"))
            if category_id is not None and category_id not in self.declared:
                if self.categories_closed:
                    self.error(
                        (path, ".category"),
                        self._undeclared(category_id, "categories" in self.top_keys),
                        category_node.line,
                    )
                    category_id = None
                else:  # the categories may follow the goods: decided at the end of the file
                    self.pending.append((category_id, f"{path}.category", category_node.line))
        name = self.text(values["name"], (path, ".name"), MAX_PRODUCT_NAME) if "name" in values else None
        model = ""
        model_node = get("model")
        if model_node is not None and not is_null(model_node):
            model = self.text(model_node, (path, ".model"), MAX_MODEL, allow_empty=True)
        price = self.price(values["price"], (path, ".price")) if "price" in values else None
        recommended_price = None
        rrc = get("price_rrc")
        if rrc is not None and not is_null(rrc):
            recommended_price = self.price(rrc, (path, ".price_rrc"))
        quantity = self.quantity(values["quantity"], (path, ".quantity")) if "quantity" in values else None
        parameters_node = get("parameters")
        parameters = (
            {} if parameters_node is None else self.parameters(parameters_node, (path, ".parameters"))
        )
        if external_id is not None:
            first = self.seen_goods.get(external_id)
            if first is not None:
                self.error(
                    (path, ".id"),
                    _("duplicate good id %(id)s (first used at line %(line)s)")
                    % {"id": external_id, "line": first},
                    values["id"].line,
                )
            else:
                self.seen_goods[external_id] = values["id"].line
        if len(errors) == before:
            self.on_good(
                Good(
                    external_id,
                    category_id,
                    name,
                    model or "",
                    price,
                    recommended_price,
                    quantity,
                    parameters,
                    node.line,
                )
            )

    @staticmethod
    def _undeclared(category_id: str, categories_present: bool) -> str:
        if categories_present:
            return _("must be the id of a category declared in `categories` (%(id)s is not declared)") % {
                "id": category_id
            }
        return _(
            "must be the id of a category declared in `categories`, and the file has no `categories` "
            "list (%(id)s is not declared)"
        ) % {"id": category_id}

    # --- Values ---

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
        if not isinstance(node, Scalar) or node.style or not _DECIMAL.match(node.text) or node.text[0] == "-":
            self.error(path, _("must be a number ≥ 0"), node.line)
            return None
        text = node.text
        dot = text.find(".")
        if dot != -1 and len(text) - dot - 1 > 2:
            self.error(path, _("must have at most 2 decimal places"), node.line)
            return None
        significant = text.lstrip("0")  # leading zeros are read as people read them: 007.50 is 7.50
        if len(significant) > MAX_NUMBER_CHARS or Decimal(text) > MAX_PRICE:
            self.error(path, _("must be at most %(limit)s") % {"limit": MAX_PRICE}, node.line)
            return None
        return Decimal(text)

    def quantity(self, node: Any, path: str) -> int | None:
        if not isinstance(node, Scalar) or node.style or not _DIGITS.match(node.text):
            self.error(path, _("must be a whole number ≥ 0"), node.line)
            return None
        text = node.text.lstrip("0") or "0"  # 007 is 7, as for a price
        if len(text) > len(str(MAX_QUANTITY)) or int(text) > MAX_QUANTITY:
            self.error(path, _("must be at most %(limit)s") % {"limit": MAX_QUANTITY}, node.line)
            return None
        return int(text)

    def parameters(self, node: Any, path: str) -> dict[str, Any]:
        if is_null(node):
            return {}
        if not isinstance(node, Mapping):
            self.error(path, _("must be a mapping of parameter names to values"), node.line)
            return {}
        raw = node.raw if type(node) is RawMapping else None
        if len(node.items if raw is None else raw) > MAX_PARAMETERS:
            self.error(
                path, _("a good may have at most %(limit)s parameters") % {"limit": MAX_PARAMETERS}, node.line
            )
            return {}
        result: dict[str, Any] = {}
        if raw is None:
            for key, value in node.items:
                self._parameter(key, value, path, result)
            return result
        # The scanner's pairs as written: parameters repeat across goods, so a pair already found valid
        # is taken as it was then, and only the others become nodes and go through the rules.
        known = self.known_raw
        convert = node.convert
        for pair, line in raw:
            hit = known.get(pair)
            if hit is not None and hit[0] not in result:
                result[hit[0]] = hit[1]
                continue
            entry = self._parameter(convert(pair[0], line), convert(pair[1], line), path, result)
            if entry is not None and self.cache_chars < _CACHE_CHARS:
                known[pair] = entry
                self.cache_chars += len(pair[0]) + len(pair[1])
        return result

    def _parameter(self, key: Any, value: Any, path: str, result: dict[str, Any]) -> tuple[str, Any] | None:
        """Add one parameter to `result`; the (name, value) added, or None after reporting the problem."""
        if not isinstance(key, Scalar) or not key.text.strip():
            self.error(path, _("parameter names must be non-empty text"), key.line)
            return None
        name = key.text
        if name in result:
            self.error(key_path(path, name), _("duplicate key"), key.line)
            return None
        if len(name) > MAX_PARAMETER_NAME:
            self.error(
                key_path(path, name),
                _("parameter name is longer than %(limit)s characters") % {"limit": MAX_PARAMETER_NAME},
                key.line,
            )
            return None
        if not isinstance(value, Scalar):
            self.error(key_path(path, name), _("must be a single value"), value.line)
            return None
        if len(value.text) > MAX_PARAMETER_VALUE:
            self.error(
                key_path(path, name),
                _("is longer than %(limit)s characters") % {"limit": MAX_PARAMETER_VALUE},
                value.line,
            )
            return None
        try:
            typed = parameter_value(value.text, value.style)
        except RuleError as exc:
            self.error(key_path(path, name), str(exc), value.line)
            return None
        result[name] = typed
        return name, typed
