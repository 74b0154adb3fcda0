"""The YAML reader: PyYAML's event parser (libyaml when available) for files outside the scanner's subset.

It never builds the whole document. Events are read as they come; each category or good is built as a
small node tree, handed to the builder and dropped. What makes YAML expensive is refused on sight:
nesting deeper than MAX_DEPTH stops the read with its line (a price list nests four levels), an item
with more than MAX_ITEM_VALUES values (scalars and collections) too, and anchors, aliases and tags are errors (an alias is never
expanded). No YAML resolver or constructor runs: scalars stay text exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from django.utils.translation import gettext as _

from partners.pricelist.nodes import Mapping, Scalar, Sequence
from partners.pricelist.records import (
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_ITEM_VALUES,
    PriceListError,
    PriceListHeader,
    invalid,
)
from partners.pricelist.rules import Builder, TooManyErrors, rejection
from partners.pricelist.source import TextReader

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ScalarEvent = yaml.ScalarEvent
_AliasEvent = yaml.AliasEvent
_MappingStart = yaml.MappingStartEvent
_SequenceStart = yaml.SequenceStartEvent
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Stop(Exception):
    """The reader found MAX_ERRORS problems of its own."""


class _Events:
    """The event stream with the checks every event passes: depth, anchors, aliases, tags, NUL."""

    def __init__(self, events: Iterator[Any]) -> None:
        self._events = events
        self.depth = 0
        self.errors: list[PriceListError] = []
        self._seen: set[PriceListError] = set()
        self.values_left = MAX_ITEM_VALUES
        self.item_path = ""  # the item being built, for the error above

    def problem(self, message: str, line: int) -> None:
        error = PriceListError("", message, line)
        if error not in self._seen:  # an alias bomb repeats one problem thousands of times
            self._seen.add(error)
            self.errors.append(error)
        if len(self.errors) >= MAX_ERRORS:
            raise _Stop

    def next(self) -> Any:
        event = next(self._events)
        kind = type(event)
        if kind in _ENDS:
            self.depth -= 1
            return event
        line = event.start_mark.line + 1
        if kind is _AliasEvent:
            self.problem(_("aliases are not allowed in a price list"), line)
            return event
        if kind is _ScalarEvent or kind is _MappingStart or kind is _SequenceStart:
            if event.anchor is not None:
                self.problem(_("anchors are not allowed in a price list"), line)
            if event.tag is not None:
                self.problem(_("tags are not allowed in a price list (%(tag)s)") % {"tag": event.tag}, line)
            if kind is not _ScalarEvent:
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise invalid(
                        _("the file nests deeper than %(limit)s levels; a price list needs four")
                        % {"limit": MAX_DEPTH},
                        line,
                    )
        return event

    def node(self, event: Any) -> Any:
        """The node tree of the value that starts with `event` (bounded by values_left)."""
        kind = type(event)
        line = event.start_mark.line + 1
        self.values_left -= 1  # every value counts, an empty `{}` or `[]` too
        if self.values_left < 0:
            raise invalid(
                _("holds more than %(limit)s values") % {"limit": MAX_ITEM_VALUES}, line, path=self.item_path
            )
        if kind is _ScalarEvent or kind is _AliasEvent:
            if kind is _AliasEvent:
                return Scalar("", "", line)
            if "\x00" in event.value:
                # Only an escape (\0, \x00, \u0000) can write it; no database column can store it.
                self.problem(_("text must not contain the NUL character (\\0)"), line)
            return Scalar(event.value, event.style or "", line)
        if kind is _MappingStart:
            mapping = Mapping(line)
            while True:
                key_event = self.next()
                if type(key_event) in _ENDS:
                    return mapping
                key = self.node(key_event)
                mapping.items.append((key, self.node(self.next())))
        sequence = Sequence(line)
        while True:
            item_event = self.next()
            if type(item_event) in _ENDS:
                return sequence
            sequence.items.append(self.node(item_event))

    def shape(self, event: Any) -> Any:
        """The value's node without its contents (only its kind and line matter to the caller)."""
        kind = type(event)
        if kind is _ScalarEvent or kind is _AliasEvent:
            self.values_left, self.item_path = MAX_ITEM_VALUES, ""
            return self.node(event)
        depth = self.depth
        while self.depth >= depth:
            self.next()
        line = event.start_mark.line + 1
        return Mapping(line) if kind is _MappingStart else Sequence(line)


def read_yaml(chunks: Iterable[str], builder: Builder) -> PriceListHeader:
    """Read the file into the builder; raise PriceListInvalid for what YAML or the reader refuses."""
    events = _Events(yaml.parse(TextReader(iter(chunks)), Loader=_Loader))
    try:
        _read_document(events, builder)
    except _Stop:
        pass
    except TooManyErrors:
        if not events.errors:
            raise rejection(builder.errors) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise invalid(
            _("YAML syntax error: %(problem)s") % {"problem": problem}, mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise invalid(_("YAML syntax error: %(problem)s") % {"problem": exc}) from None
    if events.errors:
        # The file is refused for its YAML; what the rules would say of the rest is beside the point.
        raise rejection(events.errors)
    return builder.finish()


def _read_document(events: _Events, builder: Builder) -> None:
    root = None
    documents = 0
    while True:
        event = events.next()
        kind = type(event)
        if kind is yaml.StreamEndEvent:
            break
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                events.problem(_("the file must hold one YAML document"), event.start_mark.line + 1)
                break
            continue
        if kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
            continue
        root = event
        if kind is not _MappingStart:
            raise builder.not_a_mapping(event.start_mark.line + 1)
        builder.root_line = event.start_mark.line + 1
        _read_sections(events, builder)
    if root is None:
        raise builder.not_a_mapping(1)


def _read_sections(events: _Events, builder: Builder) -> None:
    """The top-level mapping, from after its start to its end."""
    while True:
        event = events.next()
        if type(event) in _ENDS:
            return
        section = builder.top_key(events.shape(event))
        event = events.next()
        if section in ("categories", "goods") and type(event) is _SequenceStart:
            add = builder.category if section == "categories" else builder.good
            index = 0
            while True:
                item_event = events.next()
                if type(item_event) in _ENDS:
                    break
                events.values_left, events.item_path = MAX_ITEM_VALUES, f"{section}[{index}]"
                add(index, events.node(item_event))
                index += 1
            builder.end_list(section)
        elif section is not None:
            builder.value(section, events.shape(event))
        else:
            events.shape(event)
