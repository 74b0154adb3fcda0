"""Faults the database itself raises, for tests of what an import does when a write fails."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def database_refuses_updates_of_offer(external_id: str):
    """A trigger that makes the database fail any update of one offer, as a disk or a lost connection
    would, so the apply fails after the batches before it have been committed."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_offer_update() RETURNS trigger AS $$ BEGIN "
                f"IF OLD.external_id = '{external_id}' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_offer_update BEFORE UPDATE ON catalog_offer "
                "FOR EACH ROW EXECUTE FUNCTION refuse_offer_update()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_offer_update BEFORE UPDATE ON catalog_offer "
                f"WHEN OLD.external_id = '{external_id}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER refuse_offer_update ON catalog_offer")
                cursor.execute("DROP FUNCTION refuse_offer_update()")
            else:
                cursor.execute("DROP TRIGGER refuse_offer_update")
