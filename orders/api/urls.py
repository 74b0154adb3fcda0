"""API routes of the orders app."""

urlpatterns: list = []
