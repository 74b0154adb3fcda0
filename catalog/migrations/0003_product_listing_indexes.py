"""Indexes of the product listing; they are expressions or partial, so they live here, not in the models.

- `product_listing_name` (lower(name), id): a page ordered by name walks the index and stops after the
  page instead of sorting every product.
- `offer_listing_product_price` (product_id, price) of active offers: "does this product have an
  orderable offer" and "its cheapest price" are answered from the index.
- On PostgreSQL, trigram indexes on upper(name) and upper(model) (what `icontains` compares), so a
  search does not scan the whole catalog. They need the pg_trgm extension; where it cannot be
  created, search still works, only slower.
"""

from django.db import DatabaseError, migrations, transaction

TRIGRAM_INDEXES = {
    "product_name_trgm": "catalog_product USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "offer_model_trgm": "catalog_offer USING gin ((UPPER(model::text)) gin_trgm_ops)",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # no privilege to create extensions: keep the plain search
        return
    for name, definition in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_offer_parameters_gin")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS product_listing_name ON catalog_product (LOWER(name), id)",
            "DROP INDEX IF EXISTS product_listing_name",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS offer_listing_product_price ON catalog_offer (product_id, price) "
            "WHERE is_active",
            "DROP INDEX IF EXISTS offer_listing_product_price",
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
