"""PostgreSQL `COPY … FROM STDIN` for bulk rows, streamed so the whole text never sits in memory."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable

from django.db import connection


def copy_available() -> bool:
    """True when the default database is PostgreSQL through a driver with COPY (psycopg2)."""
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        return hasattr(raw, "copy_expert")
    finally:
        raw.close()


def copy_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """COPY the rows into the table in CSV form as one statement.

    Every string is quoted and None is left an unquoted empty field, which is how CSV COPY tells NULL
    from an empty string.
    """
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", _CsvStream(rows)
        )


class _CsvStream:
    """A file for COPY that writes CSV rows as the driver reads, so PostgreSQL stores one part of the
    rows while Python formats the next."""

    ROWS_PER_READ = 1000

    def __init__(self, rows: Iterable[tuple]):
        self.rows = iter(rows)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n", quoting=csv.QUOTE_STRINGS)

    def read(self, size: int = -1) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerows(itertools.islice(self.rows, self.ROWS_PER_READ))
        return self.buffer.getvalue()

    def readline(self, size: int = -1) -> str:  # pragma: no cover - the driver reads in blocks
        return self.read(size)
