"""Reading a price list: the scanner first, the YAML reader when the file is outside its subset."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from partners.pricelist.records import Good, PriceList, PriceListHeader
from partners.pricelist.rules import Builder, TooManyErrors, rejection
from partners.pricelist.scanner import OutsideSubset, scan
from partners.pricelist.source import default_max_bytes, read_chunks, too_large
from partners.pricelist.yaml_reader import read_yaml

_SPOOL_BYTES = 8 << 20


def read_price_list(
    stream: BinaryIO,
    *,
    on_good: Callable[[Good], None],
    on_restart: Callable[[], None] | None = None,
    max_bytes: int | None = None,
) -> PriceListHeader:
    """Read a price list from a binary stream, handing each valid good to `on_good` as soon as it is read.

    Raises PriceListInvalid listing every problem found (goods already handed over are then void). When
    the scanner meets YAML outside its subset, `on_restart` is called and the file is read again from the
    start by the YAML reader: everything handed over before must be dropped.
    """
    limit = default_max_bytes() if max_bytes is None else max_bytes
    if not _seekable(stream):
        stream = _spool(stream, limit)
    start = stream.tell()
    builder = Builder(on_good)
    try:
        scan(read_chunks(stream, max_bytes=limit), builder)
        return builder.finish()
    except TooManyErrors:
        raise rejection(builder.errors) from None
    except OutsideSubset:
        pass
    if on_restart is not None:
        on_restart()
    stream.seek(start)
    return read_yaml(read_chunks(stream, max_bytes=limit), Builder(on_good))


def parse_price_list(data: bytes, *, max_bytes: int | None = None) -> PriceList:
    """A whole price list in memory (tests, small files); raise PriceListInvalid."""
    goods: list[Good] = []
    header = read_price_list(
        io.BytesIO(data), on_good=goods.append, on_restart=goods.clear, max_bytes=max_bytes
    )
    return PriceList(shop=header.shop, categories=header.categories, goods=goods, shop_line=header.shop_line)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _spool(stream: BinaryIO, limit: int) -> BinaryIO:
    """A stream that can be read twice (in memory up to 8 MB, then on disk), refusing more than `limit`."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - returned open
    copied = 0
    while block := stream.read(1 << 20):
        copied += len(block)
        if copied > limit:
            raise too_large(None, limit)
        spool.write(block)
    spool.seek(0)
    return spool
