"""Admin of the orders app: orders (the whole order's workflow and export) and shipments (each shop's
part, moved by its partner or a manager); `inlines` holds the tables of their pages, `common` what both
share."""

from orders.admin import orders, shipments

__all__ = ["orders", "shipments"]
