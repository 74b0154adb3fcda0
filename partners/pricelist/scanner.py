"""The fast reader: a strict line scanner for the block-style subset real price lists use.

It reads chunks of lines from the source with one regular expression (no YAML resolver), builds each
category or good as a node tree and hands it to the builder as soon as the item ends. Anything outside
its subset (flow style, multi-line values, anchors, tags, tabs, escapes beyond JSON's, an item it would
have to guess about) raises OutsideSubset, and the reader starts again with the YAML reader, which
accepts or rejects the same files with the same results. Lines are bounded by the source, so the
regular expression never runs over more than MAX_LINE_CHARS characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from partners.pricelist.nodes import Mapping, RawMapping, Scalar, Sequence
from partners.pricelist.records import MAX_ITEM_VALUES
from partners.pricelist.rules import Builder


class OutsideSubset(Exception):
    """The file uses YAML the scanner does not read; the YAML reader takes it."""


# Characters YAML does not allow in a stream (PyYAML's reader), tabs, and YAML 1.1 line breaks other than
# \n: the YAML reader handles (or rejects) files that hold any of them.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A plain scalar starts with a character that is no indicator, or with `?`, `:` or `-` followed by one
# that could go on a plain scalar (a lookahead: that character is then checked like any other, so
# `-:` at the end of a line is a mapping value, as YAML reads it, not a plain `-:`).
_PLAIN_START = r"""(?:[^\s"'#,\[\]{}&*!|>%@`?:\-]|[?:\-](?=[^\s#,\[\]{}]))"""
_DOUBLE_QUOTED = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_SINGLE_QUOTED = r"'[^'\n]*(?:''[^'\n]*)*'"
# One line of the block subset: indent, "- " of a sequence item, `key:` and an optional one-line value
# (quoted, plain without ": " and " #", or an empty `{}`/`[]`), then an optional comment; or a blank or
# comment line (every group empty). Loops are written "unrolled" (x*(?:sep x*)*) so the regex engine does
# not backtrack.
_LINE = re.compile(
    r"^(?:( *)(- +)?"
    rf"""({_DOUBLE_QUOTED}|{_SINGLE_QUOTED}|{_PLAIN_START}(?:[^:#\n]*[^ :#\n])?) {{0,16}}:"""
    rf"""(?: +({_DOUBLE_QUOTED}|{_SINGLE_QUOTED}|\{{\}}|\[\]|"""
    rf"""{_PLAIN_START}[^:#\n]*(?:(?::(?=[^ \n])|(?<! )#)[^:#\n]*)*(?<! )))?"""
    r"(?: +#[^\n]*| *)| *(?:#[^\n]*)?)$",
    re.MULTILINE,
)
# JSON's escapes that YAML reads the same way; \u escapes of surrogates (JSON's pairs, or a lone one)
# are not YAML: the YAML reader refuses them.
_JSON_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u(?![dD][89a-fA-F])[0-9a-fA-F]{4})')
_QUOTES = frozenset("'\"")
# Keys whose value may be left empty (null): their empty value is valid whatever line YAML gives it.
_MAY_BE_EMPTY = frozenset(("model", "price_rrc", "parameters"))
# libyaml reads a key only when its colon comes within 1,024 characters (with up to 16 spaces before the
# colon, 1,000 characters of key are safe); longer keys go to the YAML reader, which refuses them.
_MAX_KEY = 1000
# An item of more lines than this holds more than MAX_ITEM_VALUES values (a key and a value a line, and
# the item itself): the YAML reader stops it with its error.
_MAX_ITEM_LINES = (MAX_ITEM_VALUES - 1) // 2


def _unquote(raw: str) -> str:
    """The text of a quoted scalar written on one line (double-quoted: JSON-compatible escapes only)."""
    if raw[0] == "'":
        return raw[1:-1].replace("''", "'")
    if "\\" not in raw:
        return raw[1:-1]
    if "\\" in _JSON_ESCAPE.sub("", raw[1:-1]):
        raise OutsideSubset
    text = json.loads(raw, strict=False)
    if "\x00" in text:
        raise OutsideSubset  # the YAML reader reports it with its line
    return text


def scan(chunks: Iterable[str], builder: Builder) -> None:
    """Read the whole file into the builder; raise OutsideSubset at the first line outside the subset.

    The loop is written flat, with local state, because it runs once per line of files with millions of
    lines: parameter lines and item keys take the first two branches.
    """
    unusual = _UNUSUAL.search
    findall = _LINE.findall

    def node(raw: str, line: int):
        first = raw[:1]
        if first == '"' or first == "'":
            return Scalar(_unquote(raw), first, line)
        if raw == "{}":
            return Mapping(line)
        if raw == "[]":
            return Sequence(line)
        return Scalar(raw, "", line)

    def add(item: Mapping, key: str, value: str, line: int) -> RawMapping | None:
        """Add `key: value` to the item; the open block when the line is `parameters:` alone."""
        if len(key) > _MAX_KEY:
            raise OutsideSubset  # libyaml refuses a key of more than 1,024 characters before its colon
        first = key[0]
        key_node = Scalar(key, "", line) if first not in _QUOTES else Scalar(_unquote(key), first, line)
        if value:
            item.items.append((key_node, node(value, line)))
            return None
        if key_node.text not in _MAY_BE_EMPTY:
            raise OutsideSubset  # YAML gives an empty value the line of what follows
        if key_node.text == "parameters":
            block = RawMapping(line, node)
            item.items.append((key_node, block))
            return block
        item.items.append((key_node, Scalar("", "", line)))
        return None

    section = ""
    top_seen: set[str] = set()
    index = -1  # of the current item in its section
    item: Mapping | None = None
    dash_indent: str | None = None
    key_indent: str | None = None
    parameter_indent: str | None = None
    parameters: RawMapping | None = None  # the open `parameters:` block
    parameters_open = False
    line = 0
    for chunk in chunks:
        if unusual(chunk):
            raise OutsideSubset
        found = findall(chunk)
        if len(found) != chunk.count("\n") + 1:
            raise OutsideSubset
        for line, (indent, dash, key, value) in enumerate(found, line + 1):  # noqa: B020 - the count runs on
            if not key:
                continue
            if not dash:
                if indent == parameter_indent:
                    if line - item.line >= _MAX_ITEM_LINES or len(key) > _MAX_KEY:
                        raise OutsideSubset
                    if "\\" in key or "\\" in value:
                        node(key, line), node(value, line)  # an escape YAML refuses declines the file now
                    parameters.raw.append(((key, value), line))
                    continue
                if indent == key_indent:
                    if line - item.line >= _MAX_ITEM_LINES:
                        raise OutsideSubset
                    parameter_indent = None
                    parameters = add(item, key, value, line)
                    parameters_open = parameters is not None
                    continue
                if parameters_open and parameter_indent is None and len(indent) > len(key_indent):
                    # The first line of a `parameters:` block fixes its indent (and its line).
                    parameter_indent = indent
                    parameters_open = False
                    parameters.line = line
                    if line - item.line >= _MAX_ITEM_LINES or len(key) > _MAX_KEY:
                        raise OutsideSubset
                    if "\\" in key or "\\" in value:
                        node(key, line), node(value, line)  # an escape YAML refuses declines the file now
                    parameters.raw.append(((key, value), line))
                    continue
                if indent:
                    raise OutsideSubset
                # A top-level key: it ends the current section.
                if item is not None:
                    _close(builder, section, index, item)
                    item = None
                elif section:
                    raise OutsideSubset  # a section without items: YAML decides what it is
                if section:
                    builder.end_list(section)
                key_indent = parameter_indent = None
                parameters_open = False
                if key in top_seen:
                    raise OutsideSubset
                top_seen.add(key)
                name = builder.top_key(Scalar(key, "", line))
                if name is None:
                    raise OutsideSubset  # an unknown key: YAML reports it, with whatever its value is
                if name == "shop":
                    if not value:
                        raise OutsideSubset
                    builder.value("shop", node(value, line))
                    section = ""
                else:
                    if value:
                        raise OutsideSubset
                    section = name
                    index = -1
                    dash_indent = None
                continue
            # "- key: value": a new category or good.
            if not section:
                raise OutsideSubset
            if dash_indent is None:
                dash_indent = indent
            elif indent != dash_indent:
                raise OutsideSubset
            if item is not None:
                _close(builder, section, index, item)
            index += 1
            item = Mapping(line)
            key_indent = " " * (len(indent) + len(dash))
            parameter_indent = None
            parameters = add(item, key, value, line)
            parameters_open = parameters is not None
    if item is not None:
        _close(builder, section, index, item)
    elif section:
        raise OutsideSubset
    if len(top_seen) != 3:
        raise OutsideSubset  # YAML reports what is missing, with the line it gives the file
    if section:
        builder.end_list(section)


def _close(builder: Builder, section: str, index: int, item: Mapping) -> None:
    if section == "categories":
        builder.category(index, item)
    else:
        builder.good(index, item)
