"""API routes of the partners app."""

urlpatterns: list = []
