"""How city names are compared: the one normalisation every delivery tariff lookup goes through."""

from __future__ import annotations

import unicodedata

CITY_MAX_LENGTH = 100


def clean_city(name: str | None) -> str:
    """A city name as it is stored and shown: Unicode NFKC, runs of spaces as one, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", name or "").split())


def city_key(name: str | None) -> str:
    """A city name as it is compared: cleaned, case folded, and «ё» read as «е».

    Russian writes «ё» as «е» more often than not ("Орёл" and "Орел" are one city), and a customer types
    a city in any case and with stray spaces; the empty key means "no city".
    """
    return clean_city(name).casefold().replace("ё", "е")
