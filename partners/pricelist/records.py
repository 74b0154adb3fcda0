"""What a price list is made of once read: the validated records, the limits, and the errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Field limits follow the catalog models; parameters have no column, so they get generous caps.
MAX_SHOP_NAME = 100
MAX_CATEGORY_NAME = 100
MAX_PRODUCT_NAME = 255
MAX_MODEL = 255
MAX_EXTERNAL_ID = 64
MAX_PARAMETER_NAME = 255
MAX_PARAMETER_VALUE = 1000
MAX_PARAMETERS = 500  # per good
MAX_QUANTITY = 2_147_483_647
MAX_PRICE = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)
# A number written in a file: longer ones are refused with their line before any conversion (Python's
# int() refuses more than 4,300 digits with an exception, and nothing we store needs more than 40).
MAX_NUMBER_CHARS = 40
# Bounds on the shape of the file, so that a hostile one costs memory and time in proportion to its size.
MAX_LINE_CHARS = 20_000  # the longest legitimate line (a 1,000-character value escaped) is about 8,000
MAX_DEPTH = 8  # a price list nests four levels deep (file, goods, good, parameters)
MAX_ITEM_VALUES = 2_000  # values in one category or good (keys, scalars, collections), parameters included
MAX_CATEGORIES = 10_000  # real price lists declare tens or hundreds
MAX_GOODS = 1_000_000  # a 200,000-goods file is about 120 MB
MAX_ERRORS = 200

TOP_LEVEL_KEYS = ("shop", "categories", "goods")
CATEGORY_KEYS = ("id", "name")
GOOD_REQUIRED_KEYS = ("id", "category", "name", "price", "quantity")
GOOD_OPTIONAL_KEYS = ("model", "price_rrc", "parameters")


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
class PriceListHeader:
    """What a price list says besides its goods."""

    shop: str
    shop_line: int
    categories: list[Category]


@dataclass(slots=True)
class PriceList:
    """A whole price list in memory: for tests and small files (imports stream goods instead)."""

    shop: str
    categories: list[Category] = field(default_factory=list)
    goods: list[Good] = field(default_factory=list)
    shop_line: int = 1


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
    """The file was rejected; `errors` holds every problem found (at most MAX_ERRORS)."""

    def __init__(self, errors: list[PriceListError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))

    def as_dict(self) -> list[dict[str, Any]]:
        return [error.as_dict() for error in self.errors]


def invalid(message: str, line: int | None = None, path: str = "") -> PriceListInvalid:
    """A rejection with one problem (the file cannot be read any further)."""
    return PriceListInvalid([PriceListError(path, message, line)])
