"""Helpers for tests that run imports: keep an upload, run it, read an offer's stock."""

from __future__ import annotations

from catalog.models import Offer
from partners.importing.workflow import create_price_list_import, run_price_list_import
from partners.models import PriceListImport


def upload(partner, content: bytes, *, dry_run: bool = False, name: str = "price.yaml") -> PriceListImport:
    return create_price_list_import(
        partner=partner, content=content, file_name=name, source="api", dry_run=dry_run
    )


def run(record: PriceListImport) -> PriceListImport:
    return run_price_list_import(price_list_import=record)


def stock(external_id: str) -> tuple[int, int]:
    """(quantity, reserved_quantity) of the offer with this external id."""
    return tuple(
        Offer.objects.filter(external_id=external_id).values_list("quantity", "reserved_quantity").get()
    )
