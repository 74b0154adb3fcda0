"""The price-list format: bytes to validated goods, every problem reported by path and line.

Pure (no database), streaming, bounded in memory and time whatever the file:

* `source` reads the bytes in blocks (size limit, UTF-8, line-length limit) and hands on chunks of lines;
* `scanner` reads the block-style subset real price lists use, line by line, with one regex;
* `yaml_reader` reads any other YAML from PyYAML's events (libyaml), refusing deep nesting, anchors,
  aliases and tags as it meets them;
* `rules` holds the format's rules, once: both readers hand it one category or good at a time, and it
  hands each valid good on (`read_price_list(stream, on_good=...)`), so a file is never held whole;
* `export` writes a shop's offers back in the format.

Values are typed here, never by YAML 1.1 implicit resolution: `16:9` stays the text "16:9", `6.50` stays
"6.50".
"""

from partners.pricelist.reader import parse_price_list, read_price_list
from partners.pricelist.records import (
    Category,
    Good,
    PriceList,
    PriceListError,
    PriceListHeader,
    PriceListInvalid,
)

__all__ = [
    "Category",
    "Good",
    "PriceList",
    "PriceListError",
    "PriceListHeader",
    "PriceListInvalid",
    "parse_price_list",
    "read_price_list",
]
