"""Indexes of the listing at a million offers (issue 12); expressions and partial indexes live here.

- The offer's shop loses its own index: the unique (shop_id, external_id) index serves every lookup by
  shop, and the planner once preferred the shop-only index for an import's per-row check.
- `product_listing_category_name` (category_id, lower(name), id): a category's page by name walks it.
- `offer_listing_price` (price, product_id, id) of active offers: a page by price walks it, keeping each
  product's cheapest offer.
- `offer_shop_active` (shop_id) of active offers: the admin's count of a shop's active offers.
- `offer_model_upper` (upper(model)): a search for an exact model number (the trigram index answers
  it too, but rechecks every offer that shares the word's trigrams).
- On PostgreSQL, `offer_listing_product_cover` (product_id, price, id) INCLUDE (shop_id) of active
  offers replaces 0003's `offer_listing_product_price`: the listing's probes read only the index.
- On PostgreSQL, `product_name_fts`: the Russian full-text search of product names (`catalog.search`),
  and the pg_trgm extension the trigram indexes of migration 0003 need.
"""

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

FULL_TEXT_INDEX = (
    "CREATE INDEX IF NOT EXISTS product_name_fts ON catalog_product "
    "USING gin (to_tsvector('russian'::regconfig, (name)::text))"
)


def create_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # no privilege to create extensions: similar words are then not found
        pass
    else:
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS product_name_trgm ON catalog_product "
            "USING gin ((UPPER(name::text)) gin_trgm_ops)"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS offer_model_trgm ON catalog_offer "
            "USING gin ((UPPER(model::text)) gin_trgm_ops)"
        )
    schema_editor.execute(FULL_TEXT_INDEX)
    # The listing's "has this product a listed offer" probe, answered from the index alone (with the
    # shop, to leave out paused shops); it supersedes migration 0003's (product_id, price) index.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS offer_listing_product_cover ON catalog_offer (product_id, price, id) "
        "INCLUDE (shop_id) WHERE is_active"
    )
    schema_editor.execute("DROP INDEX IF EXISTS offer_listing_product_price")


def drop_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_name_fts")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS offer_listing_product_price ON catalog_offer (product_id, price) "
            "WHERE is_active"
        )
        schema_editor.execute("DROP INDEX IF EXISTS offer_listing_product_cover")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_partners_edit_delivery_rates")]

    operations = [
        migrations.AlterField(
            model_name="offer",
            name="shop",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="offers",
                to="catalog.shop",
                verbose_name="shop",
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS product_listing_category_name "
            "ON catalog_product (category_id, LOWER(name), id)",
            "DROP INDEX IF EXISTS product_listing_category_name",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS offer_listing_price ON catalog_offer (price, product_id, id) "
            "WHERE is_active",
            "DROP INDEX IF EXISTS offer_listing_price",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS offer_shop_active ON catalog_offer (shop_id) WHERE is_active",
            "DROP INDEX IF EXISTS offer_shop_active",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS offer_model_upper ON catalog_offer (UPPER(model))",
            "DROP INDEX IF EXISTS offer_model_upper",
        ),
        migrations.RunPython(create_postgresql_indexes, drop_postgresql_indexes),
    ]
