"""How far an import has got: `goods_processed` written as it moves, for the admin's bar and the API."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from partners.models import PriceListImport

logger = logging.getLogger(__name__)


class Progress:
    """Writes `goods_processed` at most every `every` goods (the workflow writes the final figure).

    The apply commits batch by batch, so a plain update is seen by other connections as soon as it is
    written; inside an outer transaction (tests, a caller's atomic block) it is seen at its commit.
    """

    def __init__(self, record: PriceListImport, *, every: int = 5000):
        self.record = record
        self.every = max(1, every)
        self.written = -1

    def __call__(self, processed: int) -> None:
        if self.written >= 0 and processed - self.written < self.every:
            return
        self.written = processed
        self.record.goods_processed = processed
        try:
            PriceListImport.objects.filter(pk=self.record.pk).update(goods_processed=processed)
        except DatabaseError:  # progress is a courtesy; the import's own next statement tells the truth
            logger.warning("could not write progress of import %s", self.record.pk, exc_info=True)
