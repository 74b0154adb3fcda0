"""Admin of the partners app."""
