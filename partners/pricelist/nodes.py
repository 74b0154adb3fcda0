"""The small node tree both readers build for one item at a time: scalars exactly as written, mappings
and sequences, each with its line. The rules in `rules.py` read only these."""

from __future__ import annotations

from typing import Any


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

    def __init__(self, line: int, items: list[tuple[Any, Any]] | None = None):
        self.line = line
        self.items: list[tuple[Any, Any]] = items if items is not None else []  # (key node, value node)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and (self.line, _pairs(self)) == (other.line, _pairs(other))

    def __repr__(self) -> str:
        return f"Mapping(line={self.line}, {self.items!r})"

    __hash__ = None  # type: ignore[assignment]


class Sequence:
    __slots__ = ("items", "line")

    def __init__(self, line: int, items: list[Any] | None = None):
        self.line = line
        self.items: list[Any] = items if items is not None else []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and (self.line, self.items) == (other.line, other.items)

    def __repr__(self) -> str:
        return f"Sequence(line={self.line}, {self.items!r})"

    __hash__ = None  # type: ignore[assignment]


class RawMapping(Mapping):
    """A mapping of one-line `key: value` pairs kept as the scanner read them, made into nodes on demand.

    Parameters repeat across thousands of goods: the rules remember the outcome for a raw pair they
    have already found valid (`Builder.parameters`), so most pairs never become nodes at all.
    """

    __slots__ = ("convert", "raw")

    def __init__(self, line: int, convert) -> None:
        super().__init__(line)
        self.raw: list[tuple[tuple[str, str], int]] = []  # ((raw key, raw value), line)
        self.convert = convert  # raw text, line → node

    def __repr__(self) -> str:
        return f"RawMapping(line={self.line}, {self.raw!r})"


def _pairs(mapping: Mapping) -> list[tuple[Any, Any]]:
    if isinstance(mapping, RawMapping):
        convert = mapping.convert
        return [(convert(key, line), convert(value, line)) for (key, value), line in mapping.raw]
    return mapping.items
