"""Reading a price list's bytes: size limit, UTF-8, line-length limit, in bounded chunks.

Both readers take their text from here, so a file is never held whole in memory as text: the source
reads blocks of the stream and hands over chunks of complete lines (without the last line break),
with the byte-order mark removed and CRLF turned into LF. A line longer than MAX_LINE_CHARS stops the
read with its line number: no later stage ever sees an unbounded line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _

from partners.pricelist.records import MAX_LINE_CHARS, invalid

BLOCK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
# A character takes at most four bytes in UTF-8: a partial line longer than this is too long already.
_MAX_LINE_BYTES = MAX_LINE_CHARS * 4


def default_max_bytes() -> int:
    from django.conf import settings

    return settings.PRICE_LIST_MAX_BYTES


def stream_size(stream: BinaryIO) -> int | None:
    """The size of a seekable stream from its current position, or None."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def too_large(size: int | None, limit: int):
    if size is None:
        return invalid(_("the file is more than the limit of %(limit)s bytes") % {"limit": limit})
    return invalid(
        _("the file is %(size)s bytes, more than the limit of %(limit)s bytes")
        % {"size": size, "limit": limit}
    )


def line_too_long(line: int):
    return invalid(
        _("the line is longer than %(limit)s characters; a price list has one value per line")
        % {"limit": MAX_LINE_CHARS},
        line,
    )


# What YAML does not allow in a stream (control characters, U+FFFE/FFFF), and the line breaks other than
# LF and CRLF that YAML counts (NEL, U+2028, U+2029, a CR alone): editors do not, so every line number
# after one would be wrong. Both are refused with their line and column.
_ODD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u2028\u2029\r]")
_LINE_BREAKS = frozenset("\x85\u2028\u2029\r")


def odd_character(text: str, position: int, lines_before: int):
    character = text[position]
    line = lines_before + text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    if character in _LINE_BREAKS:
        message = _(
            "a line break other than LF or CRLF (U+%(code)04X) at column %(column)s: replace it with a "
            "line break or a space"
        )
    else:
        message = _(
            "a control character (U+%(code)04X) at column %(column)s, which a price list may not hold"
        )
    return invalid(message % {"code": ord(character), "column": column}, line)


def read_chunks(stream: BinaryIO, *, max_bytes: int | None = None) -> Iterator[str]:
    """Chunks of complete lines of the file's text; raises PriceListInvalid for the problems above.

    Joined with "\\n", the chunks are the file's text. A file holding only whitespace is refused here
    as empty.
    """
    limit = default_max_bytes() if max_bytes is None else max_bytes
    size = stream_size(stream)
    if size is not None and size > limit:
        raise too_large(size, limit)
    head = stream.read(len(_BOM))
    total = len(head)
    lines_before = 0  # lines in the chunks already handed over
    offset = 0  # bytes before `carry`
    if head == _BOM:
        carry, offset = b"", len(_BOM)
    else:
        carry = head
    content = False
    while True:
        block = stream.read(BLOCK_BYTES)
        if block:
            total += len(block)
            if total > limit:
                raise too_large(size, limit)
        if block:
            data = carry + block if carry else block
            cut = data.rfind(b"\n")
            if cut == -1:
                if len(data) > _MAX_LINE_BYTES:
                    raise line_too_long(lines_before + 1)
                carry = data
                continue
            chunk, carry = data[:cut], data[cut + 1 :]
            if len(carry) > _MAX_LINE_BYTES:
                raise line_too_long(lines_before + chunk.count(b"\n") + 2)
        else:
            chunk, carry = carry, b""
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = lines_before + chunk.count(b"\n", 0, exc.start) + 1
            raise invalid(
                _("the file is not UTF-8 text (byte %(position)s)") % {"position": offset + exc.start}, line
            ) from None
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if block and text.endswith("\r"):  # the chunk was cut between CR and LF
                text = text[:-1]
        odd = _ODD_CHARACTER.search(text)
        if odd:
            raise odd_character(text, odd.start(), lines_before)
        if len(text) > MAX_LINE_CHARS:
            lines = text.split("\n")
            if max(map(len, lines)) > MAX_LINE_CHARS:
                index = next(i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS)
                raise line_too_long(lines_before + index + 1)
        if not content and not text.isspace() and text:
            content = True
        lines_before += text.count("\n") + 1
        offset += len(chunk) + 1
        if not block:
            if not content:
                raise invalid(_("the file is empty"), 1)
            yield text
            return
        yield text


class TextReader:
    """The chunks as a file-like object of text, for PyYAML's reader (`read(size)`).

    A read returns at most the rest of the current chunk (a short read is allowed), so nothing is copied
    twice.
    """

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._pending = ""
        self._position = 0
        self._started = False

    def read(self, size: int = -1) -> str:
        while self._position >= len(self._pending):
            chunk = next(self._chunks, None)
            if chunk is None:
                return ""
            self._pending = ("\n" + chunk) if self._started else chunk
            self._position = 0
            self._started = True
        end = len(self._pending) if size < 0 else self._position + size
        text = self._pending[self._position : end]
        self._position += len(text)
        return text
