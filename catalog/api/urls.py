"""API routes of the catalog app."""

urlpatterns: list = []
